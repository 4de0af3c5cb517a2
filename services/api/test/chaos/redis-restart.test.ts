import { execFileSync } from 'node:child_process';
import { startFakeProvider, startOwnRedis, watchUnhandledRejections } from '@inkpost/testkit';
import { describe, expect, it } from 'vitest';
import { startStack } from '../harness.js';
import {
  checkInvariants,
  checkNoCrash,
  createPosts,
  FAST_RECOVERY,
  imageYaml,
  isImageRequest,
  POSTS,
  pages,
  report,
  settle,
  sleep,
  until,
} from './support.js';

const CONCURRENCY = 4;
const MAX_ATTEMPTS = 3;
const DOWN_MS = 3_000;

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// A redis-server of this test's own (random port, AOF with fsync on every write, temp dir): the shared Redis
// on 6379 that other test files use is never touched.
describe.skipIf(!hasRedisServer())(
  'chaos: Redis crashes (SIGKILL) and restarts mid-run, 20 posts in flight',
  () => {
    it('every post ends after Redis comes back, one image per page version, limits and usage hold', async () => {
      const watch = watchUnhandledRejections();
      const redis = await startOwnRedis({ appendfsync: 'always' });
      const fake = await startFakeProvider({ latencyMs: 150 });
      const stack = await startStack({
        imageProvidersYaml: imageYaml(fake, { concurrency: CONCURRENCY, maxAttempts: MAX_ATTEMPTS }),
        imageWorkerProcesses: 1,
        outlineWorkerProcess: true,
        captureProcessOutput: true,
        env: { ...FAST_RECOVERY, REDIS_URL: redis.url },
      });
      try {
        const ids = await createPosts(stack, POSTS, { pages: pages(3), autoGenerate: true });
        await until(
          () => fake.requests.filter(isImageRequest).length >= 12 && fake.imageInflight >= 2,
          20_000,
          'rendering to be under way',
        );
        const inflightAtCrash = fake.imageInflight;
        await redis.kill('SIGKILL');
        // Clients keep asking while Redis is down: each create must fail cleanly or, if accepted, finish.
        const during = [0, 1, 2].map(async (i) => {
          await sleep(i * 900);
          const body = { topic: `During outage ${i}`, pages: pages(3), autoGenerate: true };
          return stack.request('POST', '/v1/posts', body).then(
            async (res) => ({ status: res.status, body: (await res.json()) as { id?: string } }),
            () => ({ status: 0, body: {} as { id?: string } }),
          );
        });
        // Down longer than a job lock (JOB_LOCK_MS 2000): running jobs cannot renew their locks meanwhile.
        await sleep(DOWN_MS);
        await redis.start();
        const backAt = Date.now();
        const answers = await Promise.all(during);
        // Refused while Redis is down is a 503 (retry later), never a 500.
        for (const a of answers) expect([0, 202, 503]).toContain(a.status);
        const accepted = answers.flatMap((a) => (a.status === 202 && a.body.id ? [a.body.id] : []));

        const all = [...ids, ...accepted];
        const { posts, settledAfterMs } = await settle(stack, all, { deadlineMs: 60_000, since: backAt });
        // A refused create left nothing behind: the tenant has exactly the posts that were accepted.
        const listed = (await (await stack.request('GET', '/v1/posts?limit=100')).json()) as {
          items: unknown[];
        };
        expect(listed.items).toHaveLength(all.length);
        const totals = await checkInvariants(stack, fake, posts, {
          concurrency: CONCURRENCY,
          maxAttempts: MAX_ATTEMPTS,
          // A job whose lock lapsed while Redis was down is handed out again as stalled.
          rerunsAllowed: inflightAtCrash + CONCURRENCY,
        });
        expect(posts.map((p) => p.status)).toEqual(Array(all.length).fill('completed'));
        checkNoCrash(stack, watch, []);
        report(
          'Redis SIGKILL + restart',
          `down ${DOWN_MS} ms with ${inflightAtCrash} calls in flight; creates meanwhile answered ${answers.map((a) => a.status).join('/')}; all ${all.length} posts completed ${(settledAfterMs / 1000).toFixed(1)} s after Redis was back; ${totals.imageRequests} image requests for ${totals.completed} images; orphans ${totals.orphans.length}`,
        );
      } finally {
        watch.stop();
        if (!redis.running) await redis.start().catch(() => {});
        await stack.close();
        await fake.close();
        await redis.close();
      }
    }, 90_000);
  },
);

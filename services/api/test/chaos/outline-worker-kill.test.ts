import { startFakeProvider, watchUnhandledRejections } from '@inkpost/testkit';
import { describe, expect, it } from 'vitest';
import { startStack } from '../harness.js';
import {
  checkInvariants,
  checkNoCrash,
  createPosts,
  FAST_RECOVERY,
  imageYaml,
  isTextRequest,
  OUTLINE,
  POSTS,
  report,
  settle,
  textYaml,
  until,
} from './support.js';

const CONCURRENCY = 4;
const MAX_ATTEMPTS = 3;
const OUTLINE_CONCURRENCY = 4;

describe('chaos: the outline worker killed with SIGKILL mid-call, 20 posts in flight', () => {
  it('every outline is written once a new worker takes over, and every post ends', async () => {
    const watch = watchUnhandledRejections();
    // Slow outlines, so the kill lands while several are being written.
    const fake = await startFakeProvider({ latencyMs: 400, chatText: () => OUTLINE });
    const stack = await startStack({
      textProvidersYaml: textYaml(fake),
      imageProvidersYaml: imageYaml(fake, { concurrency: CONCURRENCY, maxAttempts: MAX_ATTEMPTS }),
      outlineWorkerProcess: true,
      captureProcessOutput: true,
      env: { ...FAST_RECOVERY, OUTLINE_CONCURRENCY: String(OUTLINE_CONCURRENCY) },
    });
    try {
      const ids = await createPosts(stack, POSTS, { autoGenerate: true });
      await until(
        () => fake.requests.filter((r) => isTextRequest(r) && r.endedAt === undefined).length >= 2,
        20_000,
        'outlines to be in progress',
      );
      const victim = stack.outlineWorkers[0]!;
      const textInflight = fake.requests.filter((r) => isTextRequest(r) && r.endedAt === undefined).length;
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      await until(() => victim.signalCode !== null, 5_000, 'the worker to die');
      await stack.spawnOutlineWorker();
      // The kill has landed; faster answers from here keep the rest of the run short.
      fake.setLatency(100);

      const { posts, settledAfterMs } = await settle(stack, ids, { deadlineMs: 60_000, since: killedAt });
      const totals = await checkInvariants(stack, fake, posts, {
        concurrency: CONCURRENCY,
        maxAttempts: MAX_ATTEMPTS,
        rerunsAllowed: 0,
        textOutline: true,
      });
      expect(posts.map((p) => p.status)).toEqual(Array(POSTS).fill('completed'));
      expect(posts.every((p) => p.pages.length === 3)).toBe(true);
      // One outline per post, plus at most one re-run of each outline job the kill interrupted (no more than the
      // worker's concurrency were active, whether still calling or just answered).
      const outlines = fake.requests.filter(isTextRequest).length;
      expect(outlines).toBeGreaterThanOrEqual(POSTS);
      expect(outlines).toBeLessThanOrEqual(POSTS + OUTLINE_CONCURRENCY);
      expect(totals.orphans).toEqual([]);
      checkNoCrash(stack, watch, [victim]);
      report(
        'outline-worker SIGKILL',
        `${textInflight} outline calls in flight killed; all ${POSTS} posts completed ${(settledAfterMs / 1000).toFixed(1)} s after the kill; ${outlines} outline calls for ${POSTS} outlines`,
      );
    } finally {
      watch.stop();
      await stack.close();
      await fake.close();
    }
  }, 90_000);
});

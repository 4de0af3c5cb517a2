import { startFakeProvider, watchUnhandledRejections } from '@inkpost/testkit';
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
  until,
} from './support.js';

const CONCURRENCY = 4;
const MAX_ATTEMPTS = 3;

describe('chaos: an image worker killed with SIGKILL mid-call, 20 posts in flight', () => {
  it('every post ends, one image per page version, limits and usage hold, nothing unhandled', async () => {
    const watch = watchUnhandledRejections();
    const fake = await startFakeProvider({ latencyMs: 150 });
    const stack = await startStack({
      imageProvidersYaml: imageYaml(fake, { concurrency: CONCURRENCY, maxAttempts: MAX_ATTEMPTS }),
      imageWorkerProcesses: 1,
      captureProcessOutput: true,
      env: FAST_RECOVERY,
    });
    try {
      const ids = await createPosts(stack, POSTS, { pages: pages(3), autoGenerate: true });
      // Kill while the worker has its full share of calls open: some posts done, most still to come.
      await until(
        () => fake.requests.filter(isImageRequest).length >= 12 && fake.imageInflight >= CONCURRENCY,
        20_000,
        'the worker to be busy',
      );
      const victim = stack.imageWorkers[0]!;
      const inflightAtKill = fake.imageInflight;
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      await until(() => victim.signalCode !== null, 5_000, 'the worker to die');
      await stack.spawnImageWorker();

      const { posts, settledAfterMs } = await settle(stack, ids, { deadlineMs: 60_000, since: killedAt });
      const totals = await checkInvariants(stack, fake, posts, {
        concurrency: CONCURRENCY,
        maxAttempts: MAX_ATTEMPTS,
        rerunsAllowed: inflightAtKill,
      });
      // Nothing about a killed worker is the provider's fault: every page must complete.
      expect(posts.map((p) => p.status)).toEqual(Array(POSTS).fill('completed'));
      expect(totals.orphans).toEqual([]);
      checkNoCrash(stack, watch, [victim]);
      report(
        'image-worker SIGKILL',
        `${inflightAtKill} calls in flight killed; all ${POSTS} posts completed ${(settledAfterMs / 1000).toFixed(1)} s after the kill; ${totals.imageRequests} image requests for ${totals.completed} images`,
      );
    } finally {
      watch.stop();
      await stack.close();
      await fake.close();
    }
  }, 90_000);
});

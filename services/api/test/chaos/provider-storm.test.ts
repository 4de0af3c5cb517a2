import { type FakeBehavior, startFakeProvider, watchUnhandledRejections } from '@inkpost/testkit';
import { describe, expect, it } from 'vitest';
import { startStack } from '../harness.js';
import {
  checkInvariants,
  checkNoCrash,
  createPosts,
  FAST_RECOVERY,
  IMAGE_ENDPOINT,
  imageYaml,
  isImageRequest,
  POSTS,
  pages,
  report,
  settle,
} from './support.js';

const CONCURRENCY = 4;
const MAX_ATTEMPTS = 4;
// Codes a page may end with after the storm: each is the storm's own, retryable, and only after its attempts ran out.
const STORM_CODES = ['provider_unavailable', 'provider_timeout', 'provider_bad_response'];

const times = (n: number, behavior: FakeBehavior) => Array<FakeBehavior>(n).fill(behavior);

describe('chaos: the provider answers a storm of 429s, then 500s, timeouts, malformed JSON and truncated images', () => {
  it('every post ends with a reason, 429s pause the provider, limits and usage hold', async () => {
    const watch = watchUnhandledRejections();
    const fake = await startFakeProvider({ latencyMs: 50 });
    const stack = await startStack({
      imageProvidersYaml: imageYaml(fake, {
        concurrency: CONCURRENCY,
        maxAttempts: MAX_ATTEMPTS,
        timeoutSeconds: 1,
      }),
      imageWorkerProcesses: 1,
      captureProcessOutput: true,
      env: FAST_RECOVERY,
    });
    try {
      fake.enqueue(
        IMAGE_ENDPOINT,
        ...times(8, { kind: 'rate-limit', retryAfter: '1' }),
        ...times(10, { kind: 'status', status: 500 }),
        ...times(6, { kind: 'hang' }),
        ...times(10, { kind: 'malformed' }),
        ...times(10, { kind: 'truncated-image' }),
      );
      const startedAt = Date.now();
      const ids = await createPosts(stack, POSTS, { pages: pages(3), autoGenerate: true });
      const { posts, settledAfterMs } = await settle(stack, ids, { deadlineMs: 90_000, since: startedAt });
      const totals = await checkInvariants(stack, fake, posts, {
        concurrency: CONCURRENCY,
        maxAttempts: MAX_ATTEMPTS,
        rerunsAllowed: 0,
      });
      const images = fake.requests.filter(isImageRequest);
      const statuses = images.map((r) => r.response?.status ?? 'none');
      expect(statuses.filter((s) => s === 429)).toHaveLength(8);
      expect(statuses.filter((s) => s === 500)).toHaveLength(10);
      for (const post of posts) {
        for (const page of post.pages.filter((p) => p.image.status === 'failed')) {
          // A storm page fails on a retryable provider error, or because its cover did.
          const code = page.image.error!.code;
          expect([...STORM_CODES, 'cover_failed'], `page ${page.index} of ${post.id}`).toContain(code);
          expect(page.image.error!.retryable).toBe(true);
        }
      }
      // A 429 with Retry-After: 1 pauses the provider's queue for every worker. Jobs already handed out when it
      // arrived may still call (at most the other concurrency slots); without the pause, dozens would start in
      // that second (each call takes ~50 ms).
      for (const limited of images.filter((r) => r.response?.status === 429)) {
        const during = images.filter(
          (r) => r.startedAt > limited.endedAt! && r.startedAt < limited.endedAt! + 900,
        );
        expect(during.length, `calls started during the pause after request ${limited.id}`).toBeLessThan(
          CONCURRENCY,
        );
      }
      checkNoCrash(stack, watch, []);
      report(
        'provider storm',
        `8×429, 10×500, 6 timeouts, 10 malformed, 10 truncated: all ${POSTS} posts ended in ${(settledAfterMs / 1000).toFixed(1)} s (${posts.filter((p) => p.status === 'completed').length} completed, ${totals.failed} pages failed); ${totals.imageRequests} image requests for ${totals.completed} images`,
      );
    } finally {
      watch.stop();
      await stack.close();
      await fake.close();
    }
  }, 120_000);
});

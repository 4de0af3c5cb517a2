import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { PostView } from '@inkpost/shared';
import {
  createS3Client,
  type FaultyS3,
  startFakeProvider,
  startFaultyS3,
  watchUnhandledRejections,
} from '@inkpost/testkit';
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
const OUTAGE_MS = 3_000;

/** The revision of the post's manifest in storage, or null when there is none. */
async function manifestRevision(s3: FaultyS3, bucket: string, id: string): Promise<number | null> {
  const client = await createS3Client({ ...s3, endpoint: s3.directEndpoint });
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `posts/${id}/post.json` }));
    return (JSON.parse(await out.Body!.transformToString()) as { revision: number }).revision;
  } catch {
    return null;
  } finally {
    client.destroy();
  }
}

describe('chaos: S3 refuses every write (503 SlowDown) for 3 s mid-run, 20 posts in flight', () => {
  it('every post ends with a reason, one image per page version, limits and usage hold', async () => {
    const watch = watchUnhandledRejections();
    const s3 = await startFaultyS3();
    const fake = await startFakeProvider({ latencyMs: 150 });
    const stack = await startStack({
      imageProvidersYaml: imageYaml(fake, { concurrency: CONCURRENCY, maxAttempts: MAX_ATTEMPTS }),
      imageWorkerProcesses: 1,
      captureProcessOutput: true,
      env: {
        ...FAST_RECOVERY,
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      },
    });
    let posts: PostView[] = [];
    try {
      const ids = await createPosts(stack, POSTS, { pages: pages(3), autoGenerate: true });
      await until(
        () => fake.requests.filter(isImageRequest).length >= 12 && fake.imageInflight >= 2,
        20_000,
        'rendering to be under way',
      );
      s3.refuseWrites(OUTAGE_MS);
      await sleep(OUTAGE_MS);
      const healedAt = Date.now();
      const settled = await settle(stack, ids, { deadlineMs: 60_000, since: healedAt });
      posts = settled.posts;
      expect(s3.stats.refused, 'writes refused during the outage').toBeGreaterThan(0);
      const totals = await checkInvariants(stack, fake, posts, {
        concurrency: CONCURRENCY,
        maxAttempts: MAX_ATTEMPTS,
        rerunsAllowed: 0,
      });
      // A paid image that storage refused is kept and stored once writes are taken again: never paid for twice.
      expect(totals.imageRequests, 'image requests for the images stored').toBe(totals.completed);
      // A page that could not be stored at all says why.
      for (const post of posts) {
        for (const page of post.pages.filter((p) => p.image.status === 'failed')) {
          expect(page.image.error).toMatchObject({ code: 'render_failed', retryable: true });
        }
      }
      checkNoCrash(stack, watch, []);
      report(
        'S3 503 on writes',
        `${s3.stats.refused} writes refused over ${OUTAGE_MS} ms; all ${POSTS} posts ended ${(settled.settledAfterMs / 1000).toFixed(1)} s after S3 healed (${posts.filter((p) => p.status === 'completed').length} completed, ${totals.failed} pages failed); ${totals.imageRequests} image requests for ${totals.completed} images`,
      );
    } finally {
      watch.stop();
      s3.heal();
    }
    try {
      // Every post's manifest (posts/<id>/post.json) must catch up with its final revision once S3 takes writes
      // again, or a rebuild from manifests would bring posts back as they were mid-outage.
      const stale: string[] = [];
      await until(
        async () => {
          stale.length = 0;
          for (const p of posts) {
            const revision = await manifestRevision(s3, stack.bucket, p.id);
            if (revision !== p.revision) stale.push(`${p.id}: manifest ${revision}, post ${p.revision}`);
          }
          return stale.length === 0;
        },
        10_000,
        'manifests to catch up',
      ).catch(() => {});
      expect(stale, 'manifests behind their posts after the outage').toEqual([]);
    } finally {
      await stack.close();
      await fake.close();
      await s3.close();
    }
  }, 90_000);
});

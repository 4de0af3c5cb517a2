import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createRedis, PostStore, planGeneration, Queues, S3Storage } from '@inkpost/core';
import { samplePost } from '@inkpost/core/test-fixtures';
import type { ImageProvider, RenderRequest } from '@inkpost/providers';
import { createImageProvider, ProviderError } from '@inkpost/providers';
import { loadImageProviders, pageJobId, storageKeys } from '@inkpost/shared';
import {
  cleanupRedisPrefix,
  createS3Client,
  emptyAndDeleteBucket,
  encodePng,
  type FakeProvider,
  randomBucket,
  randomPrefix,
  startFakeProvider,
  testEnv,
} from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RateLimited, type RenderDeps, RetryLater, renderPage } from './render-page.js';

class CountingProvider implements ImageProvider {
  readonly name = 'fake';
  readonly type = 'fake';
  readonly usesReferences = true;
  calls: RenderRequest[] = [];
  constructor(private readonly behave: () => Buffer = () => encodePng(3, 4, () => [1, 2, 3, 255])) {}
  async render(req: RenderRequest) {
    this.calls.push(req);
    return { bytes: this.behave(), mimeType: 'image/png', model: 'm' };
  }
}

describe('renderPage', () => {
  const prefix = randomPrefix();
  const bucket = randomBucket();
  let redis: Redis;
  let deps: RenderDeps;
  let provider: CountingProvider;
  let storage: S3Storage;
  let paused: number[];

  beforeAll(async () => {
    redis = createRedis(testEnv().redisUrl, 'worker');
    storage = new S3Storage({ ...testEnv().s3, bucket, forcePathStyle: true });
    await storage.ensureReady();
    provider = new CountingProvider();
    paused = [];
    deps = {
      store: new PostStore(redis, prefix),
      queues: new Queues(redis, prefix),
      storage,
      log: createLogger('test', 'silent'),
      providerFor: (name) => (name === 'fake' ? provider : null),
      attemptsFor: () => 3,
      pauseProvider: async (_name, ms) => void paused.push(ms),
    };
  });
  afterAll(async () => {
    await deps.queues.close();
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
    await redis.quit();
    storage.close();
    const client = await createS3Client(testEnv());
    await emptyAndDeleteBucket(client, bucket).catch(() => {});
    client.destroy();
  });

  async function queuedPost() {
    const post = samplePost(['cover', 'content']);
    post.imageProvider = 'fake';
    planGeneration(post, [0, 1], 'fake', new Date().toISOString());
    await deps.store.create(post);
    return post;
  }

  it('renders, stores under the version key and completes the page; a repeat is skipped', async () => {
    const post = await queuedPost();
    const cover = post.pages[0]!;
    const data = { postId: post.id, pageId: cover.id, version: 1, cover: null };
    expect(await renderPage(data, { attemptsMade: 0, maxAttempts: 3 }, deps)).toBe('completed');
    expect(await storage.exists(storageKeys.pageImage(post.id, cover.id, 1, 'png'))).toBe(true);
    const after = await deps.store.get(post.id);
    expect(after?.pages[0]?.image).toMatchObject({ status: 'completed', version: 1, pending: null });
    expect(await renderPage(data, { attemptsMade: 0, maxAttempts: 3 }, deps)).toBe('skipped');
    expect(provider.calls).toHaveLength(1);
  });

  it('queues the pages a recorded cover releases when its job runs again (its worker died before queueing them)', async () => {
    const post = await queuedPost();
    const [cover, page] = post.pages;
    const data = { postId: post.id, pageId: cover!.id, version: 1, cover: null };
    const enqueue = vi.spyOn(deps.queues, 'enqueueRenders').mockResolvedValueOnce(undefined);
    expect(await renderPage(data, { attemptsMade: 0, maxAttempts: 3 }, deps)).toBe('completed');
    const calls = provider.calls.length;
    // The cover is recorded, but the pages it releases never reached the queue (the worker died in between).
    expect(enqueue).toHaveBeenCalledTimes(1);
    const queue = deps.queues.image('fake');
    expect(await queue.getJob(pageJobId(post.id, page!.id, 1))).toBeUndefined();
    // The stalled cover job runs again: nothing to render, but the page is queued now.
    expect(await renderPage(data, { attemptsMade: 0, attemptsStarted: 2, maxAttempts: 3 }, deps)).toBe(
      'skipped',
    );
    enqueue.mockRestore();
    const job = await queue.getJob(pageJobId(post.id, page!.id, 1));
    expect(job?.data).toMatchObject({
      postId: post.id,
      pageId: page!.id,
      cover: { pageId: cover!.id, version: 1 },
    });
    expect(provider.calls.length).toBe(calls);
  });

  it('keeps a paid image and tries storing it again while storage refuses writes, instead of paying twice', async () => {
    const post = await queuedPost();
    const cover = post.pages[0]!;
    const data = { postId: post.id, pageId: cover.id, version: 1, cover: null };
    const put = storage.put.bind(storage);
    const refusals = vi
      .spyOn(storage, 'put')
      .mockRejectedValueOnce(new Error('503 SlowDown'))
      .mockRejectedValueOnce(new Error('503 SlowDown'))
      .mockImplementation(put);
    const before = provider.calls.length;
    const outcome = await renderPage(
      data,
      { attemptsMade: 0, maxAttempts: 3 },
      { ...deps, storeRetryDelaysMs: [10, 10, 10] },
    );
    refusals.mockRestore();
    expect(outcome).toBe('completed');
    expect(provider.calls.length - before).toBe(1);
    expect(await storage.exists(storageKeys.pageImage(post.id, cover.id, 1, 'png'))).toBe(true);
  });

  it('gives the job back for a retry once storage has refused for longer than its patience', async () => {
    const post = await queuedPost();
    const cover = post.pages[0]!;
    const data = { postId: post.id, pageId: cover.id, version: 1, cover: null };
    const refusals = vi.spyOn(storage, 'put').mockRejectedValue(new Error('503 SlowDown'));
    const run = renderPage(
      data,
      { attemptsMade: 0, maxAttempts: 3 },
      { ...deps, storeRetryDelaysMs: [5, 5] },
    );
    await expect(run).rejects.toBeInstanceOf(RetryLater);
    expect(refusals).toHaveBeenCalledTimes(3);
    refusals.mockRestore();
  });

  it('records where the thumbnail belongs without making it (the API makes it on its first request)', async () => {
    const post = await queuedPost();
    const cover = post.pages[0]!;
    const data = { postId: post.id, pageId: cover.id, version: 1, cover: null };
    expect(await renderPage(data, { attemptsMade: 0, maxAttempts: 3 }, deps)).toBe('completed');
    const thumbKey = storageKeys.pageThumb(post.id, cover.id, 1);
    expect((await deps.store.get(post.id))?.pages[0]?.image.versions[0]?.thumbKey).toBe(thumbKey);
    expect(await storage.exists(thumbKey)).toBe(false);
  });

  it('reuses an image a dead worker already stored instead of paying for it again', async () => {
    const post = await queuedPost();
    const cover = post.pages[0]!;
    await storage.put(
      storageKeys.pageImage(post.id, cover.id, 1, 'png'),
      encodePng(2, 2, () => [0, 0, 0, 255]),
      'image/png',
    );
    const before = provider.calls.length;
    const data = { postId: post.id, pageId: cover.id, version: 1, cover: null };
    expect(await renderPage(data, { attemptsMade: 1, maxAttempts: 3 }, deps)).toBe('reused');
    expect(provider.calls.length).toBe(before);
    const image = (await deps.store.get(post.id))?.pages[0]?.image;
    expect(image?.status).toBe('completed');
    expect(image?.versions[0]?.thumbKey).toBe(storageKeys.pageThumb(post.id, cover.id, 1));
  });

  it('sends the cover version named in the job as the first reference', async () => {
    const post = await queuedPost();
    const [cover, page] = post.pages;
    await renderPage(
      { postId: post.id, pageId: cover!.id, version: 1, cover: null },
      { attemptsMade: 0, maxAttempts: 3 },
      deps,
    );
    const coverBytes = await storage.getBuffer(storageKeys.pageImage(post.id, cover!.id, 1, 'png'));
    await renderPage(
      { postId: post.id, pageId: page!.id, version: 1, cover: { pageId: cover!.id, version: 1 } },
      { attemptsMade: 0, maxAttempts: 3 },
      deps,
    );
    const last = provider.calls.at(-1)!;
    expect(last.pageIndex).toBe(1);
    expect(last.references[0]?.role).toBe('cover');
    expect(last.references[0]?.bytes.equals(coverBytes!)).toBe(true);
  });

  describe('with a provider on the wire', () => {
    let fake: FakeProvider;
    const dir = mkdtempSync(join(tmpdir(), 'inkpost-render-page-'));

    beforeAll(async () => {
      fake = await startFakeProvider();
    });
    afterAll(async () => {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** An image_api provider named `fake` posting to `endpointType` of the fake, loaded as the worker loads it. */
    function imageApi(endpointType: string): ImageProvider {
      const file = join(dir, `${endpointType.replaceAll('/', '_')}.yaml`);
      const entry = {
        type: 'image_api',
        api_key: 'k',
        base_url: fake.url,
        model: 'm',
        endpoint_type: endpointType,
      };
      writeFileSync(file, JSON.stringify({ active_provider: 'fake', providers: { fake: entry } }));
      return createImageProvider(loadImageProviders(file, {}, 4).providers.get('fake')!);
    }

    /** Renders the cover with the counting provider, then the second page with `wire`; the storage reads of that. */
    async function secondPageWith(wire: ImageProvider) {
      const post = await queuedPost();
      const [cover, page] = post.pages;
      await renderPage(
        { postId: post.id, pageId: cover!.id, version: 1, cover: null },
        { attemptsMade: 0, maxAttempts: 3 },
        deps,
      );
      const coverKey = storageKeys.pageImage(post.id, cover!.id, 1, 'png');
      const reads = vi.spyOn(storage, 'getBuffer');
      fake.reset();
      try {
        const outcome = await renderPage(
          { postId: post.id, pageId: page!.id, version: 1, cover: { pageId: cover!.id, version: 1 } },
          { attemptsMade: 0, maxAttempts: 3 },
          { ...deps, providerFor: () => wire },
        );
        expect(outcome).toBe('completed');
        return { coverKey, reads: reads.mock.calls.map(([key]) => key), requests: fake.requests };
      } finally {
        reads.mockRestore();
      }
    }

    it('never reads the cover for a generations-only provider, which would not send it', async () => {
      const wire = imageApi('/v1/images/generations');
      expect(wire.usesReferences).toBe(false);
      const { coverKey, reads, requests } = await secondPageWith(wire);
      expect(reads).not.toContain(coverKey);
      expect(requests.map((r) => r.path)).toEqual(['/v1/images/generations']);
      expect(requests[0]!.json.prompt).not.toContain('attached image');
    });

    it('still sends the cover to an edits provider', async () => {
      const wire = imageApi('/v1/images/edits');
      expect(wire.usesReferences).toBe(true);
      const { coverKey, reads, requests } = await secondPageWith(wire);
      expect(reads).toContain(coverKey);
      expect(requests.map((r) => r.path)).toEqual(['/v1/images/edits']);
      const coverBytes = await storage.getBuffer(coverKey);
      expect(requests[0]!.files?.map((f) => f.field)).toEqual(['image[]']);
      expect(requests[0]!.files?.[0]?.data.equals(coverBytes!)).toBe(true);
    });
  });

  it('retries retryable provider errors, then fails the page with the provider message on the last attempt', async () => {
    const post = await queuedPost();
    const failing = new ProviderError('fake failed with 500', {
      code: 'provider_unavailable',
      status: 500,
      retryable: true,
    });
    const broken = {
      ...deps,
      providerFor: () => ({
        name: 'fake',
        type: 'fake',
        usesReferences: false,
        render: async () => Promise.reject(failing),
      }),
    };
    const data = { postId: post.id, pageId: post.pages[0]!.id, version: 1, cover: null };
    await expect(renderPage(data, { attemptsMade: 0, maxAttempts: 2 }, broken)).rejects.toBeInstanceOf(
      RetryLater,
    );
    expect(await renderPage(data, { attemptsMade: 1, maxAttempts: 2 }, broken)).toBe('failed');
    const after = await deps.store.get(post.id);
    expect(after?.pages[0]?.image.error).toEqual({
      code: 'provider_unavailable',
      message: 'fake failed with 500',
      retryable: true,
    });
    expect(after?.pages[1]?.image.error?.code).toBe('cover_failed');
    expect(after?.status).toBe('failed');
  });

  it('pauses the provider for a 429 with Retry-After instead of failing the page', async () => {
    const post = await queuedPost();
    const limited = new ProviderError('429', {
      code: 'rate_limited',
      status: 429,
      retryable: true,
      retryAfterMs: 7000,
    });
    const broken = {
      ...deps,
      providerFor: () => ({
        name: 'fake',
        type: 'fake',
        usesReferences: false,
        render: async () => Promise.reject(limited),
      }),
    };
    const data = { postId: post.id, pageId: post.pages[0]!.id, version: 1, cover: null };
    await expect(renderPage(data, { attemptsMade: 0, maxAttempts: 3 }, broken)).rejects.toBeInstanceOf(
      RateLimited,
    );
    expect(paused).toContain(7000);
    expect((await deps.store.get(post.id))?.pages[0]?.image.status).toBe('generating');
  });

  it('fails at once, not retryable, for a refused key', async () => {
    const post = await queuedPost();
    const refused = new ProviderError('fake refused the API key (401)', {
      code: 'provider_auth',
      status: 401,
      retryable: false,
    });
    const broken = {
      ...deps,
      providerFor: () => ({
        name: 'fake',
        type: 'fake',
        usesReferences: false,
        render: async () => Promise.reject(refused),
      }),
    };
    const data = { postId: post.id, pageId: post.pages[0]!.id, version: 1, cover: null };
    expect(await renderPage(data, { attemptsMade: 0, maxAttempts: 3 }, broken)).toBe('failed');
    expect((await deps.store.get(post.id))?.pages[0]?.image.error).toMatchObject({
      code: 'provider_auth',
      retryable: false,
    });
  });
});

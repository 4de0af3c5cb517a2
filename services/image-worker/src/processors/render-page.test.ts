import { createLogger, createRedis, PostStore, planGeneration, Queues, S3Storage } from '@inkpost/core';
import { samplePost } from '@inkpost/core/test-fixtures';
import type { ImageProvider, RenderRequest } from '@inkpost/providers';
import { ProviderError } from '@inkpost/providers';
import { storageKeys } from '@inkpost/shared';
import {
  cleanupRedisPrefix,
  createS3Client,
  emptyAndDeleteBucket,
  encodePng,
  randomBucket,
  randomPrefix,
  testEnv,
} from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimited, type RenderDeps, RetryLater, renderPage } from './render-page.js';

class CountingProvider implements ImageProvider {
  readonly name = 'fake';
  readonly type = 'fake';
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
    expect((await deps.store.get(post.id))?.pages[0]?.image.status).toBe('completed');
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

  it('retries retryable provider errors, then fails the page with the provider message on the last attempt', async () => {
    const post = await queuedPost();
    const failing = new ProviderError('fake failed with 500', {
      code: 'provider_unavailable',
      status: 500,
      retryable: true,
    });
    const broken = {
      ...deps,
      providerFor: () => ({ name: 'fake', type: 'fake', render: async () => Promise.reject(failing) }),
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
      providerFor: () => ({ name: 'fake', type: 'fake', render: async () => Promise.reject(limited) }),
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
      providerFor: () => ({ name: 'fake', type: 'fake', render: async () => Promise.reject(refused) }),
    };
    const data = { postId: post.id, pageId: post.pages[0]!.id, version: 1, cover: null };
    expect(await renderPage(data, { attemptsMade: 0, maxAttempts: 3 }, broken)).toBe('failed');
    expect((await deps.store.get(post.id))?.pages[0]?.image.error).toMatchObject({
      code: 'provider_auth',
      retryable: false,
    });
  });
});

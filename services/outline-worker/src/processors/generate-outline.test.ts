import { createLogger, createRedis, PostStore, Queues, S3Storage } from '@inkpost/core';
import { samplePost } from '@inkpost/core/test-fixtures';
import { ProviderError, type TextClient, type TextRequest } from '@inkpost/providers';
import { loadImageProviders, loadTextProviders, type PostRecord } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOutline, type OutlineDeps } from './generate-outline.js';

const OUTLINE = '[封面]\n标题\n<page>\n[内容]\n要点一\n<page>\n[总结]\n收尾';

describe('generateOutline', () => {
  const prefix = randomPrefix();
  let redis: Redis;
  let base: OutlineDeps;

  beforeAll(() => {
    redis = createRedis(testEnv().redisUrl, 'worker');
    base = {
      store: new PostStore(redis, prefix),
      queues: new Queues(redis, prefix),
      storage: new S3Storage({ ...testEnv().s3, bucket: 'unused-bucket', forcePathStyle: true }),
      textProviders: loadTextProviders(undefined, {}),
      log: createLogger('test', 'silent'),
      attemptsFor: () => 3,
      clientFor: () => null,
    };
    const models = { active: 'model', providers: new Map(base.textProviders.providers) };
    models.providers.set('model', {
      ...models.providers.get('local')!,
      name: 'model',
      type: 'openai_compatible',
    });
    base.textProviders = models;
    void loadImageProviders;
  });
  afterAll(async () => {
    await base.queues.close();
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
    await redis.quit();
  });

  async function outliningPost(textProvider = 'model'): Promise<PostRecord> {
    const post = { ...samplePost([]), status: 'outlining' as const, outlineAttempt: 1, textProvider };
    await base.store.create(post);
    return post;
  }

  const client = (answer: (req: TextRequest) => Promise<string>): TextClient => ({
    complete: async (req) => ({ text: await answer(req), tokensIn: 11, tokensOut: 22 }),
  });

  it('writes the pages from the model and counts its tokens', async () => {
    const post = await outliningPost();
    const deps = { ...base, clientFor: () => client(async () => OUTLINE) };
    expect(
      await generateOutline({ postId: post.id, attempt: 1 }, { attemptsMade: 0, maxAttempts: 3 }, deps),
    ).toBe('outlined');
    const after = await base.store.get(post.id);
    expect(after?.status).toBe('outlined');
    expect(after?.pages.map((p) => p.type)).toEqual(['cover', 'content', 'summary']);
    expect(after?.usage).toMatchObject({ textTokensIn: 11, textTokensOut: 22, providerCalls: 1 });
    expect(after?.estimate).toEqual({ images: 3, cost: null, currency: null });
    expect(
      await generateOutline({ postId: post.id, attempt: 1 }, { attemptsMade: 0, maxAttempts: 3 }, deps),
    ).toBe('skipped');
  });

  it('writes an offline outline with the local writer', async () => {
    const post = await outliningPost('local');
    expect(
      await generateOutline({ postId: post.id, attempt: 1 }, { attemptsMade: 0, maxAttempts: 3 }, base),
    ).toBe('outlined');
    const after = await base.store.get(post.id);
    expect(after?.pages[0]?.type).toBe('cover');
    expect(after?.usage.providerCalls).toBe(0);
  });

  it('fails the post with a clear error when the model answers something unparseable', async () => {
    const post = await outliningPost();
    const deps = { ...base, clientFor: () => client(async () => '抱歉，我无法完成这个请求。') };
    expect(
      await generateOutline({ postId: post.id, attempt: 1 }, { attemptsMade: 0, maxAttempts: 3 }, deps),
    ).toBe('failed');
    const after = await base.store.get(post.id);
    expect(after?.status).toBe('failed');
    expect(after?.error?.code).toBe('outline_unparseable');
    expect(after?.error?.message).toMatch(/outline/i);
    expect(after?.usage.textTokensOut).toBe(22);
  });

  it('lets BullMQ retry a retryable provider error, and fails the post on the last attempt', async () => {
    const post = await outliningPost();
    const error = new ProviderError('model failed with 503', {
      code: 'provider_unavailable',
      status: 503,
      retryable: true,
    });
    const deps = { ...base, clientFor: () => client(async () => Promise.reject(error)) };
    await expect(
      generateOutline({ postId: post.id, attempt: 1 }, { attemptsMade: 0, maxAttempts: 2 }, deps),
    ).rejects.toBe(error);
    expect((await base.store.get(post.id))?.status).toBe('outlining');
    expect(
      await generateOutline({ postId: post.id, attempt: 1 }, { attemptsMade: 1, maxAttempts: 2 }, deps),
    ).toBe('failed');
    expect((await base.store.get(post.id))?.error).toEqual({
      code: 'provider_unavailable',
      message: 'model failed with 503',
    });
  });

  it('starts the images of an auto-generating post, also when a retry finds the outline already written', async () => {
    const post = { ...(await outliningPost('local')) };
    await base.store.update(post.id, (p) => {
      p.autoGenerate = true;
      p.imageProvider = 'text_card';
      return {};
    });
    const deps = { ...base, clientFor: () => null };
    await generateOutline({ postId: post.id, attempt: 1 }, { attemptsMade: 0, maxAttempts: 3 }, deps);
    const after = await base.store.get(post.id);
    expect(after?.status).toBe('generating');
    expect(after?.pages[0]?.image.status).toBe('queued');
    const jobs = await base.queues.image('text_card').getJobs(['wait', 'prioritized', 'delayed']);
    expect(jobs.filter((j) => j.data.postId === post.id)).toHaveLength(1);
    // A duplicate delivery of the same job queues nothing more.
    await generateOutline({ postId: post.id, attempt: 1 }, { attemptsMade: 1, maxAttempts: 3 }, deps);
    const again = await base.queues.image('text_card').getJobs(['wait', 'prioritized', 'delayed']);
    expect(again.filter((j) => j.data.postId === post.id)).toHaveLength(1);
  });
});

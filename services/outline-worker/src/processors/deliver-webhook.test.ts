import {
  createLogger,
  createRedis,
  PostStore,
  verifyWebhookSignature,
  type WebhookJobData,
  webhookDeliveryId,
} from '@inkpost/core';
import { samplePost } from '@inkpost/core/test-fixtures';
import { type PostRecord, toPostView } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, startWebhookReceiver, testEnv } from '@inkpost/testkit';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverWebhook, type WebhookDeps } from './deliver-webhook.js';

const SECRET = 'whsec_worker_test';
const FIRST = { attemptsMade: 0, maxAttempts: 5 };

describe('deliverWebhook', () => {
  const prefix = randomPrefix();
  let redis: Redis;
  let deps: WebhookDeps;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(() => {
    redis = createRedis(testEnv().redisUrl, 'worker');
    deps = {
      store: new PostStore(redis, prefix),
      secretFor: (tenant) => (tenant === 'local' ? SECRET : 'wrong'),
      allowPrivate: true,
      timeoutMs: 2_000,
      log: createLogger('test', 'silent'),
    };
  });
  afterAll(async () => {
    await Promise.all(closers.map((c) => c()));
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
    await redis.quit();
  });

  async function receiver(opts?: Parameters<typeof startWebhookReceiver>[0]) {
    const r = await startWebhookReceiver(opts);
    closers.push(r.close);
    return r;
  }

  async function completedPost(): Promise<PostRecord> {
    const { post } = await deps.store.create({ ...samplePost(), status: 'completed' });
    return post;
  }

  function job(post: PostRecord, url: string): WebhookJobData {
    const event = {
      id: '1700000000000-7',
      name: 'post.completed' as const,
      data: { status: 'completed', completed: 4, failed: 0 },
    };
    return {
      deliveryId: webhookDeliveryId(post.id, event.id),
      postId: post.id,
      tenant: post.tenant,
      url,
      event,
    };
  }

  it('POSTs the signed event with the current post view and its delivery headers', async () => {
    const hook = await receiver();
    const post = await completedPost();
    const data = job(post, hook.url);
    expect(await deliverWebhook(data, FIRST, deps)).toBe('delivered');
    expect(hook.deliveries).toHaveLength(1);
    const [d] = hook.deliveries;
    expect(d?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Inkpost-Webhooks/1',
      'inkpost-delivery': data.deliveryId,
      'inkpost-event': 'post.completed',
    });
    const signature = String(d?.headers['inkpost-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, d?.body ?? '', signature)).toBe(true);
    expect(verifyWebhookSignature('wrong', d?.body ?? '', signature)).toBe(false);
    const body = JSON.parse(d?.body ?? '{}');
    expect(body).toMatchObject({ id: data.deliveryId, type: 'post.completed', event: data.event });
    expect(body.post).toEqual(JSON.parse(JSON.stringify(toPostView(post))));
    expect(body.post).not.toHaveProperty('tenant');
    expect(body.post).not.toHaveProperty('webhookUrl');
  });

  it('keeps the delivery id across a failed attempt and the retry that succeeds', async () => {
    const hook = await receiver({ failFirst: 1 });
    const data = job(await completedPost(), hook.url);
    await expect(deliverWebhook(data, FIRST, deps)).rejects.toThrow(/answered 500: receiver answered 500/);
    expect(await deliverWebhook(data, { attemptsMade: 1, maxAttempts: 5 }, deps)).toBe('delivered');
    expect(hook.deliveries.map((d) => d.status)).toEqual([500, 200]);
    const ids = hook.deliveries.map((d) => d.headers['inkpost-delivery']);
    expect(ids).toEqual([data.deliveryId, data.deliveryId]);
    for (const d of hook.deliveries) {
      expect(verifyWebhookSignature(SECRET, d.body, String(d.headers['inkpost-signature']))).toBe(true);
    }
  });

  it('sends the post as it is at delivery time, not as it was when the event happened', async () => {
    const hook = await receiver();
    const post = await completedPost();
    await deps.store.update(post.id, (p) => {
      p.topic = 'Renamed later';
      return {};
    });
    await deliverWebhook(job(post, hook.url), FIRST, deps);
    expect(JSON.parse(hook.deliveries[0]?.body ?? '{}').post.topic).toBe('Renamed later');
  });

  it('stops on 410 Gone without throwing', async () => {
    const hook = await receiver({ status: 410 });
    expect(await deliverWebhook(job(await completedPost(), hook.url), FIRST, deps)).toBe('gone');
    expect(hook.deliveries).toHaveLength(1);
  });

  it('returns gone without sending when the post no longer exists', async () => {
    const hook = await receiver();
    const data = job({ ...samplePost(), id: 'post_doesnotexist0000000000' }, hook.url);
    expect(await deliverWebhook(data, FIRST, deps)).toBe('gone');
    expect(hook.deliveries).toHaveLength(0);
  });

  it('skips a job queued for another tenant', async () => {
    const hook = await receiver();
    const data = { ...job(await completedPost(), hook.url), tenant: 'someone-else' };
    expect(await deliverWebhook(data, FIRST, deps)).toBe('skipped');
    expect(hook.deliveries).toHaveLength(0);
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    const hook = await receiver({ status: 302 });
    const data = job(await completedPost(), hook.url);
    await expect(deliverWebhook(data, FIRST, deps)).rejects.toThrow(
      /answered 302 \(redirect to 127\.0\.0\.1:1\); redirects are not followed/,
    );
    expect(hook.deliveries).toHaveLength(1);
  });

  it('refuses a private URL for good unless private addresses are allowed', async () => {
    const hook = await receiver();
    const data = job(await completedPost(), hook.url);
    const err = await deliverWebhook(data, FIRST, { ...deps, allowPrivate: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/127\.0\.0\.1.*loopback/);
    const ftp = { ...data, url: 'ftp://example.com/hook' };
    await expect(deliverWebhook(ftp, FIRST, deps)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(hook.deliveries).toHaveLength(0);
  });

  it('throws a retryable error when the receiver is too slow', async () => {
    const hook = await receiver({ delayMs: 2_000 });
    const data = job(await completedPost(), hook.url);
    const err = await deliverWebhook(data, FIRST, { ...deps, timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/timed out after 150 ms/);
  });

  it('throws a retryable error when nothing listens', async () => {
    const hook = await receiver();
    await hook.close();
    const data = job(await completedPost(), hook.url);
    const err = await deliverWebhook(data, FIRST, deps).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/request failed: ECONNREFUSED/);
  });

  it('keeps the error short when the receiver answers with a long body', async () => {
    const long = 'x'.repeat(5_000);
    const fake = (async () => new Response(long, { status: 503 })) as typeof fetch;
    const data = job(await completedPost(), 'https://hooks.example.com/x');
    const err = (await deliverWebhook(data, FIRST, { ...deps, fetch: fake }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toBe(`webhook answered 503: ${'x'.repeat(200)}`);
  });
});

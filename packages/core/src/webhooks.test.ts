import type { StoredEvent } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from './redis.js';
import { samplePost } from './test-fixtures.js';
import {
  assertPublicUrl,
  signWebhook,
  verifyWebhookSignature,
  WebhookJobData,
  WebhookUrlError,
  webhookBody,
  webhookDeliveryId,
  webhookJobFor,
  webhookSecretFor,
} from './webhooks.js';

const SECRET = 'whsec_test';
const NOW = 1_760_000_000;

describe('webhook signatures', () => {
  const body = JSON.stringify({ hello: 'world', emoji: '小红书' });

  it('signs as t=<digits>,v1=<64 hex> and verifies the round trip', () => {
    const header = signWebhook(SECRET, body, NOW);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(header.startsWith(`t=${NOW},`)).toBe(true);
    expect(verifyWebhookSignature(SECRET, body, header, 300, NOW)).toBe(true);
    expect(verifyWebhookSignature(SECRET, body, header, 300, NOW + 299)).toBe(true);
  });

  it('rejects a tampered body, a wrong secret, an old or future timestamp and junk headers', () => {
    const header = signWebhook(SECRET, body, NOW);
    expect(verifyWebhookSignature(SECRET, `${body} `, header, 300, NOW)).toBe(false);
    expect(verifyWebhookSignature('other', body, header, 300, NOW)).toBe(false);
    expect(verifyWebhookSignature(SECRET, body, header, 300, NOW + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, body, header, 300, NOW - 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, body, header.replace(`t=${NOW}`, `t=${NOW + 1}`), 300, NOW)).toBe(
      false,
    );
    for (const junk of ['', 'v1=abc', `t=${NOW}`, `t=${NOW},v1=zz`, `t=abc,v1=${'0'.repeat(64)}`]) {
      expect(verifyWebhookSignature(SECRET, body, junk, 300, NOW)).toBe(false);
    }
  });

  it('accepts any matching v1 so secrets can be rotated', () => {
    const v1 = signWebhook(SECRET, body, NOW).split(',v1=')[1];
    const header = `t=${NOW},v1=${'0'.repeat(64)},v1=${v1}`;
    expect(verifyWebhookSignature(SECRET, body, header, 300, NOW)).toBe(true);
  });

  it('picks the tenant secret, falls back to the default, and refuses to sign with none', () => {
    const secrets = new Map([['acme', 'acme-secret']]);
    expect(webhookSecretFor('acme', secrets, 'default')).toBe('acme-secret');
    expect(webhookSecretFor('other', secrets, 'default')).toBe('default');
    expect(() => webhookSecretFor('other', secrets, '')).toThrow(/WEBHOOK_SECRET/);
  });
});

describe('webhook delivery ids and jobs', () => {
  const prefix = randomPrefix();
  afterAll(() => cleanupRedisPrefix(testEnv().redisUrl, prefix));

  it('is deterministic, keeps stream ids readable and never contains ":"', () => {
    const id = webhookDeliveryId('post_abc-DEF_123', '1700000000000-0');
    expect(id).toBe('whd_post_abc-DEF_123_1700000000000-0');
    expect(webhookDeliveryId('post_abc-DEF_123', '1700000000000-0')).toBe(id);
    expect(webhookDeliveryId('post_abc-DEF_123', '1700000000000-1')).not.toBe(id);
    expect(webhookDeliveryId('p:x', 'e:y')).not.toContain(':');
  });

  it('is accepted as a BullMQ job id, and adding it again does not duplicate the job', async () => {
    const redis = createRedis(testEnv().redisUrl, 'worker');
    const queue = new Queue('webhook', { connection: redis, prefix: `{${prefix}}` });
    try {
      const id = webhookDeliveryId(samplePost().id, '1700000000000-0');
      const first = await queue.add('webhook.deliver', { n: 1 }, { jobId: id });
      const again = await queue.add('webhook.deliver', { n: 2 }, { jobId: id });
      expect(first.id).toBe(id);
      expect(again.id).toBe(id);
      expect((await queue.getJob(id))?.data).toEqual({ n: 1 });
      expect(await queue.getJobCounts('wait')).toEqual({ wait: 1 });
    } finally {
      await queue.close();
      await redis.quit();
    }
  });

  it('builds a job only for terminal events of a post with a URL, and the schema accepts it', () => {
    const post = samplePost();
    const event = { id: '1700000000000-3', name: 'post.cancelled', data: {} } as StoredEvent;
    const job = webhookJobFor(post, event, 'https://example.com/hook', 'req-1');
    expect(job).toEqual({
      deliveryId: webhookDeliveryId(post.id, event.id),
      postId: post.id,
      tenant: post.tenant,
      url: 'https://example.com/hook',
      event: { id: event.id, name: 'post.cancelled', data: {} },
      requestId: 'req-1',
    });
    expect(WebhookJobData.parse(job)).toEqual(job);
    expect(webhookJobFor(post, event, null)).toBeNull();
    const status = { id: '1-0', name: 'post.status', data: { status: 'completed' } } as StoredEvent;
    expect(webhookJobFor(post, status, 'https://example.com/hook')).toBeNull();
    expect(() => WebhookJobData.parse({ ...job, event: { ...status } })).toThrow();
  });

  it('puts the delivery id, the event, its time and the post in the body', () => {
    const event = { id: '1700000000000-3', name: 'post.failed' as const, data: { error: { code: 'x' } } };
    const view = { id: 'post_1' } as never;
    expect(JSON.parse(webhookBody(event, view, 'whd_1'))).toEqual({
      id: 'whd_1',
      type: 'post.failed',
      createdAt: new Date(1_700_000_000_000).toISOString(),
      event,
      post: { id: 'post_1' },
    });
  });
});

describe('assertPublicUrl', () => {
  const resolvesTo =
    (...addresses: string[]) =>
    async () =>
      addresses;

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private 10.0.0.0/8'],
    ['172.16.0.1', 'private 172.16.0.0/12'],
    ['172.31.255.254', 'private 172.16.0.0/12'],
    ['192.168.1.1', 'private 192.168.0.0/16'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', '"this network"'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved/broadcast'],
    ['::1', 'loopback ::1/128'],
    ['::', 'unspecified'],
    ['fd00::1', 'unique-local'],
    ['fc12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local fe80::/10'],
    ['ff02::1', 'multicast'],
    ['::ffff:10.0.0.1', 'private 10.0.0.0/8'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::192.168.0.1', 'private 192.168.0.0/16'],
  ])('refuses a host resolving to %s (%s)', async (address, label) => {
    const err = await assertPublicUrl('https://hooks.example.com/x', { lookup: resolvesTo(address) }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WebhookUrlError);
    expect((err as WebhookUrlError).code).toBe('forbidden_address');
    expect((err as Error).message).toContain(`resolves to ${address}`);
    expect((err as Error).message).toContain(label);
  });

  it('refuses when any one of several addresses is private', async () => {
    const lookup = resolvesTo('93.184.216.34', '10.0.0.1');
    await expect(assertPublicUrl('https://hooks.example.com/', { lookup })).rejects.toThrow(/10\.0\.0\.1/);
  });

  it('checks IP literals without a lookup, including encodings the URL parser normalises', async () => {
    const lookup = async (): Promise<string[]> => {
      throw new Error('lookup must not be called for an IP literal');
    };
    for (const url of ['http://127.0.0.1/', 'http://[::1]:8080/', 'http://0x7f.1/', 'http://2130706433/']) {
      await expect(assertPublicUrl(url, { lookup })).rejects.toThrow(/loopback/);
    }
    await expect(assertPublicUrl('http://[fd00::5]/', { lookup })).rejects.toThrow(/unique-local/);
    await expect(assertPublicUrl('https://8.8.8.8/hook', { lookup })).resolves.toBeUndefined();
  });

  it('accepts public addresses, v4 and v6', async () => {
    for (const address of ['93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111']) {
      await expect(
        assertPublicUrl('https://hooks.example.com/x', { lookup: resolvesTo(address) }),
      ).resolves.toBeUndefined();
    }
  });

  it('refuses other schemes and invalid URLs even when private addresses are allowed', async () => {
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'not a url']) {
      await expect(assertPublicUrl(url, { allowPrivate: true })).rejects.toMatchObject({
        code: 'invalid_url',
      });
    }
    await expect(assertPublicUrl('ftp://example.com/')).rejects.toThrow(/http or https, not ftp:/);
  });

  it('allows private addresses when asked to', async () => {
    await expect(assertPublicUrl('http://127.0.0.1:9/', { allowPrivate: true })).resolves.toBeUndefined();
  });

  it('reports a host that does not resolve as unresolvable', async () => {
    const lookup = async (): Promise<string[]> => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await expect(assertPublicUrl('https://nowhere.invalid/', { lookup })).rejects.toMatchObject({
      code: 'unresolvable',
      message: expect.stringContaining('ENOTFOUND'),
    });
    await expect(assertPublicUrl('https://x.example/', { lookup: resolvesTo() })).rejects.toMatchObject({
      code: 'unresolvable',
    });
  });

  it('uses the system resolver by default (localhost is loopback)', async () => {
    await expect(assertPublicUrl('http://localhost:1234/')).rejects.toThrow(/loopback/);
  });
});

import { postEvent } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostStore, parsePublished } from './post-store.js';
import { createRedis } from './redis.js';
import { samplePost } from './test-fixtures.js';

describe('PostStore on a real Redis', () => {
  let redis: Redis;
  let store: PostStore;
  const prefix = randomPrefix();

  beforeAll(() => {
    redis = createRedis(testEnv().redisUrl, 'request');
    store = new PostStore(redis, prefix);
  });
  afterAll(async () => {
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
    await redis.quit();
  });

  it('never loses a concurrent update', async () => {
    const { post } = await store.create(samplePost());
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.update(post.id, (p) => {
          p.usage.providerCalls += 1;
          return { events: [postEvent('page.started', { index: i, pageId: `pg_${i}` })] };
        }),
      ),
    );
    const final = await store.get(post.id);
    expect(final?.usage.providerCalls).toBe(40);
    expect(final?.revision).toBe(41);
    const events = await store.eventsAfter(post.id, '0-0');
    expect(events).toHaveLength(40);
    expect(new Set(events.map((e) => (e.data as { index: number }).index)).size).toBe(40);
  });

  it('appends events in revision order and publishes them', async () => {
    const { post } = await store.create(samplePost(), [postEvent('post.status', { status: 'outlined' })]);
    const sub = redis.duplicate();
    const received: string[] = [];
    sub.on('message', (_c: string, m: string) => received.push(parsePublished(m)!.name));
    await sub.subscribe(store.channel(post.id));
    await store.update(post.id, () => ({ events: [postEvent('post.status', { status: 'generating' })] }));
    await new Promise((r) => setTimeout(r, 50));
    await sub.quit();
    expect(received).toEqual(['post.status']);
    const snap = await store.snapshot(post.id);
    expect(snap?.post.revision).toBe(2);
    const all = await store.eventsAfter(post.id, '0-0');
    expect(snap?.lastEventId).toBe(all.at(-1)?.id);
    expect(all.map((e) => e.data)).toEqual([{ status: 'outlined' }, { status: 'generating' }]);
  });

  it('writes nothing when a mutation changes nothing', async () => {
    const { post } = await store.create(samplePost());
    const outcome = await store.update(post.id, () => ({ unchanged: true }));
    expect(outcome.changed).toBe(false);
    expect((await store.get(post.id))?.revision).toBe(1);
  });

  it('refuses to create the same id twice', async () => {
    const post = samplePost();
    await store.create(post);
    await expect(store.create(post)).rejects.toThrow(/already exists/);
  });

  it('keeps two prefixes apart on one Redis', async () => {
    const other = new PostStore(redis, randomPrefix());
    const { post } = await store.create(samplePost());
    expect(await other.get(post.id)).toBeNull();
  });
});

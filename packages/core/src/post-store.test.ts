import { postEvent } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

  it('never loses a concurrent update from other processes', async () => {
    const { post } = await store.create(samplePost());
    // A store per writer, each on its own connection: these updates can only meet in the compare-and-set.
    const connections = Array.from({ length: 8 }, () => createRedis(testEnv().redisUrl, 'request'));
    const writers = connections.map((c) => new PostStore(c, prefix));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writers[i % writers.length]!.update(post.id, (p) => {
          p.usage.providerCalls += 1;
          return { events: [postEvent('page.started', { index: i, pageId: `pg_${i}` })] };
        }),
      ),
    );
    await Promise.all(connections.map((c) => c.quit()));
    const final = await store.get(post.id);
    expect(final?.usage.providerCalls).toBe(40);
    const events = await store.eventsAfter(post.id, '0-0');
    expect(events).toHaveLength(40);
    expect(new Set(events.map((e) => (e.data as { index: number }).index)).size).toBe(40);
    // Every commit is one revision; a process's queued updates may share one.
    expect(final?.revision).toBeGreaterThan(writers.length);
    expect(final?.revision).toBeLessThanOrEqual(41);
  });

  it("commits one process's simultaneous updates of a post together, each with its own events and value", async () => {
    const { post } = await store.create(samplePost());
    const casCalls = vi.spyOn(redis, 'inkpostCas');
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update(post.id, (p) => {
          p.usage.providerCalls += 1;
          return {
            value: p.usage.providerCalls,
            events: [postEvent('page.started', { index: i, pageId: `pg_${i}` })],
          };
        }),
      ),
    );
    const writes = casCalls.mock.calls.length;
    casCalls.mockRestore();
    // The first update goes alone; the 19 queued behind it go as one write.
    expect(writes).toBe(2);
    const final = await store.get(post.id);
    expect(final?.usage.providerCalls).toBe(20);
    expect(final?.revision).toBe(3);
    // Applied in call order, each seeing the ones before it.
    expect(outcomes.map((o) => o.value)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const stored = await store.eventsAfter(post.id, '0-0');
    expect(outcomes.map((o) => o.events.map((e) => e.id))).toEqual(stored.map((e) => [e.id]));
    expect(outcomes.map((o) => (o.events[0]?.data as { index: number } | undefined)?.index)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it('fails only the update whose mutator throws or breaks the record; the others in its batch commit', async () => {
    const { post } = await store.create(samplePost());
    const bump = () =>
      store.update(post.id, (p) => {
        p.usage.providerCalls += 1;
        return {};
      });
    const [a, throwing, invalid, unchanged, b] = await Promise.allSettled([
      bump(),
      store.update(post.id, () => {
        throw new Error('no such page');
      }),
      store.update(post.id, (p) => {
        (p as { status: string }).status = 'not-a-status';
        return {};
      }),
      store.update(post.id, () => ({ unchanged: true, value: 'same' })),
      bump(),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('fulfilled');
    expect(throwing.status === 'rejected' && String(throwing.reason)).toMatch(/no such page/);
    expect(invalid.status).toBe('rejected');
    expect(unchanged.status === 'fulfilled' && unchanged.value).toMatchObject({
      changed: false,
      value: 'same',
    });
    const final = await store.get(post.id);
    expect(final?.usage.providerCalls).toBe(2);
    expect(final?.status).toBe(post.status);
  });

  it('rejects every queued update of a post that does not exist', async () => {
    const missing = Array.from({ length: 3 }, () => store.update('post_missing', () => ({})));
    for (const m of missing) await expect(m).rejects.toThrow(/not found/);
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

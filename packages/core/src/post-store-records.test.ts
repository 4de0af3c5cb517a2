import { type PostRecord, PostRecord as PostRecordSchema, type PostStatus } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PostStore, UnreadablePostError } from './post-store.js';
import { createRedis } from './redis.js';
import { samplePost } from './test-fixtures.js';

/** A record as code from before `copyState` existed wrote it: no stamp, no copyState. */
function olderShape(post: PostRecord): string {
  const { copyState: _copyState, ...older } = post;
  return JSON.stringify({ ...older, revision: 1 });
}

describe('PostStore records: validated on write, parsed by zod on read only when not stamped', () => {
  let redis: Redis;
  let store: PostStore;
  const prefix = randomPrefix();

  const writeRaw = (id: string, json: string) => redis.hset(store.postKey(id), 'json', json, 'rev', '1');

  beforeAll(() => {
    redis = createRedis(testEnv().redisUrl, 'request');
    store = new PostStore(redis, prefix);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
    await redis.quit();
  });

  it('reads back what it wrote without running zod, and without the stamp', async () => {
    const { post } = await store.create(samplePost());
    const { post: updated } = await store.update(post.id, (p) => {
      p.topic = 'Changed';
      return {};
    });
    const safeParse = vi.spyOn(PostRecordSchema, 'safeParse');
    const parse = vi.spyOn(PostRecordSchema, 'parse');
    const read = await store.get(post.id);
    expect(read).toEqual(updated);
    expect(read).not.toHaveProperty('~schema');
    expect((await store.snapshot(post.id))?.post).toEqual(updated);
    expect(await store.getMany([post.id])).toEqual([updated]);
    expect(safeParse).not.toHaveBeenCalled();
    expect(parse).not.toHaveBeenCalled();
  });

  it('upgrades a record written by older code with the schema defaults', async () => {
    const post = samplePost();
    await writeRaw(post.id, olderShape(post));
    const defaults = { status: 'none', attempt: 0, error: null };
    expect((await store.get(post.id))?.copyState).toEqual(defaults);
    expect((await store.snapshot(post.id))?.post.copyState).toEqual(defaults);
    expect((await store.getMany([post.id]))[0]?.copyState).toEqual(defaults);
  });

  it('does not trust a stamp from another schema: such a record is parsed and upgraded', async () => {
    const post = samplePost();
    const other = JSON.stringify({ '~schema': 'another-schema', ...JSON.parse(olderShape(post)) });
    await writeRaw(post.id, other);
    expect((await store.get(post.id))?.copyState).toEqual({ status: 'none', attempt: 0, error: null });
  });

  it('updates an older record and stores it in the current shape', async () => {
    const post = samplePost();
    await writeRaw(post.id, olderShape(post));
    await store.update(post.id, (p) => {
      p.topic = 'Upgraded';
      return {};
    });
    const safeParse = vi.spyOn(PostRecordSchema, 'safeParse');
    const read = await store.get(post.id);
    expect(read).toMatchObject({ topic: 'Upgraded', copyState: { status: 'none' }, revision: 2 });
    expect(safeParse).not.toHaveBeenCalled();
  });

  it('answers corrupt JSON with an error naming the post, not a crash', async () => {
    const post = samplePost();
    await writeRaw(post.id, '{"id": "half a record');
    const failure = store.get(post.id);
    await expect(failure).rejects.toBeInstanceOf(UnreadablePostError);
    await expect(failure).rejects.toThrow(`post ${post.id}: the stored record is not valid JSON`);
  });

  it('answers JSON that is not a post record with an error naming the post and the field', async () => {
    const post = samplePost();
    await writeRaw(post.id, JSON.stringify({ ...JSON.parse(olderShape(post)), status: 'lost' }));
    await expect(store.get(post.id)).rejects.toThrow(
      new RegExp(`post ${post.id}: the stored record is not a post record:[\\s\\S]*status`),
    );
  });

  it('refuses to write a record that breaks the schema, and writes nothing', async () => {
    const post = { ...samplePost(), status: 'lost' as PostStatus };
    await expect(store.create(post)).rejects.toThrow(/status/);
    expect(await store.get(post.id)).toBeNull();

    const { post: created } = await store.create(samplePost());
    await expect(
      store.update(created.id, (p) => {
        p.usage.imagesGenerated = 1.5;
        return {};
      }),
    ).rejects.toThrow(/imagesGenerated/);
    expect(await store.get(created.id)).toEqual(created);
  });

  it('validates and stamps a record restored from a manifest', async () => {
    const post = { ...samplePost(), revision: 7 };
    expect(await store.restore(post)).toBe('restored');
    const safeParse = vi.spyOn(PostRecordSchema, 'safeParse');
    expect(await store.get(post.id)).toEqual(post);
    expect(safeParse).not.toHaveBeenCalled();
    await expect(store.restore({ ...samplePost(), revision: 2, createdAt: 5 as never })).rejects.toThrow(
      /createdAt/,
    );
  });
});

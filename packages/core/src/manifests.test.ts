import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storageKeys } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManifestWriter, readManifest } from './manifests.js';
import { PostStore } from './post-store.js';
import { createRedis } from './redis.js';
import { FsStorage } from './storage.js';
import { samplePost } from './test-fixtures.js';

describe('ManifestWriter', () => {
  let redis: Redis;
  let store: PostStore;
  let storage: FsStorage;
  let dir: string;
  const prefix = randomPrefix();

  beforeAll(async () => {
    redis = createRedis(testEnv().redisUrl, 'request');
    store = new PostStore(redis, prefix);
    dir = await mkdtemp(path.join(tmpdir(), 'inkpost-manifests-'));
    storage = new FsStorage(dir);
  });
  afterAll(async () => {
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a busy post once per delay, with its newest revision, and a post coming to rest at once', async () => {
    const manifests = new ManifestWriter(store, storage, pino({ level: 'silent' }), 200);
    const puts = vi.spyOn(storage, 'put');
    const { post } = await store.create({ ...samplePost(), status: 'generating' });
    manifests.committed(post);
    for (let i = 0; i < 5; i++) {
      const { post: next } = await store.update(post.id, (p) => {
        p.usage.providerCalls += 1;
        return {};
      });
      manifests.committed(next);
    }
    expect(puts).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 300));
    await manifests.flush();
    expect(puts).toHaveBeenCalledTimes(1);
    expect((await readManifest(storage, storageKeys.manifest(post.id)))?.revision).toBe(6);

    const { post: done } = await store.update(post.id, (p) => {
      p.status = 'completed';
      return {};
    });
    manifests.committed(done);
    await manifests.flush();
    expect(puts).toHaveBeenCalledTimes(2);
    expect((await readManifest(storage, storageKeys.manifest(post.id)))?.status).toBe('completed');
  });

  it('writes what is gathered when flushed (at shutdown) without waiting for the delay', async () => {
    const manifests = new ManifestWriter(store, storage, pino({ level: 'silent' }), 60_000);
    const { post } = await store.create({ ...samplePost(), status: 'generating' });
    manifests.committed(post);
    await manifests.flush();
    expect((await readManifest(storage, storageKeys.manifest(post.id)))?.revision).toBe(1);
  });

  it('leaves no manifest behind for a post deleted while it was written', async () => {
    const manifests = new ManifestWriter(store, storage, pino({ level: 'silent' }), 0);
    const { post } = await store.create(samplePost());
    const put = storage.put.bind(storage);
    vi.spyOn(storage, 'put').mockImplementationOnce(async (key, body, type) => {
      await store.delete(post);
      await put(key, body, type);
    });
    manifests.committed(post);
    await manifests.flush();
    expect(await readManifest(storage, storageKeys.manifest(post.id))).toBeNull();
  });
});

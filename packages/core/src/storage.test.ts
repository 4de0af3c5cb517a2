import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createS3Client, emptyAndDeleteBucket, randomBucket, testEnv } from '@inkpost/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { FsStorage, S3Storage, type Storage } from './storage.js';

async function readAll(storage: Storage, key: string): Promise<Buffer | null> {
  return storage.getBuffer(key);
}

const bucket = randomBucket();
const dir = await mkdtemp(path.join(tmpdir(), 'inkpost-fs-'));
const s3 = new S3Storage({ ...testEnv().s3, bucket, forcePathStyle: true });
const backends: [string, Storage][] = [
  ['S3', s3],
  ['filesystem', new FsStorage(dir)],
];

afterAll(async () => {
  s3.close();
  const client = await createS3Client(testEnv());
  await emptyAndDeleteBucket(client, bucket).catch(() => {});
  client.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe.each(backends)('%s storage', (_name, storage) => {
  it('creates its bucket or directory, then stores and reads back bytes exactly', async () => {
    await storage.ensureReady();
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 255]);
    await storage.put('posts/p1/pages/a/v1.png', bytes, 'image/png');
    expect((await readAll(storage, 'posts/p1/pages/a/v1.png'))?.equals(bytes)).toBe(true);
    const object = await storage.get('posts/p1/pages/a/v1.png');
    expect(object?.contentType).toBe('image/png');
    object?.body.destroy();
    expect(await storage.exists('posts/p1/pages/a/v1.png')).toBe(true);
    expect(await storage.get('posts/p1/pages/a/missing.png')).toBeNull();
  });

  it('finds a version by prefix without confusing v1 with v10', async () => {
    await storage.put('posts/p2/pages/a/v10.png', Buffer.from('x'), 'image/png');
    expect(await storage.findFirst('posts/p2/pages/a/v1.')).toBeNull();
    await storage.put('posts/p2/pages/a/v1.jpg', Buffer.from('y'), 'image/jpeg');
    expect(await storage.findFirst('posts/p2/pages/a/v1.')).toBe('posts/p2/pages/a/v1.jpg');
  });

  it('deletes everything under a post prefix and nothing else', async () => {
    await storage.put('posts/p3/a.png', Buffer.from('1'), 'image/png');
    await storage.put('posts/p3/b/c.png', Buffer.from('2'), 'image/png');
    await storage.put('posts/p33/keep.png', Buffer.from('3'), 'image/png');
    expect(await storage.deletePrefix('posts/p3/')).toBe(2);
    expect(await storage.exists('posts/p3/a.png')).toBe(false);
    expect(await storage.exists('posts/p33/keep.png')).toBe(true);
  });

  it('deletes the objects of one version by key prefix', async () => {
    await storage.put('posts/p4/pages/a/v1.png', Buffer.from('1'), 'image/png');
    await storage.put('posts/p4/pages/a/v10.png', Buffer.from('2'), 'image/png');
    expect(await storage.deletePrefix('posts/p4/pages/a/v1.')).toBe(1);
    expect(await storage.exists('posts/p4/pages/a/v10.png')).toBe(true);
  });
});

describe('filesystem storage', () => {
  it('refuses keys that escape its root', async () => {
    const fs = new FsStorage(dir);
    await expect(fs.put('../outside.png', Buffer.from('x'), 'image/png')).rejects.toThrow(
      /invalid storage key/,
    );
  });
});

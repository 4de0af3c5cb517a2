import { Readable } from 'node:stream';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodePng } from './png.js';
import {
  cleanupRedisPrefix,
  createS3Client,
  emptyAndDeleteBucket,
  ensureBucket,
  randomBucket,
  randomPrefix,
  testEnv,
} from './test-env.js';

describe('global setup hands the environment to test files', () => {
  it('provides the same values through inject() and process.env', () => {
    const provided = inject('testEnv');
    expect(provided.redisUrl).toMatch(/^redis:\/\//);
    expect(provided.s3.endpoint).toMatch(/^https?:\/\//);
    expect(testEnv()).toEqual(provided);
    expect(process.env.S3_FORCE_PATH_STYLE).toBe('true');
  });
});

describe('redis', () => {
  const { redisUrl } = testEnv();
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(() => redis.disconnect());

  it('answers PING', async () => {
    expect(await redis.ping()).toBe('PONG');
  });

  it('cleanupRedisPrefix removes plain and hash-tagged keys of one prefix only', async () => {
    const prefix = randomPrefix();
    const other = randomPrefix();
    await redis.set(`${prefix}:a`, '1');
    await redis.hset(`{${prefix}}:queue:meta`, 'k', 'v');
    await redis.set(`${other}:kept`, '1');
    await cleanupRedisPrefix(redisUrl, prefix);
    expect(await redis.exists(`${prefix}:a`, `{${prefix}}:queue:meta`)).toBe(0);
    expect(await redis.exists(`${other}:kept`)).toBe(1);
    await cleanupRedisPrefix(redisUrl, other);
  });
});

describe('s3', () => {
  const bucket = randomBucket();
  let s3: S3Client;
  beforeAll(async () => {
    s3 = await createS3Client(inject('testEnv'));
    await ensureBucket(s3, bucket);
  });
  afterAll(async () => {
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
  });

  it('round-trips bytes exactly, including a streamed body', async () => {
    const png = encodePng(16, 16, (x, y) => [x * 16, y * 16, 128, 255]);
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'a/b.png', Body: png, ContentType: 'image/png' }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.png' }));
    expect(got.ContentType).toBe('image/png');
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(png)).toBe(true);

    const streamed = Readable.from([png.subarray(0, 10), png.subarray(10)]);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'streamed.png',
        Body: streamed,
        ContentLength: png.length,
      }),
    );
    const back = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'streamed.png' }));
    expect(Buffer.from(await back.Body!.transformToByteArray()).equals(png)).toBe(true);
  });

  it('empties and deletes a bucket', async () => {
    const other = randomBucket();
    await ensureBucket(s3, other);
    await ensureBucket(s3, other);
    await s3.send(new PutObjectCommand({ Bucket: other, Key: 'x.txt', Body: 'x' }));
    await emptyAndDeleteBucket(s3, other);
    const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets.map((b) => b.Name)).not.toContain(other);
    await emptyAndDeleteBucket(s3, other); // already gone is fine
  });
});

describe('random names', () => {
  it('randomPrefix is a valid Redis/BullMQ prefix and KEY_PREFIX', () => {
    const seen = new Set(Array.from({ length: 200 }, randomPrefix));
    expect(seen.size).toBe(200);
    for (const p of seen) expect(p).toMatch(/^t_[a-z0-9]{10}$/);
  });

  it('randomBucket is a valid S3 bucket name', () => {
    const seen = new Set(Array.from({ length: 200 }, randomBucket));
    expect(seen.size).toBe(200);
    for (const b of seen) {
      expect(b).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
      expect(b.length).toBeLessThanOrEqual(63);
    }
  });
});

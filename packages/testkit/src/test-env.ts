import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type {} from 'vitest';

export interface TestEnv {
  redisUrl: string;
  s3: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
}

// Lives here rather than in global-setup.ts so that any package importing @inkpost/testkit gets a typed
// `inject('testEnv')` without reaching into the setup file.
declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: TestEnv;
  }
}

/** The Redis and S3 the global setup prepared, read from the environment it exported to every test worker. */
export function testEnv(): TestEnv {
  const redisUrl = process.env.REDIS_URL;
  const endpoint = process.env.S3_ENDPOINT;
  if (!redisUrl || !endpoint) {
    throw new Error(
      'REDIS_URL / S3_ENDPOINT are not set: run tests through the root vitest config, whose globalSetup ' +
        '(packages/testkit/src/global-setup.ts) starts or finds Redis and S3',
    );
  }
  return {
    redisUrl,
    s3: {
      endpoint,
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? 'S3RVER',
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? 'S3RVER',
      region: process.env.S3_REGION ?? 'us-east-1',
    },
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomChars(n: number): string {
  // 252 is the largest multiple of 36 below 256; rejecting the rest keeps every character equally likely.
  let out = '';
  while (out.length < n) {
    for (const byte of randomBytes(n * 2)) {
      if (byte < 252 && out.length < n) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

/** A unique key prefix such as `t_k3j9x0a2mq`: valid for Redis keys, BullMQ's `prefix` and KEY_PREFIX (no `:`). */
export function randomPrefix(): string {
  return `t_${randomChars(10)}`;
}

/** A unique, valid S3 bucket name such as `inkpost-test-0f3k9x1m2q7z`. */
export function randomBucket(): string {
  return `inkpost-test-${randomChars(12)}`;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Deletes every key containing `prefix` (BullMQ keys look like `t_x:…` or, with hash tags, `{t_x}:…`). */
export async function cleanupRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  if (prefix.length < 3) throw new Error(`refusing to clean up the too-broad Redis prefix "${prefix}"`);
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${escapeGlob(prefix)}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * An S3 client for the test S3. Checksums only when required: otherwise SDK v3 sends streamed bodies with
 * aws-chunked trailing checksums, which s3rver stores verbatim, chunk framing included.
 */
export async function createS3Client(env: TestEnv | TestEnv['s3'] = testEnv()): Promise<S3Client> {
  const s3 = 's3' in env ? env.s3 : env;
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates the bucket unless it already exists. */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

/** Deletes every object and then the bucket; a bucket that is already gone is fine. */
export async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  const { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } = await import(
    '@aws-sdk/client-s3'
  );
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      // One DeleteObject per key: DeleteObjects needs a Content-MD5 that not every S3 look-alike accepts the same way.
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      await Promise.all(keys.map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchBucket') throw err;
  }
}

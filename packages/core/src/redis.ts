import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for a given role. Workers (and anything that blocks) need `maxRetriesPerRequest: null`;
 * connections used while answering HTTP requests fail fast instead of queueing commands while Redis is away.
 */
export function createRedis(url: string, role: 'worker' | 'request' | 'subscriber', name?: string): Redis {
  const options: RedisOptions = {
    connectionName: name,
    lazyConnect: false,
    ...(role === 'request'
      ? { maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 5_000 }
      : { maxRetriesPerRequest: null }),
  };
  return new Redis(url, options);
}

/** The hash-tagged key space of a prefix, so every key of one deployment lands in one Redis Cluster slot. */
export function keySpace(prefix: string): string {
  return `{${prefix}}`;
}

/** Waits until a connection is ready, or fails with a message that says where Redis was expected. */
export async function waitForRedis(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await redis.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`Redis is not reachable at ${redactUrl(url)}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** A URL with any password removed, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

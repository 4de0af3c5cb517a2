import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ProviderSlots, type SlotLimits } from './provider-slots.js';
import { createRedis } from './redis.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ProviderSlots on a real Redis', () => {
  const prefix = randomPrefix();
  const opened: { slots: ProviderSlots; connections: Redis[] }[] = [];

  /** One worker process's slots: its own command and subscriber connections. */
  async function process(provider: string, limits: SlotLimits): Promise<ProviderSlots> {
    const connections = [
      createRedis(testEnv().redisUrl, 'worker'),
      createRedis(testEnv().redisUrl, 'subscriber'),
    ];
    const slots = new ProviderSlots(connections[0]!, connections[1]!, prefix, log);
    await slots.register(provider, limits);
    opened.push({ slots, connections });
    return slots;
  }

  afterEach(async () => {
    for (const { slots, connections } of opened.splice(0)) {
      slots.close();
      await Promise.allSettled(connections.map((c) => c.quit()));
    }
  });
  afterAll(() => cleanupRedisPrefix(testEnv().redisUrl, prefix));

  it('never lets more than C calls run across processes, and does run C', async () => {
    const limits = { concurrency: 3, spacingMs: 0, leaseMs: 5_000 };
    const a = await process('p1', limits);
    const b = await process('p1', limits);
    let inFlight = 0;
    let most = 0;
    const call = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await sleep(30);
      inFlight -= 1;
      return 'ok';
    };
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).run('p1', call)));
    expect(results).toEqual(Array(16).fill('ok'));
    expect(most).toBe(3);
  });

  it('wakes a waiter in another process when a slot is given back, without waiting for a timer', async () => {
    const limits = { concurrency: 1, spacingMs: 0, leaseMs: 30_000 };
    const a = await process('p2', limits);
    const b = await process('p2', limits);
    let releaseA!: () => void;
    const holding = a.run('p2', () => new Promise<void>((r) => (releaseA = r)));
    await sleep(50);
    let startedAt = 0;
    const waiting = b.run('p2', async () => {
      startedAt = Date.now();
    });
    await sleep(100);
    expect(startedAt).toBe(0);
    const releasedAt = Date.now();
    releaseA();
    await Promise.all([holding, waiting]);
    // The fallback timer would take 5 s; the release message takes a round trip.
    expect(startedAt - releasedAt).toBeLessThan(1_000);
  });

  it('spaces call starts by the rate limit across processes', async () => {
    const limits = { concurrency: 4, spacingMs: 120, leaseMs: 5_000 };
    const a = await process('p3', limits);
    const b = await process('p3', limits);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        (i % 2 ? a : b).run('p3', async () => {
          starts.push(Date.now());
        }),
      ),
    );
    starts.sort((x, y) => x - y);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(110);
  });

  it('pauses the provider for every process before the failed call gives its slot back', async () => {
    const limits = { concurrency: 1, spacingMs: 0, leaseMs: 5_000 };
    const a = await process('p4', limits);
    const b = await process('p4', limits);
    const failed = a.run(
      'p4',
      async () => {
        await sleep(50);
        throw new Error('429');
      },
      { pauseAfter: () => 400 },
    );
    await sleep(10);
    let startedAt = 0;
    const next = b.run('p4', async () => {
      startedAt = Date.now();
    });
    await expect(failed).rejects.toThrow('429');
    const failedAt = Date.now();
    await next;
    expect(startedAt - failedAt).toBeGreaterThanOrEqual(350);
  });

  it('drops an aborted waiter without using a slot; the next waiter gets it', async () => {
    const limits = { concurrency: 1, spacingMs: 0, leaseMs: 5_000 };
    const a = await process('p5', limits);
    let release!: () => void;
    const holding = a.run('p5', () => new Promise<void>((r) => (release = r)));
    await sleep(50);
    const controller = new AbortController();
    const aborted = a.run('p5', async () => 'ran', { signal: controller.signal });
    const after = a.run('p5', async () => 'next');
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    release();
    await holding;
    expect(await after).toBe('next');
  });

  it('frees the slot of a process that died holding it once its lease lapses', async () => {
    const limits = { concurrency: 1, spacingMs: 0, leaseMs: 600 };
    const dying = await process('p6', limits);
    void dying.run('p6', () => new Promise(() => {})).catch(() => {});
    await sleep(50);
    // The process dies: its connections go, nothing renews or releases the lease.
    const entry = opened.find((o) => o.slots === dying)!;
    dying.close();
    for (const c of entry.connections) c.disconnect();
    const survivor = await process('p6', limits);
    const waitStarted = Date.now();
    await survivor.run('p6', async () => {});
    const waited = Date.now() - waitStarted;
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(5_000);
  });

  it('renews the lease of a call that outlasts it, so no second call starts meanwhile', async () => {
    const limits = { concurrency: 1, spacingMs: 0, leaseMs: 300 };
    const a = await process('p7', limits);
    const b = await process('p7', limits);
    let longDone = 0;
    const long = a.run('p7', async () => {
      await sleep(1_000);
      longDone = Date.now();
    });
    await sleep(50);
    let secondAt = 0;
    await b.run('p7', async () => {
      secondAt = Date.now();
    });
    await long;
    expect(secondAt).toBeGreaterThanOrEqual(longDone);
  });
});

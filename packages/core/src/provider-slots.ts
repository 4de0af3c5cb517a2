import { randomUUID } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import type { Logger } from 'pino';
import { keySpace } from './redis.js';

// Takes one of a provider's slots if the provider is not paused, a slot is free and the last call started at least
// `spacing` ms ago. KEYS: leases (sorted set: lease id → expiry ms), pause key, last-start key. ARGV: limit, lease
// id, lease ms, spacing ms. Returns {1, slots still free} when taken, else {0, ms}: how long until trying again can
// succeed without a release (a lease expiring, the pause ending, the spacing passing).
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused} end
local limit = tonumber(ARGV[1])
local held = redis.call('ZCARD', KEYS[1])
if held >= limit then
  -- Only a full set needs its lapsed leases (of workers that died) pruned before counting again.
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  held = redis.call('ZCARD', KEYS[1])
  if held >= limit then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, tonumber(first[2]) - now}
  end
end
local spacing = tonumber(ARGV[4])
if spacing > 0 then
  local last = tonumber(redis.call('GET', KEYS[3]) or '0')
  if now - last < spacing then return {0, spacing - (now - last)} end
  redis.call('SET', KEYS[3], now, 'PX', spacing)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, limit - held - 1}
`;

// Extends a lease still held (a long call). KEYS: leases. ARGV: lease id, lease ms.
const RENEW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return renewed
`;

// Gives a lease back and tells every process a slot is free. KEYS: leases. ARGV: lease id, channel, sender.
const RELEASE_SCRIPT = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    inkpostSlotAcquire(
      leases: string,
      pause: string,
      last: string,
      limit: number,
      lease: string,
      leaseMs: number,
      spacingMs: number,
    ): Result<[number, number?], Context>;
    inkpostSlotRenew(leases: string, lease: string, leaseMs: number): Result<number, Context>;
    inkpostSlotRelease(
      leases: string,
      lease: string,
      channel: string,
      sender: string,
    ): Result<number, Context>;
  }
}

/** What a provider allows: calls in flight, and the least time between two calls starting. */
export interface SlotLimits {
  concurrency: number;
  spacingMs: number;
  /** A lease not given back (its worker died) frees itself after this long; a running call renews it. */
  leaseMs: number;
}

interface Waiter {
  resolve: (lease: string) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Line {
  limits: SlotLimits;
  waiters: Waiter[];
  pumping: boolean;
  again: boolean;
  timer?: NodeJS.Timeout;
}

/** Fallback wake-up while a slot is held: covers a release message lost to a reconnect. */
const MAX_WAIT_MS = 5_000;

/**
 * A provider's concurrency and rate limit across every worker process, held only around the provider call itself.
 * BullMQ's global concurrency would hold a slot for the whole job (reading the post, storing the image, recording
 * it), so the provider would idle while our own bookkeeping ran; here jobs do that work outside the slot and the
 * provider always has its C calls running when there is work.
 *
 * Slots are leases in a Redis sorted set, taken by one script that also honours a pause (a 429's Retry-After) and
 * the spacing between calls. Waiters in this process queue in order and wait without polling: a release anywhere
 * publishes on the provider's channel, and a timer covers lease expiry, pauses and spacing.
 */
export class ProviderSlots {
  private readonly ks: string;
  private readonly lines = new Map<string, Line>();
  private readonly id = randomUUID();
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly log: Logger,
  ) {
    this.ks = keySpace(prefix);
    redis.defineCommand('inkpostSlotAcquire', { numberOfKeys: 3, lua: ACQUIRE_SCRIPT });
    redis.defineCommand('inkpostSlotRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    redis.defineCommand('inkpostSlotRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    subscriber.on('message', (channel: string, sender: string) => {
      if (sender === this.id) return;
      const provider = channel.slice(this.channel('').length);
      if (this.lines.has(provider)) this.pump(provider);
    });
    // Releases published while the subscriber was reconnecting are lost: everyone waiting tries again.
    subscriber.on('ready', () => {
      for (const provider of this.lines.keys()) this.pump(provider);
    });
  }

  private key(provider: string, part: string): string {
    return `${this.ks}:slots:${provider}:${part}`;
  }

  private channel(provider: string): string {
    return `${this.ks}:slots-released:${provider}`;
  }

  /** Declares a provider's limits; waits until this process listens for its releases. */
  async register(provider: string, limits: SlotLimits): Promise<void> {
    this.lines.set(provider, { limits, waiters: [], pumping: false, again: false });
    await this.subscriber.subscribe(this.channel(provider));
  }

  /**
   * Runs `call` holding one of the provider's slots; waits for one first (an aborted wait rejects with the signal's
   * reason). When the call fails with an error `pauseAfter` maps to a duration (a 429's Retry-After), the provider
   * is paused before the slot is given back, so no waiter takes it into the same 429.
   */
  async run<T>(
    provider: string,
    call: () => Promise<T>,
    opts: { signal?: AbortSignal; pauseAfter?: (err: unknown) => number | null } = {},
  ): Promise<T> {
    const lease = await this.acquire(provider, opts.signal);
    const renew = this.keepRenewing(provider, lease);
    try {
      return await call();
    } catch (err) {
      const pauseMs = opts.pauseAfter?.(err) ?? null;
      if (pauseMs !== null && pauseMs > 0) await this.pause(provider, pauseMs).catch(() => {});
      throw err;
    } finally {
      clearInterval(renew);
      await this.release(provider, lease);
    }
  }

  private keepRenewing(provider: string, lease: string): NodeJS.Timeout {
    const { leaseMs } = this.lines.get(provider)!.limits;
    const timer = setInterval(() => {
      this.redis.inkpostSlotRenew(this.key(provider, 'leases'), lease, leaseMs).then(
        (renewed) => {
          if (renewed === 0) this.log.warn({ provider }, 'a provider slot lease lapsed during a call');
        },
        (err) => this.log.warn({ err, provider }, 'could not renew a provider slot lease'),
      );
    }, leaseMs / 3);
    timer.unref();
    return timer;
  }

  /** Pauses the provider's calls for every process (a 429's Retry-After); calls already running carry on. */
  private async pause(provider: string, ms: number): Promise<void> {
    await this.redis.set(this.key(provider, 'paused'), '1', 'PX', Math.max(1, Math.ceil(ms)));
  }

  private acquire(provider: string, signal?: AbortSignal): Promise<string> {
    const line = this.lines.get(provider);
    if (!line) throw new Error(`provider ${provider} has no slots registered`);
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          line.waiters = line.waiters.filter((w) => w !== waiter);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      line.waiters.push(waiter);
      this.pump(provider);
    });
  }

  private async release(provider: string, lease: string): Promise<void> {
    try {
      await this.redis.inkpostSlotRelease(
        this.key(provider, 'leases'),
        lease,
        this.channel(provider),
        this.id,
      );
    } catch (err) {
      // The lease expires by itself; until then the provider has one slot less.
      this.log.warn({ err, provider }, 'could not give a provider slot back');
    }
    this.pump(provider);
  }

  /** Hands free slots to this process's waiters, first come first served; one pump per provider at a time. */
  private pump(provider: string): void {
    const line = this.lines.get(provider);
    if (!line || this.closed) return;
    if (line.pumping) {
      line.again = true;
      return;
    }
    line.pumping = true;
    clearTimeout(line.timer);
    line.timer = undefined;
    void this.grant(provider, line)
      .catch((err) => {
        this.log.warn({ err, provider }, 'provider slot check failed; trying again');
        this.wake(provider, line, 1_000);
      })
      .finally(() => {
        line.pumping = false;
        if (line.again) {
          line.again = false;
          this.pump(provider);
        }
      });
  }

  private async grant(provider: string, line: Line): Promise<void> {
    const { concurrency, leaseMs, spacingMs } = line.limits;
    while (line.waiters.length > 0 && !this.closed) {
      const lease = randomUUID();
      // Taken: [1, slots still free]; not taken: [0, ms until asking again can succeed without a release].
      const [taken, waitMs] = await this.redis.inkpostSlotAcquire(
        this.key(provider, 'leases'),
        this.key(provider, 'paused'),
        this.key(provider, 'last'),
        concurrency,
        lease,
        leaseMs,
        spacingMs,
      );
      const waiter = line.waiters.shift();
      if (taken === 1 && waiter) {
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.resolve(lease);
        // No slot left: the next waiter is woken by a release rather than by asking again now.
        if (waitMs === 0 && line.waiters.length > 0) this.wake(provider, line, MAX_WAIT_MS);
        if (waitMs === 0) return;
        continue;
      }
      if (taken === 1) {
        // The waiter was aborted while the script ran: hand the slot straight back.
        await this.release(provider, lease);
        return;
      }
      if (waiter) line.waiters.unshift(waiter);
      this.wake(provider, line, waitMs !== undefined && waitMs >= 0 ? waitMs + 1 : MAX_WAIT_MS);
      return;
    }
  }

  private wake(provider: string, line: Line, ms: number): void {
    if (line.waiters.length === 0 || this.closed) return;
    clearTimeout(line.timer);
    line.timer = setTimeout(() => this.pump(provider), Math.min(ms, MAX_WAIT_MS));
  }

  /** Stops waking waiters (at shutdown, after the workers have finished their jobs). */
  close(): void {
    this.closed = true;
    for (const line of this.lines.values()) clearTimeout(line.timer);
  }
}

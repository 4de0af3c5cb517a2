import { type CommonEnv, parseTenantMap } from '@inkpost/shared';
import type { Redis } from 'ioredis';
import { keySpace } from './redis.js';

/** A tenant asked for more images than its daily budget has left (answered 429 by the API). */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  readonly code = 'daily_budget_exceeded';
  constructor(
    readonly limit: number,
    readonly used: number,
    readonly requested: number,
  ) {
    super(
      `The daily image budget is used up: ${used} of ${limit} images today, ${requested} more requested. ` +
        'It resets at 00:00 UTC.',
    );
  }
}

// Reserves `count` images if they fit under the limit, atomically across API instances and workers.
const RESERVE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local count = tonumber(ARGV[1])
if used + count > tonumber(ARGV[2]) then return {0, used} end
redis.call('INCRBY', KEYS[1], count)
redis.call('EXPIRE', KEYS[1], 172800)
return {1, used + count}
`;

/** Seconds until the next UTC midnight, when budgets reset. */
export function secondsUntilUtcMidnight(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** Per-tenant daily image budgets (DAILY_IMAGE_BUDGET / DAILY_IMAGE_BUDGETS), counted in Redis per UTC day. */
export class DailyImageBudget {
  private readonly ks: string;
  private readonly perTenant: Map<string, number>;
  private readonly defaultLimit: number;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    env: Pick<CommonEnv, 'DAILY_IMAGE_BUDGET' | 'DAILY_IMAGE_BUDGETS'>,
  ) {
    this.ks = keySpace(prefix);
    this.perTenant = new Map(
      [...parseTenantMap('DAILY_IMAGE_BUDGETS', env.DAILY_IMAGE_BUDGETS)].map(([t, v]) => [t, Number(v)]),
    );
    this.defaultLimit = env.DAILY_IMAGE_BUDGET;
  }

  /** Whether any tenant has a limit at all. */
  get enabled(): boolean {
    return this.defaultLimit > 0 || [...this.perTenant.values()].some((v) => v > 0);
  }

  /** The tenant's daily limit, or null when it has none. */
  limitFor(tenant: string): number | null {
    const limit = this.perTenant.get(tenant) ?? this.defaultLimit;
    return Number.isFinite(limit) && limit > 0 ? limit : null;
  }

  private key(tenant: string): string {
    return `${this.ks}:budget:${tenant}:${new Date().toISOString().slice(0, 10)}`;
  }

  /** Reserves images for today or throws BudgetExceededError; a no-op for tenants without a limit. */
  async reserve(tenant: string, count: number): Promise<void> {
    const limit = this.limitFor(tenant);
    if (limit === null || count <= 0) return;
    const [ok, used] = (await this.redis.eval(RESERVE, 1, this.key(tenant), count, limit)) as [
      number,
      number,
    ];
    if (ok !== 1) throw new BudgetExceededError(limit, used, count);
  }

  /** Gives back images reserved but not queued after all. */
  async release(tenant: string, count: number): Promise<void> {
    if (this.limitFor(tenant) === null || count <= 0) return;
    await this.redis.decrby(this.key(tenant), count);
  }

  async used(tenant: string): Promise<number> {
    return Number((await this.redis.get(this.key(tenant))) ?? 0);
  }
}

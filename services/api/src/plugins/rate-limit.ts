import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import { keySpace } from '@inkpost/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { HttpError } from '../errors.js';
import { isApiRequest } from './auth.js';

/** Who a request counts against: its API key (hashed; never stored in clear), else (no key yet) its address. */
function clientKey(request: FastifyRequest): string {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (match?.[1]) return `key:${createHash('sha256').update(match[1].trim()).digest('hex').slice(0, 32)}`;
  return `ip:${request.ip}`;
}

/**
 * Per-key request rate limit on the `/v1` API, counted in Redis so it holds across API instances; over it, 429
 * with Retry-After. Health, docs, metrics and the dashboard are not limited.
 */
export async function registerRateLimit(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const max = ctx.env.RATE_LIMIT_PER_MINUTE;
  // An open API (no keys: one local tenant) has nobody to tell apart; the limit is per key.
  if (max === 0 || ctx.apiKeys.size === 0) return;
  await app.register(rateLimit, {
    max,
    timeWindow: 60_000,
    redis: ctx.redis,
    nameSpace: `${keySpace(ctx.env.KEY_PREFIX)}:ratelimit:`,
    keyGenerator: clientKey,
    allowList: (request) => !isApiRequest(request),
    // Redis trouble must not take the API down with it: requests pass while the counter is unavailable.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        429,
        'rate_limited',
        `Too many requests: at most ${context.max} per minute; retry in ${context.after}.`,
      ),
  });
}

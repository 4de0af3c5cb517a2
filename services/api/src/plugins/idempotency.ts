import { createHash } from 'node:crypto';
import { keySpace } from '@inkpost/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { HttpError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { redisKey: string; fingerprint: string };
  }
}

const TTL_SECONDS = 24 * 3600;
const WAIT_MS = 10_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

interface Record {
  state: 'pending' | 'done';
  fingerprint: string;
  status?: number;
  body?: string;
  contentType?: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// Far deeper than any request body of this API; a hostile one nested thousands deep would overflow the stack.
const MAX_DEPTH = 64;

/** JSON with sorted keys, so the same body always has the same fingerprint. */
function stableStringify(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) {
    throw new HttpError(
      400,
      'invalid_request',
      `The request body is nested more than ${MAX_DEPTH} levels deep.`,
    );
  }
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v, depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on any POST: the first request with a key is processed and its answer kept for 24 h; the same
 * key with the same body gets that answer again and causes no new work; with a different body, 409. A request
 * arriving while the first is still being processed waits for its answer.
 */
export function registerIdempotency(app: FastifyInstance, ctx: ApiContext): void {
  const ks = keySpace(ctx.env.KEY_PREFIX);

  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers['idempotency-key'];
    if (request.method !== 'POST' || header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (!key || !KEY.test(key)) {
      throw new HttpError(400, 'invalid_request', 'Idempotency-Key must be 1-255 visible ASCII characters.');
    }
    const fingerprint = sha256(
      stableStringify({ route: request.routeOptions.url, params: request.params, body: request.body }),
    );
    const redisKey = `${ks}:idem:${request.tenant}:${sha256(key)}`;
    return claimOrReplay(ctx, request, reply, redisKey, fingerprint);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    if (reply.statusCode >= 500) {
      // Nothing durable was promised: let a retry with the same key try again.
      await ctx.redis.del(claim.redisKey).catch(() => 0);
      return payload;
    }
    const record: Record = {
      state: 'done',
      fingerprint: claim.fingerprint,
      status: reply.statusCode,
      body: typeof payload === 'string' ? payload : String(payload ?? ''),
      contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
    };
    await ctx.redis.set(claim.redisKey, JSON.stringify(record), 'EX', TTL_SECONDS);
    return payload;
  });
}

async function claimOrReplay(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  redisKey: string,
  fingerprint: string,
): Promise<FastifyReply | undefined> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const pending: Record = { state: 'pending', fingerprint };
    if ((await ctx.redis.set(redisKey, JSON.stringify(pending), 'EX', TTL_SECONDS, 'NX')) === 'OK') {
      request.idempotency = { redisKey, fingerprint };
      return undefined;
    }
    const raw = await ctx.redis.get(redisKey);
    if (!raw) continue;
    const record = JSON.parse(raw) as Record;
    if (record.fingerprint !== fingerprint) {
      throw new HttpError(
        409,
        'idempotency_conflict',
        'This Idempotency-Key was already used with a different request body.',
      );
    }
    if (record.state === 'done') {
      return reply
        .status(record.status ?? 200)
        .header('content-type', record.contentType ?? 'application/json; charset=utf-8')
        .header('idempotent-replayed', 'true')
        .send(record.body);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new HttpError(
    409,
    'idempotency_in_progress',
    'A request with this Idempotency-Key is still being processed.',
  );
}

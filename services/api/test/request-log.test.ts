import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loggerOptions } from '@inkpost/core';
import { ApiEnv, PostView, parseEnv } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiContext, buildApp, createApiContext } from '../src/index.js';

const TOKEN = 'tenant-a-bearer-token-7731';
const auth = { authorization: `Bearer ${TOKEN}` };

interface LogLine {
  msg: string;
  level: number;
  requestId?: string;
  [field: string]: unknown;
}

describe('request logging and response contract, with the services’ own logger', () => {
  const prefix = randomPrefix();
  const lines: string[] = [];
  let ctx: ApiContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    const processEnv = {
      REDIS_URL: testEnv().redisUrl,
      KEY_PREFIX: prefix,
      STORAGE_DIR: mkdtempSync(path.join(tmpdir(), 'inkpost-request-log-')),
      API_KEYS: `tenantA:${TOKEN}`,
      LOG_LEVEL: 'info',
    };
    const env = parseEnv(ApiEnv, processEnv);
    const log = pino(loggerOptions('api', env.LOG_LEVEL), { write: (line: string) => lines.push(line) });
    ctx = await createApiContext(env, log, processEnv);
    app = await buildApp(ctx);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
  });

  /** The lines logged for one request, once its response is out. */
  async function linesOf(requestId: string): Promise<LogLine[]> {
    await new Promise((r) => setImmediate(r));
    return lines.map((l) => JSON.parse(l) as LogLine).filter((l) => l.requestId === requestId);
  }

  it('writes one line per request, at the end, with method, url, status, time and request id', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: { ...auth, 'x-request-id': 'create-1' },
      payload: { topic: 'Logs', pages: [{ type: 'cover', content: 'Cover' }] },
    });
    expect(created.statusCode).toBe(202);
    const id = created.json<PostView>().id;
    const requests = [
      { method: 'POST', url: '/v1/posts', requestId: 'create-1', statusCode: 202 },
      { method: 'GET', url: `/v1/posts/${id}?x=1`, requestId: 'get-1', statusCode: 200 },
      { method: 'GET', url: '/v1/posts/post_missing', requestId: 'missing-1', statusCode: 404 },
    ] as const;
    for (const r of requests.slice(1)) {
      const res = await app.inject({
        method: r.method,
        url: r.url,
        headers: { ...auth, 'x-request-id': r.requestId },
      });
      expect(res.statusCode).toBe(r.statusCode);
    }
    for (const { requestId, method, url, statusCode } of requests) {
      const logged = await linesOf(requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ msg: 'request completed', method, url, statusCode, service: 'api' });
      expect(logged[0]?.responseTime).toEqual(expect.any(Number));
    }
    expect(lines.join('')).not.toContain('incoming request');
  });

  it('never logs a bearer token, a good one or a wrong one', async () => {
    await app.inject({ method: 'GET', url: '/v1/posts', headers: auth });
    const wrong = await app.inject({
      method: 'GET',
      url: '/v1/posts',
      headers: { authorization: 'Bearer wrong-token-5519', 'x-request-id': 'wrong-1' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(await linesOf('wrong-1')).toHaveLength(1);
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.join('')).not.toContain('wrong-token-5519');
  });

  it('answers a post with the fields PostView declares and nothing else', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: auth,
      payload: { topic: 'Contract', pages: [{ type: 'cover', content: 'Cover' }] },
    });
    const got = await app.inject({
      method: 'GET',
      url: `/v1/posts/${created.json<PostView>().id}`,
      headers: auth,
    });
    const body = got.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual(Object.keys(PostView.shape).sort());
    expect(PostView.strict().safeParse(body).success).toBe(true);
    expect(got.body).not.toContain('tenantA');
  });
});

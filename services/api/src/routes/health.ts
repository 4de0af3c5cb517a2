import { Health } from '@inkpost/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context.js';

async function check(fn: () => Promise<unknown>, timeoutMs = 2_000): Promise<string> {
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs)),
    ]);
    return 'ok';
  } catch (err) {
    return `failing: ${(err as Error).message}`;
  }
}

export function healthRoutes(ctx: ApiContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      { schema: { tags: ['health'], summary: 'Liveness', response: { 200: Health } } },
      async () => ({
        status: 'ok' as const,
      }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['health'],
          summary: 'Readiness: Redis and storage reachable',
          response: { 200: Health, 503: Health },
        },
      },
      async (_request, reply) => {
        const [redis, storage] = await Promise.all([
          check(() => ctx.redis.ping()),
          check(() => ctx.storage.ensureReady()),
        ]);
        const ok = redis === 'ok' && storage === 'ok';
        return reply
          .status(ok ? 200 : 503)
          .send({ status: ok ? 'ok' : 'unavailable', checks: { redis, storage } });
      },
    );
  };
}

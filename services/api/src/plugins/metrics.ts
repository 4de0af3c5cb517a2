import { renderClusterMetrics } from '@inkpost/core';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ApiContext } from '../context.js';
import { allQueues } from './admin.js';
import { requireAdmin } from './basic-auth.js';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/**
 * `/metrics` for Prometheus: this API process (HTTP latency per route, SSE connections, Node internals), queue
 * depths, and the workers' job and provider metrics that they keep in Redis. Behind the admin credentials when set;
 * never open when API keys are configured without them.
 */
export async function registerMetrics(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'inkpost_api_' });
  const http = new Histogram({
    name: 'inkpost_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'inkpost_sse_connections',
    help: 'Open Server-Sent Events streams on this API process',
    registers: [registry],
    collect() {
      this.set(ctx.hub.size);
    },
  });
  const queues = allQueues(ctx);
  new Gauge({
    name: 'inkpost_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts(...QUEUE_STATES)));
      counts.forEach((c, i) => {
        for (const state of QUEUE_STATES) this.set({ queue: queues[i]!.name, state }, c[state] ?? 0);
      });
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    http.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const { ADMIN_USER: user, ADMIN_PASSWORD: password } = ctx.env;
  if (ctx.apiKeys.size > 0 && !(user && password)) return;
  app.get(
    '/metrics',
    {
      schema: { tags: ['ops'], summary: 'Prometheus metrics (text format)' },
      onRequest: user && password ? requireAdmin(user, password) : undefined,
    },
    async (_request, reply) => {
      const own = await registry.metrics();
      const cluster = await renderClusterMetrics(ctx.redis, ctx.env.KEY_PREFIX);
      return reply.header('content-type', registry.contentType).send(`${own}\n${cluster}`);
    },
  );
}

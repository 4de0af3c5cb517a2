// HTTP load from its own process with autocannon. env BENCH_LOAD = JSON { url, kind: 'get'|'create', ids,
// rate (req/s, 0 = as fast as possible), connections, seconds, pages }. Sends the summary.
import { randomUUID } from 'node:crypto';
import { givenPages } from '../lib/api.mjs';
import { importDependency } from '../lib/workspace.mjs';

const { default: autocannon } = await importDependency('.', 'autocannon');
const cfg = JSON.parse(process.env.BENCH_LOAD);

let n = 0;
const request =
  cfg.kind === 'get'
    ? {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: `/v1/posts/${cfg.ids[n++ % cfg.ids.length]}` }),
      }
    : {
        method: 'POST',
        path: '/v1/posts',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: '周末露营装备清单', pages: givenPages(cfg.pages ?? 8) }),
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } }),
      };

const result = await autocannon({
  url: cfg.url,
  connections: cfg.connections,
  duration: cfg.seconds,
  ...(cfg.rate ? { overallRate: cfg.rate } : {}),
  requests: [request],
});
const cpu = process.cpuUsage();
process.send({
  requests: result.requests.total,
  rps: result.requests.total / (result.duration || cfg.seconds),
  p50Ms: result.latency.p50,
  p90Ms: result.latency.p90,
  p99Ms: result.latency.p99,
  maxMs: result.latency.max,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  loadCpuMs: (cpu.user + cpu.system) / 1000,
});
process.disconnect();

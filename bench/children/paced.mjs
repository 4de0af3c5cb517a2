// Open-loop load at a fixed rate, evenly spaced (autocannon's rate mode sends each second's quota in a burst at
// the start of the second, which measures the burst, not the rate). Latency counts from when a request was due,
// so a slow server cannot hide its queue (no coordinated omission).
// env BENCH_LOAD = JSON { url, kind: 'get'|'create', ids, rate, seconds, sockets, pages }. Sends the summary.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { givenPages } from '../lib/api.mjs';
import { percentile } from '../lib/stats.mjs';

const cfg = JSON.parse(process.env.BENCH_LOAD);
const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.sockets ?? 64 });
const { hostname, port } = new URL(cfg.url);
const createBody = JSON.stringify({ topic: '周末露营装备清单', pages: givenPages(cfg.pages ?? 8) });

const latencies = [];
let errors = 0;
let non2xx = 0;
let sent = 0;

function fire(i, due) {
  const create = cfg.kind === 'create';
  const req = http.request(
    {
      agent,
      hostname,
      port,
      method: create ? 'POST' : 'GET',
      path: create ? '/v1/posts' : `/v1/posts/${cfg.ids[i % cfg.ids.length]}`,
      headers: create
        ? {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(createBody),
            'idempotency-key': randomUUID(),
          }
        : {},
    },
    (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode >= 300) non2xx++;
        latencies.push(performance.now() - due);
      });
    },
  );
  req.on('error', () => errors++);
  req.end(create ? createBody : undefined);
}

const total = cfg.rate * cfg.seconds;
const interval = 1000 / cfg.rate;
const start = performance.now() + 50;
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      fire(sent, start + sent * interval);
      sent++;
    }
    if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, start + sent * interval - now)));
    else resolve();
  };
  setTimeout(tick, 50);
});
const deadline = performance.now() + 30_000;
while (latencies.length + errors < total && performance.now() < deadline)
  await new Promise((r) => setTimeout(r, 20));
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage();
process.send({
  requests: latencies.length,
  rps: latencies.length / elapsed,
  p50Ms: percentile(latencies, 50),
  p90Ms: percentile(latencies, 90),
  p99Ms: percentile(latencies, 99),
  maxMs: percentile(latencies, 100),
  errors,
  timeouts: total - latencies.length - errors,
  non2xx,
  loadCpuMs: (cpu.user + cpu.system) / 1000,
});
agent.destroy();
process.disconnect();

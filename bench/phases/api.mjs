import { BrokenRun, createPost, givenPages } from '../lib/api.mjs';
import { startChild } from '../lib/children.mjs';
import { Resources } from '../lib/resources.mjs';
import { benchStack } from '../lib/setup.mjs';
import { follow } from '../lib/sse.mjs';
import { round } from '../lib/stats.mjs';

async function load(stack, cfg) {
  const api = stack.services.api;
  const cpu0 = api.cpuMs();
  // A fixed rate is paced evenly by our own generator; the most the API serves is autocannon's closed loop.
  const child = await startChild(cfg.rate ? 'paced' : 'load', {
    BENCH_LOAD: JSON.stringify({ url: stack.url, ...cfg }),
  });
  const r = child.first;
  await child.stop();
  stack.assertAlive();
  if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0 || r.requests === 0)
    throw new BrokenRun(`${cfg.kind} load: ${r.errors} errors, ${r.non2xx} non-2xx of ${r.requests}`);
  return {
    rate: cfg.rate || 'max',
    connections: cfg.connections,
    rps: round(r.rps, 0),
    p50Ms: round(r.p50Ms, 2),
    p90Ms: round(r.p90Ms, 2),
    p99Ms: round(r.p99Ms, 2),
    maxMs: round(r.maxMs, 2),
    loadGeneratorCpuMs: round(r.loadCpuMs, 0),
    apiCpuMsPerRequest: round((api.cpuMs() - cpu0) / r.requests, 3),
    apiRssMb: round(api.memory().rss, 1),
  };
}

/** p99 of the same paced generator against a server that does nothing: the floor this machine can measure. */
async function generatorFloor(seconds) {
  const server = await startChild('noop-http');
  try {
    const child = await startChild('paced', {
      BENCH_LOAD: JSON.stringify({ url: server.first.url, kind: 'get', ids: ['x'], rate: 1000, seconds }),
    });
    await child.stop();
    return { p50Ms: round(child.first.p50Ms, 2), p99Ms: round(child.first.p99Ms, 2) };
  } finally {
    await server.stop();
  }
}

export async function apiPhase({ redis, say, quick }) {
  const seconds = quick ? 5 : 10;
  const resources = new Resources();
  try {
    const { stack, agent } = await benchStack(resources, {
      redis,
      phase: 'api',
      providerEnv: { BENCH_PROVIDER_IMAGE: 'small' },
      concurrency: 8,
    });
    // Completed 8-page posts to read (their view carries every page's image and thumbnail URL).
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const post = await createPost(stack.url, {
          topic: `api ${i}`,
          pages: givenPages(8),
          autoGenerate: true,
        });
        const { terminal } = await follow(stack.url, post.id, { agent });
        if (!terminal) throw new BrokenRun(`post ${post.id} did not complete`);
        return post.id;
      }),
    );
    say(`api: 20 completed posts; load from another process, ${seconds} s per run`);
    const floor = await generatorFloor(quick ? 3 : 5);
    const getAt1k = await load(stack, { kind: 'get', ids, rate: 1000, connections: 20, seconds });
    const getMax = await load(stack, { kind: 'get', ids, rate: 0, connections: 20, seconds });
    const createAt1k = await load(stack, { kind: 'create', rate: 1000, connections: 20, seconds });
    const createMax = await load(stack, { kind: 'create', rate: 0, connections: 20, seconds });
    say(
      `api: GET p99 ${getAt1k.p99Ms} ms at 1k/s, max ${getMax.rps}/s; POST p99 ${createAt1k.p99Ms} ms at 1k/s, max ${createMax.rps}/s`,
    );
    return {
      process:
        'api as its own process (workers idle); load from another process: a paced open-loop generator at 1k req/s, autocannon (20 connections) for the maximum; filesystem storage',
      p99Ms: getAt1k.p99Ms,
      rps: getMax.rps,
      generatorFloorAt1k: floor,
      get: { at1k: getAt1k, max: getMax },
      create: { at1k: createAt1k, max: createMax },
    };
  } finally {
    await resources.release();
  }
}

import { BrokenRun, createPost, generate, givenPages } from '../lib/api.mjs';
import { startChild } from '../lib/children.mjs';
import { Resources } from '../lib/resources.mjs';
import { benchStack } from '../lib/setup.mjs';
import { round } from '../lib/stats.mjs';

const POSTS = 50;
const PAGES = 8;
const START_SPREAD_MS = 1000;
const SUBSCRIBERS = [1000, 5000];

async function run(stack, clients, subscribers) {
  const api = stack.services.api;
  const postIds = await Promise.all(
    Array.from(
      { length: POSTS },
      async (_, i) => (await createPost(stack.url, { topic: `sse ${i}`, pages: givenPages(PAGES) })).id,
    ),
  );
  const before = api.memory().rss;
  for (const s of Object.values(stack.services)) s.resetPeak();
  const connected = await clients.ask(
    { cmd: 'connect', url: stack.url, postIds, perPost: subscribers / POSTS, batch: 250 },
    300_000,
  );
  if (connected.error) throw new BrokenRun(`SSE connect: ${connected.error}`);
  const idle = api.memory().rss;
  const cpu0 = api.cpuMs();
  const t0 = performance.now();
  // Posts start spread over a second, as users' clicks arrive, not as one burst of 50 requests.
  await Promise.all(
    postIds.map(async (id, i) => {
      await new Promise((r) => setTimeout(r, (i * START_SPREAD_MS) / POSTS));
      await generate(stack.url, id);
    }),
  );
  const result = await clients.ask({ cmd: 'collect' }, 300_000);
  const wallMs = performance.now() - t0;
  stack.assertAlive();
  if (result.error || result.failed > 0 || result.terminal !== subscribers)
    throw new BrokenRun(
      `SSE: ${result.failed} streams failed (${result.firstError}), ${result.terminal}/${subscribers} ended with a terminal event`,
    );
  const events = result.events;
  return {
    subscribers,
    posts: POSTS,
    subscribersPerPost: subscribers / POSTS,
    connectMs: round(connected.ms, 0),
    deliveries: events,
    deliveriesPerSec: round((events * 1000) / wallMs, 0),
    p50Ms: round(result.p50Ms, 1),
    p90Ms: round(result.p90Ms, 1),
    p99Ms: round(result.p99Ms, 1),
    maxMs: round(result.maxMs, 1),
    apiRssBeforeMb: round(before, 1),
    apiRssConnectedMb: round(idle, 1),
    apiRssPeakMb: round(api.memory().peak, 1),
    workerRssPeakMb: {
      'outline-worker': round(stack.services['outline-worker'].memory().peak, 1),
      'image-worker': round(stack.services['image-worker'].memory().peak, 1),
    },
    apiKbPerSubscriber: round(((idle - before) * 1024) / subscribers, 1),
    apiCpuMsPerDelivery: round((api.cpuMs() - cpu0) / events, 4),
    clientCpuMs: round(result.clientCpuMs, 0),
    byEvent: result.byEvent,
  };
}

export async function ssePhase({ redis, say }) {
  const resources = new Resources();
  try {
    // Small page images: this phase measures the API's fan-out, not the image worker, which on a 2-core machine
    // would otherwise take the API's CPU.
    const { stack } = await benchStack(resources, {
      redis,
      phase: 'sse',
      providerEnv: { BENCH_PROVIDER_LATENCY_MS: '100', BENCH_PROVIDER_IMAGE: 'small' },
      concurrency: 16,
    });
    const clients = await startChild('sse-clients');
    resources.add(clients, () => clients.stop());
    const runs = [];
    for (const n of SUBSCRIBERS) {
      const r = await run(stack, clients, n);
      say(`sse: ${n} subscribers p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms, API RSS ${r.apiRssConnectedMb} MB`);
      runs.push(r);
    }
    const largest = runs.at(-1);
    return {
      process:
        'api, outline-worker, image-worker as separate processes; subscribers in another process (node:http, keep-alive agent); provider latency 100 ms, 108×144 images',
      subscribers: largest.subscribers,
      p50Ms: largest.p50Ms,
      p99Ms: largest.p99Ms,
      apiRssMb: largest.apiRssConnectedMb,
      runs,
    };
  } finally {
    await resources.release();
  }
}

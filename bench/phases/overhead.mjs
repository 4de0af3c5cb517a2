import { BrokenRun, createPost } from '../lib/api.mjs';
import { startChild } from '../lib/children.mjs';
import { slope, startRssSampler } from '../lib/proc.mjs';
import { counterDelta, redisCounters } from '../lib/redis.mjs';
import { Resources } from '../lib/resources.mjs';
import { benchPrefix, benchStack } from '../lib/setup.mjs';
import { follow } from '../lib/sse.mjs';
import { nowMs, percentile, round } from '../lib/stats.mjs';

const PAGES = 8;
const CONCURRENCY = 8;

async function runPosts(url, agent, count, onPage) {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const start = nowMs();
      const post = await createPost(url, { topic: `overhead ${i}`, autoGenerate: true });
      const { events, terminal } = await follow(url, post.id, {
        agent,
        onEvent: (e) => e.name === 'page.completed' && onPage(),
      });
      const last = events.at(-1);
      if (!terminal || last.name !== 'post.completed')
        throw new BrokenRun(`post ${post.id} ended with ${last?.name}`);
      return { start, end: last.receivedAt };
    }),
  );
}

const cpuOf = (processes) => Object.fromEntries(Object.entries(processes).map(([n, p]) => [n, p.cpuMs()]));

/** Start, peak and end RSS per service, and growth in MB per 100 pages (least squares over the run's samples). */
function memorySummary(samples, names) {
  const out = {};
  for (const name of names) {
    const points = samples.filter((s) => s[name] !== null);
    const values = points.map((s) => s[name]);
    const growth = slope(points.map((s) => ({ x: s.progress, y: s[name] })));
    out[name] = {
      startMb: round(values[0], 1),
      peakMb: round(Math.max(...values), 1),
      endMb: round(values.at(-1), 1),
      growthMbPer100Pages: growth === null ? null : round(growth * 100, 2),
    };
  }
  return out;
}

/** One measured pass on a fresh stack: warm-up posts, then `posts` auto-generated posts at once. */
async function measure({ redis, say, image, posts, warmup }) {
  const resources = new Resources();
  try {
    const { provider, stack, agent } = await benchStack(resources, {
      redis,
      phase: 'ovh',
      providerEnv: {
        BENCH_PROVIDER_LATENCY_MS: '0',
        BENCH_PROVIDER_PAGES: String(PAGES),
        BENCH_PROVIDER_IMAGE: image,
      },
      concurrency: CONCURRENCY,
    });
    say(
      `overhead: ${image} image (${(provider.first.pngBytes / 1e6).toFixed(2)} MB PNG); warm-up ${warmup} posts`,
    );
    await runPosts(stack.url, agent, warmup, () => {});

    const processes = { ...stack.services, provider };
    for (const s of Object.values(stack.services)) s.resetPeak();
    const logLinesBefore = Object.fromEntries(
      Object.entries(stack.services).map(([n, s]) => [n, s.logLines]),
    );
    let pagesDone = 0;
    const sampler = startRssSampler(stack.pids, () => pagesDone);
    const cpuBefore = cpuOf(processes);
    const benchCpuBefore = process.cpuUsage();
    const redisBefore = await redisCounters(redis.client);
    const t0 = nowMs();
    const runs = await runPosts(stack.url, agent, posts, () => pagesDone++);
    const wallMs = Math.max(...runs.map((r) => r.end)) - t0;
    const redisDelta = counterDelta(redisBefore, await redisCounters(redis.client));
    const cpuAfter = cpuOf(processes);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const samples = sampler.stop();
    stack.assertAlive();
    const pages = posts * PAGES;
    const providerStats = await (await fetch(`${provider.first.url}/stats`)).json();
    if (providerStats.maxImageInflight > CONCURRENCY)
      throw new BrokenRun(
        `provider saw ${providerStats.maxImageInflight} images in flight, configured ${CONCURRENCY}`,
      );

    const cpuPerPage = Object.fromEntries(
      Object.keys(cpuAfter).map((n) => [n, round((cpuAfter[n] - cpuBefore[n]) / pages, 2)]),
    );
    cpuPerPage.bench = round((benchCpu.user + benchCpu.system) / 1000 / pages, 2);
    const memory = memorySummary(samples, Object.keys(stack.pids));
    for (const [name, s] of Object.entries(stack.services))
      memory[name].peakHwmMb = round(s.memory().peak, 1);
    say(`overhead: ${pages} pages in ${round(wallMs, 0)} ms`);
    return {
      pages,
      posts,
      pngBytes: provider.first.pngBytes,
      wallMs: round(wallMs, 0),
      pagesPerSec: round((pages * 1000) / wallMs, 1),
      cpuMsPerPage: round(cpuPerPage['outline-worker'] + cpuPerPage['image-worker'], 2),
      cpuMsPerPageByProcess: cpuPerPage,
      postWallP50Ms: round(
        percentile(
          runs.map((r) => r.end - r.start),
          50,
        ),
        0,
      ),
      logLinesPerPage: Object.fromEntries(
        Object.entries(stack.services).map(([n, s]) => [
          n,
          round((s.logLines - logLinesBefore[n]) / pages, 2),
        ]),
      ),
      memory,
      redis: {
        commandsPerPage: round(redisDelta.total / pages, 1),
        commandsPerPageByCommand: Object.fromEntries(
          Object.entries(redisDelta.byCommand)
            .slice(0, 15)
            .map(([c, n]) => [c, round(n / pages, 2)]),
        ),
        cpuMsPerPage: round(redisDelta.cpuMs / pages, 3),
        cpuMainMsPerPage: round(redisDelta.cpuMainMs / pages, 3),
      },
    };
  } finally {
    await resources.release();
  }
}

/** Raw BullMQ on the same Redis: no-op jobs with the page jobs' retention, drained by one Worker process. */
async function bullmqNoop(redis, prefix, jobs) {
  const before = await redisCounters(redis.client);
  const noop = await startChild('bullmq-noop', {
    REDIS_URL: redis.url,
    BENCH_PREFIX: prefix,
    BENCH_JOBS: String(jobs),
    BENCH_CONCURRENCY: String(CONCURRENCY),
  });
  const delta = counterDelta(before, await redisCounters(redis.client));
  await noop.stop();
  return {
    jobs,
    jobsPerSec: round(noop.first.jobsPerSec, 0),
    workerCpuMsPerJob: round(noop.first.workerCpuMsPerJob, 3),
    commandsPerJob: round(delta.total / jobs, 1),
    redisCpuMsPerJob: round(delta.cpuMs / jobs, 3),
  };
}

export async function overheadPhase({ redis, say, quick }) {
  const full = await measure({ redis, say, image: 'full', posts: quick ? 12 : 40, warmup: quick ? 2 : 4 });
  const small = await measure({ redis, say, image: 'small', posts: quick ? 12 : 30, warmup: 2 });
  const resources = new Resources();
  let noop;
  try {
    noop = await bullmqNoop(redis, benchPrefix(resources, redis, 'noop'), quick ? 3000 : 10000);
  } finally {
    await resources.release();
  }
  say(`overhead: raw BullMQ ${noop.jobsPerSec} jobs/s`);
  return {
    process:
      'api, outline-worker, image-worker as separate processes; bench provider (own process) at zero latency; filesystem storage; image concurrency 8',
    ...full,
    bullmqJobsPerSec: noop.jobsPerSec,
    ratioToBullmq: round(full.pagesPerSec / noop.jobsPerSec, 4),
    bullmqNoop: noop,
    smallImage: {
      pngBytes: small.pngBytes,
      pages: small.pages,
      pagesPerSec: small.pagesPerSec,
      ratioToBullmq: round(small.pagesPerSec / noop.jobsPerSec, 4),
      cpuMsPerPage: small.cpuMsPerPage,
      cpuMsPerPageByProcess: small.cpuMsPerPageByProcess,
      redisCommandsPerPage: small.redis.commandsPerPage,
    },
  };
}

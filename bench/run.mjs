#!/usr/bin/env node
// `pnpm bench`: Inkpost's benchmarks. Prints a table and writes bench/results/latest.json.
// BENCH_QUICK=1 shorter runs · BENCH_ONLY=schedule,overhead,api,sse a subset · BENCH_REDIS_URL an existing Redis
// (default: a private redis-server) · BENCH_SERVICE_ENV=NAME=value,… extra service settings ·
// BENCH_NODE_ARGS_API / _OUTLINE_WORKER / _IMAGE_WORKER node flags (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokenRun } from './lib/api.mjs';
import { machineMeter } from './lib/machine.mjs';
import { Redis, startRedis } from './lib/redis.mjs';
import { evaluate, table, writeResults } from './lib/report.mjs';
import { round } from './lib/stats.mjs';
import { apiPhase } from './phases/api.mjs';
import { overheadPhase } from './phases/overhead.mjs';
import { redisPhase } from './phases/redis.mjs';
import { schedulePhase } from './phases/schedule.mjs';
import { ssePhase } from './phases/sse.mjs';

const PHASES = {
  schedule: schedulePhase,
  overhead: overheadPhase,
  redis: redisPhase,
  api: apiPhase,
  sse: ssePhase,
};
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const only = (process.env.BENCH_ONLY ?? Object.keys(PHASES).join(',')).split(',').map((s) => s.trim());
const say = (m) => process.stderr.write(`[bench] ${m}\n`);

function gitCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../packages', '../services'], {
      cwd: here,
    })
      .toString()
      .trim();
    return dirty ? `${sha} + uncommitted changes` : sha;
  } catch {
    return null;
  }
}

/** Redis-wide figures from the overhead run (and the MONITOR attribution), with a paper estimate of one shard. */
function redisSummary(overhead, attribution) {
  const { redis } = overhead;
  const perShard = 1000 / redis.cpuMainMsPerPage;
  return {
    ...redis,
    callsPerPage: attribution?.callsPerPage,
    bullmqNoopCommandsPerJob: overhead.bullmqNoop.commandsPerJob,
    attribution,
    estimate: {
      pagesPerSecPerShard: round(perShard, 0),
      pagesPerSecPerShardAt70Pct: round(perShard * 0.7, 0),
      workerProcessesPerShard: round(overhead.cpuMsPerPage / redis.cpuMainMsPerPage, 1),
      workerProcessesPerShardAtTarget: round(2 / redis.cpuMainMsPerPage, 1),
      basis:
        "Redis's main thread CPU per page (one core at 100%) against the workers' CPU per page: a worker process " +
        'saturating one core makes 1000/cpuMsPerPage pages/s. With real provider latency a worker is not CPU bound, ' +
        'so this is the most workers one shard can feed, not how many it needs.',
    },
  };
}

const started = Date.now();
const results = {
  meta: {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    quick,
    phases: only,
    machine: {},
  },
  errors: [],
};
let exitCode = 0;
const redis = await startRedis(say);
redis.client = new Redis(redis.url);
results.meta.redis = {
  private: redis.private,
  version: (await redis.client.info('server')).match(/redis_version:(\S+)/)?.[1] ?? null,
};
try {
  for (const name of only) {
    const phase = PHASES[name];
    if (!phase) throw new Error(`unknown phase ${name}; phases: ${Object.keys(PHASES).join(', ')}`);
    const meter = machineMeter();
    const t0 = Date.now();
    try {
      results[name] = await phase({ redis, say, quick });
      if (results[name].invariantOk === false) {
        exitCode = 1;
        results.errors.push(`${name}: invariant broken (provider saw more in flight than configured)`);
      }
    } catch (err) {
      exitCode = 1;
      results.errors.push(`${name}: ${err instanceof BrokenRun ? '' : 'error: '}${err.message}`);
      say(`${name} failed: ${err.stack ?? err.message}`);
    }
    results.meta.machine[name] = { seconds: round((Date.now() - t0) / 1000, 1), ...meter.stop() };
  }
  if (results.overhead) {
    results.redis = redisSummary(results.overhead, results.redis);
    delete results.overhead.redis;
    const memory = results.overhead.memory;
    results.memory = {
      peakRssMb: Object.fromEntries(Object.entries(memory).map(([n, m]) => [n, m.peakMb])),
      overheadRun: memory,
    };
    delete results.overhead.memory;
  }
  if (results.sse) {
    results.memory ??= {};
    results.memory.sseApi = results.sse.runs.map((r) => ({
      subscribers: r.subscribers,
      rssBeforeMb: r.apiRssBeforeMb,
      rssConnectedMb: r.apiRssConnectedMb,
      rssPeakMb: r.apiRssPeakMb,
      kbPerSubscriber: r.apiKbPerSubscriber,
    }));
  }
} finally {
  redis.client.disconnect();
  await redis.close();
}
results.meta.durationSec = round((Date.now() - started) / 1000, 0);
const { rows, targets } = evaluate(results);
results.targets = targets;
writeResults(path.join(here, 'results', 'latest.json'), results);

const busy = Object.entries(results.meta.machine)
  .filter(([, m]) => m.otherCores > 0.25)
  .map(([n, m]) => `${n} ${m.otherCores} cores`);
process.stdout.write(`\n${table(rows)}\n\n`);
process.stdout.write(
  `run: ${results.meta.durationSec} s${quick ? ' (BENCH_QUICK)' : ''} · node ${process.version} · commit ${results.meta.commit}\n`,
);
if (busy.length)
  process.stdout.write(
    `machine was also busy with other work during: ${busy.join(', ')} — figures are pessimistic\n`,
  );
for (const e of results.errors) process.stdout.write(`BROKEN: ${e}\n`);
process.stdout.write(`results: bench/results/latest.json\n`);
process.exit(exitCode);

// The results table and the JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const get = (obj, key) => key.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

/** Rows of the table: key, what it is, target (a predicate and its text) — absent phases are skipped. */
export const ROWS = [
  ['schedule.single.ratio', '1 post, N=8 C=4: wall / ideal', (v) => v <= 1.02, '≤ 1.02'],
  ['schedule.concurrent.ratio', 'concurrent posts: makespan / ideal', (v) => v <= 1.02, '≤ 1.02'],
  [
    'schedule.maxInflight',
    'most image calls the provider saw at once',
    (v, r) => v <= r.schedule.concurrency,
    '≤ C',
  ],
  ['schedule.concurrency', 'C (provider concurrency)'],
  ['schedule.single.stages.coverMs', '1 post: outline done → cover done (ideal L)'],
  ['schedule.single.coverToFirstPageCallMs', '1 post: cover call ends → first page call starts (ms)'],
  ['schedule.single.slotReuseP50Ms', '1 post: slot given back → next page call, p50 (ms)'],
  ['schedule.single.lastCallToCompletedMs', '1 post: last call ends → post.completed received (ms)'],
  ['schedule.concurrent.slotReuseP50Ms', 'concurrent: slot given back → next call, p50 (ms)'],
  ['overhead.pagesPerSec', 'pages/s, zero-latency provider, 1080×1440 PNG'],
  ['overhead.bullmqJobsPerSec', 'raw BullMQ no-op jobs/s, same Redis'],
  ['overhead.ratioToBullmq', 'pages/s ÷ BullMQ jobs/s', (v) => v >= 0.2, '≥ 0.20'],
  ['overhead.cpuMsPerPage', 'worker CPU ms per page (outline + image)', (v) => v <= 2, '≤ 2'],
  ['overhead.cpuMsPerPageByProcess.image-worker', '  of which image-worker'],
  ['overhead.cpuMsPerPageByProcess.api', 'API CPU ms per page'],
  ['overhead.smallImage.pagesPerSec', 'pages/s with a 108×144 image'],
  ['overhead.smallImage.cpuMsPerPage', 'worker CPU ms per page, 108×144 image'],
  ['overhead.bullmqNoop.workerCpuMsPerJob', 'BullMQ worker CPU ms per no-op job'],
  ['sse.subscribers', 'SSE subscribers on one API process', (v) => v >= 5000, '5000'],
  ['sse.p50Ms', 'event commit → subscriber, p50 (ms)'],
  ['sse.p99Ms', 'event commit → subscriber, p99 (ms)', (v) => v < 100, '< 100'],
  ['sse.apiRssMb', 'API RSS with those subscribers (MB)'],
  ['api.p99Ms', 'GET /v1/posts/:id p99 at 1k req/s (ms)', (v) => v < 20, '< 20'],
  ['api.generatorFloorAt1k.p99Ms', 'same generator vs a no-op server, p99 (ms)'],
  ['api.rps', 'GET /v1/posts/:id max req/s'],
  ['api.create.at1k.p99Ms', 'POST /v1/posts p99 at 1k req/s (ms)', (v) => v < 20, '< 20'],
  ['api.create.max.rps', 'POST /v1/posts max req/s'],
  ['redis.commandsPerPage', 'Redis commands per page (INFO commandstats)', (v) => v <= 40, '≤ 40'],
  ['redis.callsPerPage', 'Redis calls (round trips) per page (MONITOR)', (v) => v <= 40, '≤ 40'],
  ['redis.bullmqNoopCommandsPerJob', 'Redis commands per raw BullMQ job'],
  ['redis.cpuMsPerPage', 'Redis CPU ms per page'],
  ['redis.estimate.pagesPerSecPerShard', 'paper: pages/s one Redis shard carries'],
  ['redis.estimate.workerProcessesPerShard', 'paper: worker processes (cores) it feeds'],
  ['memory.peakRssMb.api', 'peak RSS api (MB), overhead run'],
  ['memory.peakRssMb.outline-worker', 'peak RSS outline-worker (MB)'],
  ['memory.peakRssMb.image-worker', 'peak RSS image-worker (MB)'],
];

function format(v) {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  return String(v);
}

/** Evaluates every target; returns rows for the table and the list of targets. */
export function evaluate(results) {
  const rows = [];
  const targets = [];
  for (const [key, label, check, targetText] of ROWS) {
    const value = get(results, key);
    if (value === undefined) continue;
    let status = '';
    if (check) {
      const ok = value !== null && check(value, results);
      status = ok ? 'ok' : 'MISSED';
      targets.push({ key, value, target: targetText, ok });
    }
    rows.push([key, label, format(value), targetText ?? '', status]);
  }
  return { rows, targets };
}

export function table(rows) {
  const head = ['key', 'what', 'value', 'target', ''];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  const line = (r) => `| ${r.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function writeResults(file, results) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

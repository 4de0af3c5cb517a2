// Raw BullMQ on the same Redis: K no-op jobs added in bulk, then drained by one Worker (concurrency W) in this
// process, with the same key prefix style and completed-job retention as page renders.
// env: REDIS_URL, BENCH_PREFIX, BENCH_JOBS, BENCH_CONCURRENCY. Sends { jobs, addMs, drainMs, jobsPerSec }.
import { importBuilt, importDependency } from '../lib/workspace.mjs';

const { Queue, Worker } = await importDependency('packages/core', 'bullmq');
const { Redis } = await importDependency('packages/core', 'ioredis');

const jobs = Number(process.env.BENCH_JOBS ?? 5000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const prefix = `{${process.env.BENCH_PREFIX}}`;
const connection = () => new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue('noop', { connection: connection(), prefix });
const { jobs: catalog } = await importBuilt('packages/shared/dist/index.js');
// The page jobs' own retention and attempts, so BullMQ's bookkeeping per job is the same as for a page.
const { removeOnComplete, removeOnFail, attempts } = catalog.pageRender.defaultJobOptions;
const options = { removeOnComplete, removeOnFail, attempts };

const addStart = performance.now();
for (let i = 0; i < jobs; i += 500) {
  const n = Math.min(500, jobs - i);
  await queue.addBulk(
    Array.from({ length: n }, (_, k) => ({
      name: 'noop',
      data: { i: i + k },
      opts: { ...options, jobId: `noop-${i + k}` },
    })),
  );
}
const addMs = performance.now() - addStart;
const cpuAfterAdd = process.cpuUsage();

let done = 0;
const drainStart = performance.now();
const finished = new Promise((resolve) => {
  const worker = new Worker('noop', async () => {}, { connection: connection(), prefix, concurrency });
  worker.on('completed', () => {
    if (++done === jobs) resolve(worker);
  });
});
const worker = await finished;
const drainMs = performance.now() - drainStart;
await worker.close();
await queue.close();
const drainCpu = process.cpuUsage(cpuAfterAdd);
// CPU of this process while the Worker drained the queue: BullMQ's own cost per job, the floor of any processor.
process.send({
  jobs,
  addMs,
  drainMs,
  jobsPerSec: (jobs * 1000) / drainMs,
  workerCpuMsPerJob: (drainCpu.user + drainCpu.system) / 1000 / jobs,
});
process.disconnect();

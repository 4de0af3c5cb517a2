import {
  createRedis,
  keySpace,
  type Logger,
  ManifestWriter,
  PostStore,
  Queues,
  type Storage,
  subscribeControl,
} from '@inkpost/core';
import { createTextClient, type TextClient } from '@inkpost/providers';
import {
  type ImageProviderConfig,
  jobs,
  OutlineJobData,
  type ProvidersConfig,
  type TextProviderConfig,
} from '@inkpost/shared';
import { type Job, Worker } from 'bullmq';
import { generateOutline, type OutlineDeps, outlineJobFailed } from './processors/generate-outline.js';

export interface OutlineWorkerOptions {
  redisUrl: string;
  keyPrefix: string;
  concurrency: number;
  storage: Storage;
  textProviders: ProvidersConfig<TextProviderConfig>;
  imageProviders: ProvidersConfig<ImageProviderConfig>;
  log: Logger;
  lockMs?: number;
  retryBackoffMs?: number;
  stalledIntervalMs?: number;
}

/** The outline worker: a BullMQ Worker on the `outline` queue plus what its processor needs. */
export async function startOutlineWorker(
  opts: OutlineWorkerOptions,
): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const redis = createRedis(opts.redisUrl, 'worker', 'inkpost-outline');
  redis.on('error', (err) => opts.log.warn({ err: err.message }, 'redis connection error'));
  const store = new PostStore(redis, opts.keyPrefix);
  const manifests = new ManifestWriter(store, opts.storage, opts.log);
  store.onCommit = (post) => manifests.schedule(post.id);
  const onQueueError = (err: Error, queue: string) => opts.log.error({ err, queue }, 'queue error');
  const queues = new Queues(redis, opts.keyPrefix, onQueueError, opts.retryBackoffMs);
  const clients = new Map<string, TextClient | null>();
  const deps: OutlineDeps = {
    store,
    queues,
    storage: opts.storage,
    textProviders: opts.textProviders,
    log: opts.log,
    attemptsFor: (provider) => opts.imageProviders.providers.get(provider)?.maxAttempts ?? 3,
    clientFor: (config) => {
      if (!clients.has(config.name)) clients.set(config.name, createTextClient(config));
      return clients.get(config.name) ?? null;
    },
  };
  // BullMQ does not close a connection it was handed; this one is quit in close().
  const workerRedis = createRedis(opts.redisUrl, 'worker', 'inkpost-outline-worker');
  const worker = new Worker(
    jobs.outline.queue,
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      const data = OutlineJobData.parse(job.data);
      const log = opts.log.child({ postId: data.postId, requestId: data.requestId, jobId: job.id });
      const outcome = await generateOutline(
        data,
        { attemptsMade: job.attemptsMade, maxAttempts: job.opts.attempts ?? 1, signal },
        { ...deps, log },
      );
      log.info({ outcome }, 'outline job done');
      return outcome;
    },
    {
      connection: workerRedis,
      prefix: keySpace(opts.keyPrefix),
      concurrency: opts.concurrency,
      lockDuration: opts.lockMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
    },
  );
  worker.on('error', (err) => opts.log.error({ err }, 'outline worker error'));
  worker.on('failed', (job, err) => {
    opts.log.warn({ jobId: job?.id, err: err.message }, 'outline job attempt failed');
    // Covers what the processor could not: a job that failed for good outside it (e.g. stalled too often).
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      const data = OutlineJobData.safeParse(job.data);
      if (data.success)
        void outlineJobFailed(data.data, err, deps).catch((e) =>
          opts.log.error({ err: e }, 'could not record failure'),
        );
    }
  });
  const control = createRedis(opts.redisUrl, 'subscriber', 'inkpost-outline-control');
  await subscribeControl(control, opts.keyPrefix, ({ jobIds }) => {
    for (const id of jobIds) worker.cancelJob(id, 'cancelled');
  });
  return {
    worker,
    async close() {
      await worker.close();
      await queues.close();
      await manifests.flush();
      await Promise.allSettled([redis.quit(), workerRedis.quit(), control.quit()]);
    },
  };
}

import {
  createRedis,
  DailyImageBudget,
  installCommitHooks,
  isFinalFailure,
  keySpace,
  type Logger,
  ManifestWriter,
  MetricsRecorder,
  PostStore,
  Queues,
  type Storage,
  subscribeControl,
  sweepWebhookOutbox,
} from '@inkpost/core';
import { createTextClient, type TextClient } from '@inkpost/providers';
import {
  CopyJobData,
  type ImageProviderConfig,
  jobs,
  OutlineJobData,
  type PostRecord,
  type ProvidersConfig,
  type TextProviderConfig,
  WebhookJobData,
} from '@inkpost/shared';
import { type Job, type Processor, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { deliverWebhook, type WebhookDeps } from './processors/deliver-webhook.js';
import { copyJobFailed, generateCopy } from './processors/generate-copy.js';
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
  webhookBackoffMs?: number;
  /** Where a post's webhooks go (its own URL or its tenant's default). */
  webhookUrlFor?: (post: PostRecord) => string | null;
  webhook?: Pick<WebhookDeps, 'secretFor' | 'allowPrivate' | 'timeoutMs'>;
  copyTemplateFor?: (tenant: string) => string | undefined;
  /** How often the webhook outbox is swept, and how old an entry must be to count as left behind. */
  outboxSweepMs?: number;
  /** Daily image budgets (DAILY_IMAGE_BUDGET / DAILY_IMAGE_BUDGETS), enforced when auto-generating. */
  budget?: { DAILY_IMAGE_BUDGET: number; DAILY_IMAGE_BUDGETS?: string };
}

const OUTBOX_SWEEP_MS = 30_000;

/**
 * The text worker process: BullMQ Workers on the `outline`, `copy` and `webhook` queues, sharing one store,
 * one set of text clients and one control subscription (cancel).
 */
export async function startOutlineWorker(
  opts: OutlineWorkerOptions,
): Promise<{ workers: Worker[]; close: () => Promise<void> }> {
  const redis = createRedis(opts.redisUrl, 'worker', 'inkpost-text');
  redis.on('error', (err) => opts.log.warn({ err: err.message }, 'redis connection error'));
  const store = new PostStore(redis, opts.keyPrefix);
  const queues = new Queues(
    redis,
    opts.keyPrefix,
    (err, queue) => opts.log.error({ err, queue }, 'queue error'),
    opts.retryBackoffMs,
  );
  const manifests = new ManifestWriter(store, opts.storage, opts.log);
  installCommitHooks(store, {
    manifests,
    queues,
    webhookUrlFor: opts.webhookUrlFor ?? (() => null),
    log: opts.log,
    webhookBackoffMs: opts.webhookBackoffMs,
  });
  const clients = new Map<string, TextClient | null>();
  const clientFor = (config: TextProviderConfig) => {
    if (!clients.has(config.name)) clients.set(config.name, createTextClient(config));
    return clients.get(config.name) ?? null;
  };
  const outlineDeps: OutlineDeps = {
    store,
    queues,
    storage: opts.storage,
    textProviders: opts.textProviders,
    log: opts.log,
    attemptsFor: (provider) => opts.imageProviders.providers.get(provider)?.maxAttempts ?? 3,
    imagePricingFor: (provider) => opts.imageProviders.providers.get(provider)?.pricing ?? null,
    budget: opts.budget ? new DailyImageBudget(redis, opts.keyPrefix, opts.budget) : undefined,
    clientFor,
  };
  const copyDeps = {
    store,
    textProviders: opts.textProviders,
    clientFor,
    templateFor: opts.copyTemplateFor ?? (() => undefined),
    log: opts.log,
  };
  const webhookDeps: WebhookDeps = {
    store,
    log: opts.log,
    secretFor: opts.webhook?.secretFor ?? (() => ''),
    allowPrivate: opts.webhook?.allowPrivate ?? false,
    timeoutMs: opts.webhook?.timeoutMs ?? 10_000,
  };
  const connections: Redis[] = [];
  const metrics = new MetricsRecorder(redis, opts.keyPrefix);
  const start = (
    queue: string,
    processor: Processor,
    concurrency: number,
    onFinalFailure: (job: Job) => Promise<void>,
  ) => {
    // BullMQ does not close a connection it was handed; these are quit in close().
    const connection = createRedis(opts.redisUrl, 'worker', `inkpost-${queue}-worker`);
    connections.push(connection);
    const timed: Processor = async (job, token, signal) => {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const outcome = await processor(job, token, signal);
        metrics.job(queue, job.name, String(outcome), seconds());
        return outcome;
      } catch (err) {
        metrics.job(queue, job.name, 'retry', seconds());
        throw err;
      }
    };
    const worker = new Worker(queue, timed, {
      connection,
      prefix: keySpace(opts.keyPrefix),
      concurrency,
      lockDuration: opts.lockMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
    });
    worker.on('error', (err) => opts.log.error({ err, queue }, 'worker error'));
    worker.on('failed', (job, err) => {
      opts.log.warn({ jobId: job?.id, queue, err: err.message }, 'job attempt failed');
      // Covers jobs that failed for good outside their processor (e.g. stalled too often).
      if (job && isFinalFailure(job, err)) {
        onFinalFailure(job).catch((e) => opts.log.error({ err: e, queue }, 'could not record a failure'));
      }
    });
    return worker;
  };
  const attemptOf = (job: Job, signal?: AbortSignal) => ({
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    signal,
  });
  const childLog = (job: Job, postId: string, requestId?: string) =>
    opts.log.child({ postId, requestId, jobId: job.id });

  const workers = [
    start(
      jobs.outline.queue,
      async (job, _token, signal) => {
        const data = OutlineJobData.parse(job.data);
        const outcome = await generateOutline(data, attemptOf(job, signal), {
          ...outlineDeps,
          log: childLog(job, data.postId, data.requestId),
        });
        childLog(job, data.postId, data.requestId).info({ outcome }, 'outline job done');
        return outcome;
      },
      opts.concurrency,
      async (job) =>
        outlineJobFailed(OutlineJobData.parse(job.data), new Error('failed repeatedly'), outlineDeps),
    ),
    start(
      jobs.copy.queue,
      async (job, _token, signal) => {
        const data = CopyJobData.parse(job.data);
        const outcome = await generateCopy(data, attemptOf(job, signal), {
          ...copyDeps,
          log: childLog(job, data.postId, data.requestId),
        });
        childLog(job, data.postId, data.requestId).info({ outcome }, 'copy job done');
        return outcome;
      },
      opts.concurrency,
      async (job) => copyJobFailed(CopyJobData.parse(job.data), copyDeps),
    ),
    start(
      jobs.webhook.queue,
      async (job) => {
        const data = WebhookJobData.parse(job.data);
        const outcome = await deliverWebhook(data, attemptOf(job), {
          ...webhookDeps,
          log: childLog(job, data.postId, data.requestId),
        });
        childLog(job, data.postId, data.requestId).info(
          { outcome, event: data.event.name },
          'webhook job done',
        );
        return outcome;
      },
      8,
      async () => {},
    ),
  ];

  // Deliveries a process committed but died before queueing (the webhook outbox), queued by whichever text worker
  // looks first; queueing is idempotent by delivery id.
  const sweep = () =>
    sweepWebhookOutbox(store, {
      queues,
      webhookUrlFor: opts.webhookUrlFor ?? (() => null),
      webhookBackoffMs: opts.webhookBackoffMs,
      minAgeMs: opts.outboxSweepMs ?? OUTBOX_SWEEP_MS,
    }).catch((err) => opts.log.warn({ err }, 'webhook outbox sweep failed'));
  const sweeper = setInterval(sweep, opts.outboxSweepMs ?? OUTBOX_SWEEP_MS);
  sweeper.unref();

  const control = createRedis(opts.redisUrl, 'subscriber', 'inkpost-text-control');
  await subscribeControl(control, opts.keyPrefix, ({ jobIds }) => {
    for (const worker of workers) for (const id of jobIds) worker.cancelJob(id, 'cancelled');
  });
  return {
    workers,
    async close() {
      clearInterval(sweeper);
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
      await Promise.all([manifests.flush(), metrics.close()]);
      await Promise.allSettled([redis.quit(), control.quit(), ...connections.map((c) => c.quit())]);
    },
  };
}

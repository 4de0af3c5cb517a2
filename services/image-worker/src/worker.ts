import {
  createRedis,
  installCommitHooks,
  isFinalFailure,
  keySpace,
  type Logger,
  ManifestWriter,
  MetricsRecorder,
  PostStore,
  ProviderSlots,
  Queues,
  type Storage,
  subscribeControl,
} from '@inkpost/core';
import { createImageProvider, type ImageProvider } from '@inkpost/providers';
import {
  type ImageProviderConfig,
  jobs,
  PageJobData,
  type PostRecord,
  type ProvidersConfig,
} from '@inkpost/shared';
import { type Job, Worker } from 'bullmq';
import { fail, RateLimited, type RenderDeps, renderPage } from './processors/render-page.js';

export interface ImageWorkerOptions {
  redisUrl: string;
  keyPrefix: string;
  storage: Storage;
  imageProviders: ProvidersConfig<ImageProviderConfig>;
  log: Logger;
  lockMs?: number;
  retryBackoffMs?: number;
  stalledIntervalMs?: number;
  webhookBackoffMs?: number;
  /** Where a post's webhooks go (its own URL or its tenant's default). */
  webhookUrlFor?: (post: PostRecord) => string | null;
  /** Only these providers' queues (default: all configured). */
  only?: string[];
}

/**
 * Page jobs of a provider running at once, per provider slot. The provider's concurrency and rate limit are held
 * only around the call itself (`ProviderSlots`), so the jobs beyond C read the post and references, store images
 * and record them while the provider works on the others; the queue's global concurrency bounds them.
 */
const JOBS_PER_SLOT = 2;

/**
 * One BullMQ Worker per image provider queue. The provider's concurrency and rate limit are kept in Redis, so they
 * hold across every image-worker process together, not per process: as slots around each provider call, with the
 * queue's global concurrency at JOBS_PER_SLOT·C and its limiter spacing job starts like the calls.
 */
export async function startImageWorker(
  opts: ImageWorkerOptions,
): Promise<{ workers: Worker[]; close: () => Promise<void> }> {
  const redis = createRedis(opts.redisUrl, 'worker', 'inkpost-image');
  redis.on('error', (err) => opts.log.warn({ err: err.message }, 'redis connection error'));
  const store = new PostStore(redis, opts.keyPrefix);
  const manifests = new ManifestWriter(store, opts.storage, opts.log);
  const onQueueError = (err: Error, queue: string) => opts.log.error({ err, queue }, 'queue error');
  const queues = new Queues(redis, opts.keyPrefix, onQueueError, opts.retryBackoffMs);
  installCommitHooks(store, {
    manifests,
    queues,
    webhookUrlFor: opts.webhookUrlFor ?? (() => null),
    log: opts.log,
    webhookBackoffMs: opts.webhookBackoffMs,
  });
  const providers = new Map<string, ImageProvider>();
  for (const [name, config] of opts.imageProviders.providers)
    providers.set(name, createImageProvider(config));
  const metrics = new MetricsRecorder(redis, opts.keyPrefix);
  const slotEvents = createRedis(opts.redisUrl, 'subscriber', 'inkpost-image-slots');
  const slots = new ProviderSlots(redis, slotEvents, opts.keyPrefix, opts.log);
  for (const [name, config] of opts.imageProviders.providers) {
    await slots.register(name, {
      concurrency: config.concurrency,
      spacingMs: config.rateLimitPerMinute ? Math.ceil(60_000 / config.rateLimitPerMinute) : 0,
      // A worker that died holding a slot frees it when its jobs count as stalled (a running call renews it).
      leaseMs: opts.lockMs ?? 30_000,
    });
  }
  const deps: RenderDeps = {
    store,
    queues,
    storage: opts.storage,
    log: opts.log,
    providerFor: (name) => providers.get(name) ?? null,
    attemptsFor: (name) => opts.imageProviders.providers.get(name)?.maxAttempts ?? 3,
    pricingFor: (name) => opts.imageProviders.providers.get(name)?.pricing ?? null,
    metrics,
    slots,
    // The provider's slots were paused by the call that got the 429 (before it gave its slot back); this stops
    // the queue from handing out more jobs meanwhile.
    pauseProvider: (name, ms) => queues.image(name).rateLimit(ms),
  };
  const names = opts.only ?? [...opts.imageProviders.providers.keys()];
  const connections = names.map(() => createRedis(opts.redisUrl, 'worker', 'inkpost-image-worker'));
  const workers = await Promise.all(
    names.map((name, i) =>
      startProviderWorker(opts.imageProviders.providers.get(name)!, connections[i]!, deps, opts),
    ),
  );
  const control = createRedis(opts.redisUrl, 'subscriber', 'inkpost-image-control');
  await subscribeControl(control, opts.keyPrefix, ({ jobIds }) => {
    for (const worker of workers) for (const id of jobIds) worker.cancelJob(id, 'cancelled');
  });
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      slots.close();
      await queues.close();
      await Promise.all([manifests.flush(), metrics.close()]);
      await Promise.allSettled([
        redis.quit(),
        control.quit(),
        slotEvents.quit(),
        ...connections.map((c) => c.quit()),
      ]);
    },
  };
}

async function startProviderWorker(
  config: ImageProviderConfig,
  connection: ReturnType<typeof createRedis>,
  deps: RenderDeps,
  opts: ImageWorkerOptions,
): Promise<Worker> {
  const queueName = jobs.pageRender.queue(config.name);
  const jobsAtOnce = config.concurrency * JOBS_PER_SLOT;
  await deps.queues.image(config.name).setGlobalConcurrency(jobsAtOnce);
  const worker = new Worker(
    queueName,
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      const data = PageJobData.parse(job.data);
      const log = opts.log.child({
        postId: data.postId,
        pageId: data.pageId,
        version: data.version,
        requestId: data.requestId,
      });
      const jobStarted = performance.now();
      const seconds = () => (performance.now() - jobStarted) / 1000;
      try {
        const outcome = await renderPage(
          data,
          {
            attemptsMade: job.attemptsMade,
            attemptsStarted: job.attemptsStarted,
            maxAttempts: job.opts.attempts ?? 1,
            signal,
          },
          { ...deps, log },
        );
        log.info({ outcome, provider: config.name }, 'page job done');
        deps.metrics?.job(queueName, jobs.pageRender.name, outcome, seconds());
        return outcome;
      } catch (err) {
        const limited = err instanceof RateLimited;
        deps.metrics?.job(queueName, jobs.pageRender.name, limited ? 'rate_limited' : 'retry', seconds());
        if (limited) throw Worker.RateLimitError();
        throw err;
      }
    },
    {
      connection,
      prefix: keySpace(opts.keyPrefix),
      concurrency: jobsAtOnce,
      lockDuration: opts.lockMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      // Requests are spaced evenly (one every 60 s / rate) rather than let through in a burst at each minute:
      // providers count requests per minute over sliding windows, and a burst is what trips their limits.
      ...(config.rateLimitPerMinute
        ? { limiter: { max: 1, duration: Math.ceil(60_000 / config.rateLimitPerMinute) } }
        : {}),
    },
  );
  worker.on('error', (err) => opts.log.error({ err, queue: queueName }, 'image worker error'));
  worker.on('failed', (job, err) => {
    if (!job || !isFinalFailure(job, err)) return;
    const data = PageJobData.safeParse(job.data);
    if (!data.success) return;
    // Covers jobs that failed for good outside the processor (stalled too often); a no-op when already recorded.
    const error = {
      code: 'render_failed',
      message: 'The page could not be rendered; try again.',
      retryable: true,
    };
    void fail(deps, data.data, error, 0).catch((e) => opts.log.error({ err: e }, 'could not record failure'));
    opts.log.warn({ jobId: job.id, err: err.message }, 'page job failed');
  });
  return worker;
}

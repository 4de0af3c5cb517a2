import { createLogger, createStorage, webhookUrlResolver } from '@inkpost/core';
import { ConfigError, ImageWorkerEnv, loadImageProviders, parseEnv } from '@inkpost/shared';
import { startImageWorker } from './worker.js';

function loadConfig() {
  try {
    const env = parseEnv(ImageWorkerEnv, process.env);
    const imageProviders = loadImageProviders(
      env.IMAGE_PROVIDERS_FILE,
      process.env,
      env.HIGH_CONCURRENCY_DEFAULT,
    );
    return { env, imageProviders };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`inkpost-image-worker: ${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const { env, imageProviders } = loadConfig();
  const log = createLogger('image-worker', env.LOG_LEVEL);
  const storage = createStorage(env);
  await storage.ensureReady();
  const { close } = await startImageWorker({
    redisUrl: env.REDIS_URL,
    keyPrefix: env.KEY_PREFIX,
    lockMs: env.JOB_LOCK_MS,
    retryBackoffMs: env.RETRY_BACKOFF_MS,
    webhookUrlFor: webhookUrlResolver(env),
    webhookBackoffMs: env.WEBHOOK_BACKOFF_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS,
    storage,
    imageProviders,
    log,
  });
  const summary = [...imageProviders.providers.values()].map((p) => ({
    name: p.name,
    type: p.type,
    concurrency: p.concurrency,
  }));
  log.info({ providers: summary, active: imageProviders.active }, 'image worker started');
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: finishing active jobs');
    const deadline = setTimeout(() => {
      log.warn('shutdown deadline passed; active jobs return to the queue as stalled');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS);
    await close();
    storage.close();
    clearTimeout(deadline);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`inkpost-image-worker: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

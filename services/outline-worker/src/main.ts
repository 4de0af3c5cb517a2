import { createLogger, createStorage } from '@inkpost/core';
import {
  ConfigError,
  loadImageProviders,
  loadTextProviders,
  OutlineWorkerEnv,
  parseEnv,
} from '@inkpost/shared';
import { startOutlineWorker } from './worker.js';

function loadConfig() {
  try {
    const env = parseEnv(OutlineWorkerEnv, process.env);
    const textProviders = loadTextProviders(env.TEXT_PROVIDERS_FILE, process.env);
    const imageProviders = loadImageProviders(
      env.IMAGE_PROVIDERS_FILE,
      process.env,
      env.HIGH_CONCURRENCY_DEFAULT,
    );
    return { env, textProviders, imageProviders };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`inkpost-outline-worker: ${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const { env, textProviders, imageProviders } = loadConfig();
  const log = createLogger('outline-worker', env.LOG_LEVEL);
  const storage = createStorage(env);
  await storage.ensureReady();
  const { close } = await startOutlineWorker({
    redisUrl: env.REDIS_URL,
    keyPrefix: env.KEY_PREFIX,
    lockMs: env.JOB_LOCK_MS,
    retryBackoffMs: env.RETRY_BACKOFF_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS,
    concurrency: env.OUTLINE_CONCURRENCY,
    storage,
    textProviders,
    imageProviders,
    log,
  });
  log.info(
    { providers: [...textProviders.providers.keys()], active: textProviders.active },
    'outline worker started',
  );
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
  process.stderr.write(`inkpost-outline-worker: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

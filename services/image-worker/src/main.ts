import { createLogger, createStorage, installShutdown } from '@inkpost/core';
import { ConfigError } from '@inkpost/shared';
import { loadImageWorkerConfig } from './options.js';
import { startImageWorker } from './worker.js';

function loadConfig() {
  try {
    return loadImageWorkerConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`inkpost-image-worker: ${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('image-worker', config.env.LOG_LEVEL);
  const storage = createStorage(config.env);
  await storage.ensureReady();
  const options = config.options(storage, log);
  const { close } = await startImageWorker(options);
  const summary = [...options.imageProviders.providers.values()].map((p) => ({
    name: p.name,
    type: p.type,
    concurrency: p.concurrency,
  }));
  log.info({ providers: summary, active: options.imageProviders.active }, 'image worker started');
  installShutdown(log, config.env.SHUTDOWN_TIMEOUT_MS, async () => {
    await close();
    storage.close();
  });
}

main().catch((err) => {
  process.stderr.write(`inkpost-image-worker: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

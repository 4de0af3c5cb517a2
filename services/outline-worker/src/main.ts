import { createLogger, createStorage, installShutdown } from '@inkpost/core';
import { ConfigError } from '@inkpost/shared';
import { loadOutlineWorkerConfig } from './options.js';
import { startOutlineWorker } from './worker.js';

function loadConfig() {
  try {
    return loadOutlineWorkerConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`inkpost-outline-worker: ${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('outline-worker', config.env.LOG_LEVEL);
  const storage = createStorage(config.env);
  await storage.ensureReady();
  const options = config.options(storage, log);
  const { close } = await startOutlineWorker(options);
  log.info(
    { providers: [...options.textProviders.providers.keys()], active: options.textProviders.active },
    'outline worker started',
  );
  installShutdown(log, config.env.SHUTDOWN_TIMEOUT_MS, async () => {
    await close();
    storage.close();
  });
}

main().catch((err) => {
  process.stderr.write(`inkpost-outline-worker: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

import { type Logger, type Storage, webhookUrlResolver } from '@inkpost/core';
import { ImageWorkerEnv, loadImageProviders, parseEnv } from '@inkpost/shared';
import type { ImageWorkerOptions } from './worker.js';

/** Reads the environment once (throws ConfigError naming the field); the worker options follow from it. */
export function loadImageWorkerConfig(processEnv: NodeJS.ProcessEnv) {
  const env = parseEnv(ImageWorkerEnv, processEnv);
  const imageProviders = loadImageProviders(
    env.IMAGE_PROVIDERS_FILE,
    processEnv,
    env.HIGH_CONCURRENCY_DEFAULT,
  );
  webhookUrlResolver(env);
  return {
    env,
    options(storage: Storage, log: Logger): ImageWorkerOptions {
      return {
        redisUrl: env.REDIS_URL,
        keyPrefix: env.KEY_PREFIX,
        lockMs: env.JOB_LOCK_MS,
        retryBackoffMs: env.RETRY_BACKOFF_MS,
        stalledIntervalMs: env.STALLED_INTERVAL_MS,
        webhookUrlFor: webhookUrlResolver(env),
        webhookBackoffMs: env.WEBHOOK_BACKOFF_MS,
        storage,
        imageProviders,
        log,
      };
    },
  };
}

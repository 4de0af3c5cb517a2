import {
  createRedis,
  createStorage,
  DailyImageBudget,
  installCommitHooks,
  type Logger,
  ManifestWriter,
  PostStore,
  Queues,
  redactUrl,
  type Storage,
  waitForRedis,
  webhookUrlResolver,
} from '@inkpost/core';
import {
  type ApiEnv,
  type ImageProviderConfig,
  loadImageProviders,
  loadTextProviders,
  type ProvidersConfig,
  parseApiKeys,
  type TextProviderConfig,
} from '@inkpost/shared';
import type { Redis } from 'ioredis';
import { EventHub } from './event-hub.js';

/** Everything the API's routes need, built once per process from the parsed environment. */
export interface ApiContext {
  env: ApiEnv;
  log: Logger;
  redis: Redis;
  store: PostStore;
  queues: Queues;
  storage: Storage;
  hub: EventHub;
  budget: DailyImageBudget;
  textProviders: ProvidersConfig<TextProviderConfig>;
  imageProviders: ProvidersConfig<ImageProviderConfig>;
  /** API key → tenant; empty when the API runs open. */
  apiKeys: Map<string, string>;
  close(): Promise<void>;
}

/** Reads provider files and API keys; throws ConfigError before any connection is opened. */
export function loadApiSettings(env: ApiEnv, processEnv: NodeJS.ProcessEnv) {
  return {
    textProviders: loadTextProviders(env.TEXT_PROVIDERS_FILE, processEnv),
    imageProviders: loadImageProviders(env.IMAGE_PROVIDERS_FILE, processEnv, env.HIGH_CONCURRENCY_DEFAULT),
    apiKeys: parseApiKeys(env.API_KEYS),
  };
}

export async function createApiContext(
  env: ApiEnv,
  log: Logger,
  processEnv = process.env,
): Promise<ApiContext> {
  const settings = loadApiSettings(env, processEnv);
  const redis = createRedis(env.REDIS_URL, 'request', 'inkpost-api');
  const subscriber = createRedis(env.REDIS_URL, 'subscriber', 'inkpost-api-sub');
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  subscriber.on('error', (err) => log.warn({ err: err.message }, 'redis subscriber error'));
  await waitForRedis(redis, env.REDIS_URL);
  log.info({ redis: redactUrl(env.REDIS_URL), prefix: env.KEY_PREFIX }, 'connected to redis');
  const store = new PostStore(redis, env.KEY_PREFIX);
  const queues = new Queues(
    redis,
    env.KEY_PREFIX,
    (err, queue) => log.error({ err, queue }, 'queue error'),
    env.RETRY_BACKOFF_MS,
  );
  const storage = createStorage(env);
  await storage.ensureReady();
  const hub = new EventHub(subscriber, store, log);
  const budget = new DailyImageBudget(redis, env.KEY_PREFIX, env);
  const manifests = new ManifestWriter(store, storage, log);
  installCommitHooks(store, {
    manifests,
    queues,
    webhookUrlFor: webhookUrlResolver(env),
    log,
    webhookBackoffMs: env.WEBHOOK_BACKOFF_MS,
  });
  return {
    env,
    log,
    redis,
    store,
    queues,
    storage,
    hub,
    budget,
    ...settings,
    async close() {
      await hub.close();
      await manifests.flush();
      await queues.close();
      storage.close();
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    },
  };
}

import { readFileSync } from 'node:fs';
import { createLogger, createStorage, webhookSecretFor, webhookUrlResolver } from '@inkpost/core';
import {
  ConfigError,
  loadImageProviders,
  loadTextProviders,
  OutlineWorkerEnv,
  parseEnv,
  parseTenantMap,
} from '@inkpost/shared';
import { parse as parseYaml } from 'yaml';
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
    const templates = loadTemplates(env.COPY_TEMPLATES_FILE);
    const webhookSecrets = parseTenantMap('WEBHOOK_SECRETS', env.WEBHOOK_SECRETS);
    return { env, textProviders, imageProviders, templates, webhookSecrets };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`inkpost-outline-worker: ${err.message}\n`);
    process.exit(1);
  }
}

/** Per-tenant copy prompt templates: a YAML mapping of tenant to template text. */
function loadTemplates(file: string | undefined): Map<string, string> {
  if (!file) return new Map();
  const parsed = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new ConfigError(
      'Invalid configuration: COPY_TEMPLATES_FILE: must map tenant names to template strings',
    );
  }
  return new Map(Object.entries(parsed as Record<string, string>));
}

async function main(): Promise<void> {
  const { env, textProviders, imageProviders, templates, webhookSecrets } = loadConfig();
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
    webhookUrlFor: webhookUrlResolver(env),
    webhookBackoffMs: env.WEBHOOK_BACKOFF_MS,
    webhook: {
      secretFor: (tenant) => webhookSecretFor(tenant, webhookSecrets, env.WEBHOOK_SECRET ?? ''),
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    },
    copyTemplateFor: (tenant) => templates.get(tenant),
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

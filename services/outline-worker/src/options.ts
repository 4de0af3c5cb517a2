import { readFileSync } from 'node:fs';
import { type Logger, type Storage, webhookSecretFor, webhookUrlResolver } from '@inkpost/core';
import {
  ConfigError,
  loadImageProviders,
  loadTextProviders,
  OutlineWorkerEnv,
  parseEnv,
  parseTenantMap,
} from '@inkpost/shared';
import { parse as parseYaml } from 'yaml';
import type { OutlineWorkerOptions } from './worker.js';

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

/** Reads the environment once (throws ConfigError naming the field); the worker options follow from it. */
export function loadOutlineWorkerConfig(processEnv: NodeJS.ProcessEnv) {
  const env = parseEnv(OutlineWorkerEnv, processEnv);
  const textProviders = loadTextProviders(env.TEXT_PROVIDERS_FILE, processEnv);
  const imageProviders = loadImageProviders(
    env.IMAGE_PROVIDERS_FILE,
    processEnv,
    env.HIGH_CONCURRENCY_DEFAULT,
  );
  const templates = loadTemplates(env.COPY_TEMPLATES_FILE);
  const webhookSecrets = parseTenantMap('WEBHOOK_SECRETS', env.WEBHOOK_SECRETS);
  webhookUrlResolver(env);
  return {
    env,
    options(storage: Storage, log: Logger): OutlineWorkerOptions {
      return {
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
        budget: env,
      };
    },
  };
}

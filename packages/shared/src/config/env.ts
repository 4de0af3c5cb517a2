import { z } from 'zod';
import { ConfigError, configErrorFrom } from './errors.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const commonShape = {
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
  ),
  KEY_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,48}$/, 'must be 1-48 characters of letters, digits, - or _')
      .default('inkpost'),
  ),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  S3_ENDPOINT: z.preprocess(emptyAsUndefined, z.url({ message: 'must be a URL' }).optional()),
  S3_BUCKET: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
      .default('inkpost'),
  ),
  S3_REGION: z.preprocess(emptyAsUndefined, z.string().default('us-east-1')),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: z.preprocess(emptyAsUndefined, bool.default(true)),
  STORAGE_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data/storage')),
  TEXT_PROVIDERS_FILE: optionalString,
  IMAGE_PROVIDERS_FILE: optionalString,
  /** Concurrency of an image provider with `high_concurrency: true` and no explicit `concurrency`. */
  HIGH_CONCURRENCY_DEFAULT: z.preprocess(emptyAsUndefined, int(1, 256).default(4)),
  SHUTDOWN_TIMEOUT_MS: z.preprocess(emptyAsUndefined, int(0, 600_000).default(25_000)),
  /** A running job's lock; it is renewed while the job runs, and a dead worker's job is retried once it lapses. */
  JOB_LOCK_MS: z.preprocess(emptyAsUndefined, int(1_000, 600_000).default(30_000)),
  /** Signs webhook deliveries (HMAC-SHA256); required for posts with a webhook. */
  WEBHOOK_SECRET: optionalString,
  /** Per-tenant webhook defaults and secrets: `tenantA=https://…,tenantB=https://…` / `tenantA=secret,…`. */
  WEBHOOK_URLS: optionalString,
  WEBHOOK_SECRETS: optionalString,
  /** Lets webhooks reach private and loopback addresses (off: a webhook cannot be aimed at the internal network). */
  WEBHOOK_ALLOW_PRIVATE: z.preprocess(emptyAsUndefined, bool.default(false)),
  WEBHOOK_TIMEOUT_MS: z.preprocess(emptyAsUndefined, int(1_000, 120_000).default(10_000)),
  /** First retry delay of a failed webhook delivery; later ones double. */
  WEBHOOK_BACKOFF_MS: z.preprocess(emptyAsUndefined, int(0, 3_600_000).default(10_000)),
  /** Images a tenant may queue per UTC day (0 = no limit); DAILY_IMAGE_BUDGETS overrides it per tenant. */
  DAILY_IMAGE_BUDGET: z.preprocess(emptyAsUndefined, int(0, 10_000_000).default(0)),
  DAILY_IMAGE_BUDGETS: optionalString,
  /** First retry delay of a failed provider call; later ones double, with jitter. */
  RETRY_BACKOFF_MS: z.preprocess(emptyAsUndefined, int(0, 600_000).default(3_000)),
  /** How often workers look for jobs whose worker died (stalled jobs). */
  STALLED_INTERVAL_MS: z.preprocess(emptyAsUndefined, int(500, 600_000).default(30_000)),
};

export const CommonEnv = z.object(commonShape);

export const ApiEnv = z.object({
  ...commonShape,
  PORT: z.preprocess(emptyAsUndefined, int(0, 65535).default(3000)),
  HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
  /** `tenantA:key1,tenantB:key2`; empty runs the API open as the single tenant `local`. */
  API_KEYS: optionalString,
  BODY_LIMIT_MB: z.preprocess(emptyAsUndefined, int(1, 200).default(30)),
  SSE_PING_MS: z.preprocess(emptyAsUndefined, int(100, 60_000).default(15_000)),
  /** HTTP Basic credentials of /admin/queues; without them the dashboard is only mounted when the API runs open. */
  ADMIN_USER: optionalString,
  ADMIN_PASSWORD: optionalString,
  /** The dashboard shows queues but cannot retry, clean or remove jobs. */
  ADMIN_READ_ONLY: z.preprocess(emptyAsUndefined, bool.default(false)),
  /** Requests per minute per API key when API_KEYS are set; 0 turns the limit off. */
  RATE_LIMIT_PER_MINUTE: z.preprocess(emptyAsUndefined, int(0, 1_000_000).default(600)),
  /** Largest reference image accepted, in pixels (width × height). */
  MAX_IMAGE_PIXELS: z.preprocess(emptyAsUndefined, int(1, 1_000_000_000).default(40_000_000)),
});
export type ApiEnv = z.infer<typeof ApiEnv>;

export const OutlineWorkerEnv = z.object({
  ...commonShape,
  /** YAML mapping tenant → copy prompt template (placeholders {{topic}}, {{outline}}, {{language}}). */
  COPY_TEMPLATES_FILE: optionalString,
  OUTLINE_CONCURRENCY: z.preprocess(emptyAsUndefined, int(1, 256).default(4)),
});
export type OutlineWorkerEnv = z.infer<typeof OutlineWorkerEnv>;

export const ImageWorkerEnv = z.object({ ...commonShape });
export type ImageWorkerEnv = z.infer<typeof ImageWorkerEnv>;

export type CommonEnv = z.infer<typeof CommonEnv>;

/** Parses one service's environment; throws a ConfigError whose message names the field. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) throw configErrorFrom('environment', result.error);
  return result.data;
}

/** Parses `API_KEYS` (`tenant:key,tenant:key`) into key → tenant. */
export function parseApiKeys(value: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of (value ?? '').split(',')) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const colon = trimmed.indexOf(':');
    const tenant = trimmed.slice(0, colon).trim();
    const key = trimmed.slice(colon + 1).trim();
    if (colon <= 0 || !key || !/^[A-Za-z0-9_-]{1,64}$/.test(tenant)) {
      throw new ConfigError(
        'Invalid configuration: environment API_KEYS: must be tenant:key pairs separated by commas',
      );
    }
    keys.set(key, tenant);
  }
  return keys;
}

/** Parses `tenant=value,tenant=value` (webhook URLs or secrets per tenant). */
export function parseTenantMap(name: string, value: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of (value ?? '').split(',')) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    const tenant = trimmed.slice(0, eq).trim();
    if (eq <= 0 || !trimmed.slice(eq + 1).trim()) {
      throw new ConfigError(
        `Invalid configuration: environment ${name}: must be tenant=value pairs separated by commas`,
      );
    }
    map.set(tenant, trimmed.slice(eq + 1).trim());
  }
  return map;
}

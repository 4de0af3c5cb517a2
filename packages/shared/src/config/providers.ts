import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, configErrorFrom } from './errors.js';

/** The name of the built-in offline text provider (a deterministic outline writer). */
export const LOCAL_TEXT_PROVIDER = 'local';
/** The name of the built-in image provider that renders page text onto a styled card. */
export const TEXT_CARD_PROVIDER = 'text_card';

const providerName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'provider names may use letters, digits, - and _');
const optionalUrl = z.url({ message: 'must be a URL such as https://api.example.com' }).optional();
const endpointPath = z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'must be a path such as /v1/chat/completions');

// RedInk's own fields, read unchanged; every other field is kept (looseObject) for the provider to use.
const baseFields = {
  api_key: z.string().optional(),
  base_url: optionalUrl,
  model: z.string().optional(),
  endpoint_type: endpointPath.optional(),
};

const TextProviderEntry = z.looseObject({
  type: z.enum(['openai_compatible', 'local'], { message: 'type must be openai_compatible or local' }),
  ...baseFields,
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().optional(),
  stream: z.boolean().optional(),
  timeout_seconds: z.number().positive().optional(),
});

const ImageProviderEntry = z.looseObject({
  type: z.enum(['image_api', 'text_card'], { message: 'type must be image_api or text_card' }),
  ...baseFields,
  high_concurrency: z.boolean().optional(),
  short_prompt: z.boolean().optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  rate_limit: z.number().positive().optional(),
  timeout_seconds: z.number().positive().optional(),
  max_attempts: z.number().int().min(1).max(20).optional(),
  image_size: z.string().optional(),
  aspect_ratio: z.string().optional(),
  response_format: z.enum(['b64_json', 'url']).optional(),
  style: z.string().optional(),
});

const providerFile = <T extends z.ZodType>(entry: T) =>
  z.object({
    active_provider: providerName.optional(),
    providers: z.record(providerName, entry).default({}),
  });

export interface TextProviderConfig {
  name: string;
  type: 'openai_compatible' | 'local';
  apiKey: string | null;
  /** The full URL the request goes to, e.g. https://host/v1/chat/completions. */
  endpointUrl: string | null;
  model: string | null;
  temperature: number | null;
  maxTokens: number | null;
  stream: boolean;
  timeoutMs: number;
  /** Every field of the YAML entry as written (after ${VAR} expansion). */
  raw: Record<string, unknown>;
}

export interface ImageProviderConfig {
  name: string;
  type: 'image_api' | 'text_card';
  apiKey: string | null;
  endpointType: string | null;
  endpointUrl: string | null;
  /** The provider's base URL without the endpoint path, for companion endpoints (e.g. generations next to edits). */
  baseUrl: string | null;
  model: string | null;
  /** In-flight requests allowed across every image-worker process. */
  concurrency: number;
  /** Requests per minute across every worker process, when limited. */
  rateLimitPerMinute: number | null;
  timeoutMs: number;
  maxAttempts: number;
  shortPrompt: boolean;
  imageSize: string | null;
  responseFormat: 'b64_json' | 'url' | null;
  raw: Record<string, unknown>;
}

export interface ProvidersConfig<T> {
  active: string;
  providers: Map<string, T>;
}

/**
 * Replaces `${VAR}` in every string value with the environment's value; a missing variable is an error naming
 * `<source> <field.path>`.
 */
export function expandEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: string[] = [],
  source?: string,
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) {
        const where = [source, path.join('.')].filter(Boolean).join(' ');
        throw new ConfigError(`Invalid configuration: ${where}: environment variable ${name} is not set`);
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, [...path, String(i)], source));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, [...path, k], source)]),
    );
  }
  return value;
}

/**
 * Joins a base URL and an endpoint path without doubling the overlap: `https://h` and `https://h/v1` with
 * `/v1/chat/completions` both give `https://h/v1/chat/completions`, never `/v1/v1/…`.
 */
export function joinEndpoint(baseUrl: string, endpoint: string): string {
  const url = new URL(baseUrl);
  const base = url.pathname.split('/').filter(Boolean);
  const path = endpoint.split('/').filter(Boolean);
  for (let k = Math.min(base.length, path.length); k > 0; k--) {
    if (base.slice(base.length - k).join('/') === path.slice(0, k).join('/')) {
      base.splice(base.length - k, k);
      break;
    }
  }
  url.pathname = `/${[...base, ...path].join('/')}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

function readYaml(file: string, source: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `Invalid configuration: ${source}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(
      `Invalid configuration: ${source}: ${file} is not valid YAML (${(err as Error).message.split('\n')[0]})`,
    );
  }
}

function parseFile<T extends z.ZodType>(
  schema: T,
  file: string | undefined,
  source: string,
  env: NodeJS.ProcessEnv,
) {
  if (!file)
    return { active_provider: undefined, providers: {} } as z.infer<ReturnType<typeof providerFile<T>>>;
  // Expanded before validation, so `${VAR}` works in any field (base_url included) and its value is validated.
  const raw = expandEnv(readYaml(file, source), env, [], source);
  const result = providerFile(schema).safeParse(raw);
  if (!result.success) throw configErrorFrom(source, result.error);
  return result.data as z.infer<ReturnType<typeof providerFile<T>>>;
}

function requireField(source: string, name: string, field: string, value: string | undefined): string {
  if (!value)
    throw new ConfigError(
      `Invalid configuration: ${source} providers.${name}.${field}: required for this type`,
    );
  return value;
}

function pickActive(source: string, active: string | undefined, names: string[], fallback: string): string {
  if (active && !names.includes(active)) {
    throw new ConfigError(
      `Invalid configuration: ${source} active_provider: "${active}" is not among providers`,
    );
  }
  return active ?? names.find((n) => n !== fallback) ?? fallback;
}

/** Reads the text providers file (RedInk's YAML format); the offline `local` writer is always available. */
export function loadTextProviders(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): ProvidersConfig<TextProviderConfig> {
  const source = 'TEXT_PROVIDERS_FILE';
  const parsed = parseFile(TextProviderEntry, file, source, env);
  const providers = new Map<string, TextProviderConfig>();
  providers.set(LOCAL_TEXT_PROVIDER, localText());
  for (const [name, entry] of Object.entries(parsed.providers)) {
    const e = entry as z.infer<typeof TextProviderEntry>;
    if (e.type === 'local') {
      providers.set(name, { ...localText(), name, raw: e });
      continue;
    }
    const baseUrl = requireField(source, name, 'base_url', e.base_url);
    const endpointType = e.endpoint_type ?? '/v1/chat/completions';
    if (!endpointType.endsWith('/chat/completions')) {
      throw new ConfigError(
        `Invalid configuration: ${source} providers.${name}.endpoint_type: must end with /chat/completions`,
      );
    }
    providers.set(name, {
      name,
      type: e.type,
      apiKey: requireField(source, name, 'api_key', e.api_key),
      endpointUrl: joinEndpoint(baseUrl, endpointType),
      model: requireField(source, name, 'model', e.model),
      temperature: e.temperature ?? null,
      maxTokens: e.max_tokens ?? null,
      stream: e.stream ?? true,
      timeoutMs: (e.timeout_seconds ?? 300) * 1000,
      raw: e,
    });
  }
  return {
    active: pickActive(source, parsed.active_provider, [...providers.keys()], LOCAL_TEXT_PROVIDER),
    providers,
  };
}

function localText(): TextProviderConfig {
  return {
    name: LOCAL_TEXT_PROVIDER,
    type: 'local',
    apiKey: null,
    endpointUrl: null,
    model: null,
    temperature: null,
    maxTokens: null,
    stream: false,
    timeoutMs: 30_000,
    raw: { type: 'local' },
  };
}

function textCard(name: string, raw: Record<string, unknown>): ImageProviderConfig {
  return {
    name,
    type: 'text_card',
    apiKey: null,
    endpointType: null,
    endpointUrl: null,
    baseUrl: null,
    model: null,
    concurrency: typeof raw.concurrency === 'number' ? raw.concurrency : 2,
    rateLimitPerMinute: null,
    timeoutMs: 60_000,
    maxAttempts: 2,
    shortPrompt: false,
    imageSize: null,
    responseFormat: null,
    raw,
  };
}

/** Reads the image providers file (RedInk's YAML format); the built-in `text_card` provider is always available. */
export function loadImageProviders(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  highConcurrencyDefault: number,
): ProvidersConfig<ImageProviderConfig> {
  const source = 'IMAGE_PROVIDERS_FILE';
  const parsed = parseFile(ImageProviderEntry, file, source, env);
  const providers = new Map<string, ImageProviderConfig>();
  providers.set(TEXT_CARD_PROVIDER, textCard(TEXT_CARD_PROVIDER, { type: 'text_card' }));
  for (const [name, entry] of Object.entries(parsed.providers)) {
    const e = entry as z.infer<typeof ImageProviderEntry>;
    if (e.type === 'text_card') {
      providers.set(name, textCard(name, e));
      continue;
    }
    const baseUrl = requireField(source, name, 'base_url', e.base_url);
    const endpointType = e.endpoint_type ?? '/v1/images/generations';
    const endpointUrl = joinEndpoint(baseUrl, endpointType);
    providers.set(name, {
      name,
      type: e.type,
      apiKey: requireField(source, name, 'api_key', e.api_key),
      endpointType,
      endpointUrl,
      baseUrl,
      model: requireField(source, name, 'model', e.model),
      concurrency: e.concurrency ?? (e.high_concurrency ? highConcurrencyDefault : 1),
      rateLimitPerMinute: e.rate_limit ?? null,
      timeoutMs: (e.timeout_seconds ?? 300) * 1000,
      maxAttempts: e.max_attempts ?? 3,
      shortPrompt: e.short_prompt ?? false,
      imageSize: e.image_size ?? null,
      responseFormat: e.response_format ?? null,
      raw: e,
    });
  }
  return {
    active: pickActive(source, parsed.active_provider, [...providers.keys()], TEXT_CARD_PROVIDER),
    providers,
  };
}

/** A provider's public description: the key masked to its last 4 characters. */
export function maskSecret(secret: string | null): string | null {
  if (!secret) return null;
  return secret.length <= 4 ? '****' : `****${secret.slice(-4)}`;
}

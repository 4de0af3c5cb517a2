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

const price = z.number().min(0, 'must be a price of 0 or more');

// Settings every provider type accepts: limits, extra request fields and prices.
const commonFields = {
  concurrency: z.number().int().min(1).max(256).optional(),
  rate_limit: z.number().positive().optional(),
  timeout_seconds: z.number().positive().optional(),
  max_attempts: z.number().int().min(1).max(20).optional(),
  extra_body: z
    .record(z.string(), z.unknown(), { message: 'must be a mapping of extra request fields' })
    .optional(),
  price_per_image: price.optional(),
  price_per_1k_input_tokens: price.optional(),
  price_per_1k_output_tokens: price.optional(),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'must be a 3-letter currency code such as USD or CNY')
    .optional(),
};

const TextProviderEntry = z.looseObject({
  type: z.enum(['openai_compatible', 'google_gemini', 'local'], {
    message: 'type must be openai_compatible, google_gemini or local',
  }),
  ...baseFields,
  ...commonFields,
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().optional(),
  stream: z.boolean().optional(),
});

const ImageProviderEntry = z.looseObject({
  type: z.enum(['image_api', 'openai_compatible', 'google_genai', 'text_card'], {
    message: 'type must be image_api, openai_compatible, google_genai or text_card',
  }),
  ...baseFields,
  ...commonFields,
  high_concurrency: z.boolean().optional(),
  short_prompt: z.boolean().optional(),
  image_size: z.string().min(1, 'must not be empty').optional(),
  aspect_ratio: z
    .string()
    .regex(/^[1-9]\d?:[1-9]\d?$/, 'must be a ratio such as 3:4')
    .optional(),
  response_format: z.enum(['b64_json', 'url']).optional(),
  style: z.string().optional(),
});

type TextEntry = z.infer<typeof TextProviderEntry>;
type ImageEntry = z.infer<typeof ImageProviderEntry>;

/** Google's Generative Language API, the default `base_url` of the Gemini types. */
export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';

const providerFile = <T extends z.ZodType>(entry: T) =>
  z.object({
    active_provider: providerName.optional(),
    providers: z.record(providerName, entry).default({}),
  });

/** What a provider charges, as configured; a price that is not configured is null. */
export interface ProviderPricing {
  perImage: number | null;
  per1kInputTokens: number | null;
  per1kOutputTokens: number | null;
  /** ISO 4217 code, upper case; USD unless `currency` says otherwise. */
  currency: string;
}

export interface TextProviderConfig {
  name: string;
  type: 'openai_compatible' | 'google_gemini' | 'local';
  apiKey: string | null;
  /**
   * The full URL the request goes to, e.g. https://host/v1/chat/completions, or for Gemini
   * https://generativelanguage.googleapis.com/v1beta/models/<model>:generateContent.
   */
  endpointUrl: string | null;
  model: string | null;
  temperature: number | null;
  maxTokens: number | null;
  stream: boolean;
  timeoutMs: number;
  /** Null when the file sets no price for this provider. */
  pricing: ProviderPricing | null;
  /** `extra_body`: fields merged into every request body ({} when not set). */
  extraBody: Record<string, unknown>;
  /** Every field of the YAML entry as written (after ${VAR} expansion). */
  raw: Record<string, unknown>;
}

export interface ImageProviderConfig {
  name: string;
  type: 'image_api' | 'openai_compatible' | 'google_genai' | 'text_card';
  apiKey: string | null;
  endpointType: string | null;
  /** The full URL of the main endpoint (for google_genai, the model's :generateContent URL). */
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
  /** `aspect_ratio`: overrides the post's aspect ratio for this provider when set. */
  aspectRatio: string | null;
  responseFormat: 'b64_json' | 'url' | null;
  pricing: ProviderPricing | null;
  extraBody: Record<string, unknown>;
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
  return value || fail(source, name, field, 'required for this type');
}

function pickActive(source: string, active: string | undefined, names: string[], fallback: string): string {
  if (active && !names.includes(active)) {
    throw new ConfigError(
      `Invalid configuration: ${source} active_provider: "${active}" is not among providers`,
    );
  }
  return active ?? names.find((n) => n !== fallback) ?? fallback;
}

function fail(source: string, name: string, field: string, message: string): never {
  throw new ConfigError(`Invalid configuration: ${source} providers.${name}.${field}: ${message}`);
}

function pricingOf(e: TextEntry | ImageEntry): ProviderPricing | null {
  const pricing = {
    perImage: e.price_per_image ?? null,
    per1kInputTokens: e.price_per_1k_input_tokens ?? null,
    per1kOutputTokens: e.price_per_1k_output_tokens ?? null,
  };
  if (Object.values(pricing).every((v) => v === null)) return null;
  return { ...pricing, currency: (e.currency ?? 'USD').toUpperCase() };
}

/** Gemini's REST URL for one model: `<base>/v1beta/models/<model>` plus e.g. `:generateContent`. */
export function geminiModelUrl(baseUrl: string, model: string, method = ''): string {
  const id = encodeURIComponent(model.replace(/^models\//, ''));
  return joinEndpoint(baseUrl, `/v1beta/models/${id}${method}`);
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
    const e = entry as TextEntry;
    providers.set(
      name,
      e.type === 'local' ? { ...localText(), name, raw: e } : textProvider(source, name, e),
    );
  }
  return {
    active: pickActive(source, parsed.active_provider, [...providers.keys()], LOCAL_TEXT_PROVIDER),
    providers,
  };
}

function textProvider(source: string, name: string, e: TextEntry): TextProviderConfig {
  const gemini = e.type === 'google_gemini';
  // Checked in RedInk's order (base_url, api_key, model), so the first missing field is the one reported.
  const baseUrl = gemini
    ? (e.base_url ?? GEMINI_BASE_URL)
    : requireField(source, name, 'base_url', e.base_url);
  const apiKey = requireField(source, name, 'api_key', e.api_key);
  const model = requireField(source, name, 'model', e.model);
  const common = {
    name,
    type: e.type,
    apiKey,
    model,
    temperature: e.temperature ?? null,
    maxTokens: e.max_tokens ?? null,
    timeoutMs: (e.timeout_seconds ?? 300) * 1000,
    pricing: pricingOf(e),
    extraBody: e.extra_body ?? {},
    raw: e,
  };
  // Gemini's native API has one fixed path per model and no streaming toggle here; endpoint_type does not apply.
  if (gemini)
    return { ...common, endpointUrl: geminiModelUrl(baseUrl, model, ':generateContent'), stream: false };
  const endpointType = e.endpoint_type ?? '/v1/chat/completions';
  if (!endpointType.endsWith('/chat/completions')) {
    fail(source, name, 'endpoint_type', 'must end with /chat/completions');
  }
  return { ...common, endpointUrl: joinEndpoint(baseUrl, endpointType), stream: e.stream ?? true };
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
    pricing: null,
    extraBody: {},
    raw: { type: 'local' },
  };
}

function textCard(name: string, e: Partial<ImageEntry>): ImageProviderConfig {
  return {
    name,
    type: 'text_card',
    apiKey: null,
    endpointType: null,
    endpointUrl: null,
    baseUrl: null,
    model: null,
    concurrency: e.concurrency ?? 2,
    rateLimitPerMinute: null,
    timeoutMs: 60_000,
    maxAttempts: 2,
    shortPrompt: false,
    imageSize: null,
    aspectRatio: e.aspect_ratio ?? null,
    responseFormat: null,
    pricing: e.type ? pricingOf(e as ImageEntry) : null,
    extraBody: {},
    raw: e,
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
    const e = entry as ImageEntry;
    providers.set(
      name,
      e.type === 'text_card' ? textCard(name, e) : imageProvider(source, name, e, highConcurrencyDefault),
    );
  }
  return {
    active: pickActive(source, parsed.active_provider, [...providers.keys()], TEXT_CARD_PROVIDER),
    providers,
  };
}

// The endpoints each OpenAI-style image type can be pointed at with endpoint_type.
const IMAGE_ENDPOINTS: Record<string, string[]> = {
  image_api: ['/images/generations', '/images/edits', '/chat/completions'],
  openai_compatible: ['/images/generations', '/images/edits'],
};

function imageEndpoint(source: string, name: string, e: ImageEntry) {
  if (e.type === 'google_genai') {
    const baseUrl = e.base_url ?? GEMINI_BASE_URL;
    const model = requireField(source, name, 'model', e.model);
    if (e.image_size && !/^[124]K$/.test(e.image_size))
      fail(source, name, 'image_size', 'must be 1K, 2K or 4K');
    return { baseUrl, endpointType: null, endpointUrl: geminiModelUrl(baseUrl, model, ':generateContent') };
  }
  const baseUrl = requireField(source, name, 'base_url', e.base_url);
  const endpointType = e.endpoint_type ?? '/v1/images/generations';
  const allowed = IMAGE_ENDPOINTS[e.type] ?? [];
  if (!allowed.some((suffix) => endpointType.replace(/\/+$/, '').endsWith(suffix))) {
    const list = allowed.join(', ').replace(/, ([^,]*)$/, ' or $1');
    fail(source, name, 'endpoint_type', `must end with ${list}`);
  }
  if (e.type === 'openai_compatible' && e.image_size && !/^(\d+x\d+|auto)$/.test(e.image_size)) {
    fail(source, name, 'image_size', 'must be WIDTHxHEIGHT (e.g. 1024x1536) or auto');
  }
  return { baseUrl, endpointType, endpointUrl: joinEndpoint(baseUrl, endpointType) };
}

function imageProvider(
  source: string,
  name: string,
  e: ImageEntry,
  highConcurrencyDefault: number,
): ImageProviderConfig {
  const endpoint = imageEndpoint(source, name, e);
  return {
    name,
    type: e.type,
    apiKey: requireField(source, name, 'api_key', e.api_key),
    model: requireField(source, name, 'model', e.model),
    ...endpoint,
    concurrency: e.concurrency ?? (e.high_concurrency ? highConcurrencyDefault : 1),
    rateLimitPerMinute: e.rate_limit ?? null,
    timeoutMs: (e.timeout_seconds ?? 300) * 1000,
    maxAttempts: e.max_attempts ?? 3,
    shortPrompt: e.short_prompt ?? false,
    imageSize: e.image_size ?? null,
    aspectRatio: e.aspect_ratio ?? null,
    responseFormat: e.response_format ?? null,
    pricing: pricingOf(e),
    extraBody: e.extra_body ?? {},
    raw: e,
  };
}

/** A provider's public description: the key masked to its last 4 characters. */
export function maskSecret(secret: string | null): string | null {
  if (!secret) return null;
  return secret.length <= 4 ? '****' : `****${secret.slice(-4)}`;
}

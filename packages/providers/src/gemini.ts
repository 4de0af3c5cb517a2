import {
  errorFromStatus,
  ProviderError,
  providerMessageFrom,
  quoteModelText,
  scrubbedError,
} from './errors.js';
import { mergeBody, providerJson } from './http.js';

/** The parts of Gemini's GenerateContentResponse the providers read. */
export interface GeminiPart {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType?: string; data?: string };
}

export interface GeminiResponse {
  candidates?: {
    content?: { parts?: GeminiPart[] };
    finishReason?: string;
    finishMessage?: string;
  }[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number; thoughtsTokenCount?: number };
}

export interface GeminiCall {
  provider: string;
  url: string;
  apiKey: string | null;
  timeoutMs: number;
  signal?: AbortSignal;
  /** A JSON body means POST; none means GET. */
  body?: Record<string, unknown>;
}

/** One call to Gemini's REST API, the key in `x-goog-api-key` (never in the URL, where logs would keep it). */
export async function geminiCall(call: GeminiCall): Promise<unknown> {
  const headers: Record<string, string> = { 'x-goog-api-key': call.apiKey ?? '' };
  if (call.body) headers['content-type'] = 'application/json';
  return providerJson({
    provider: call.provider,
    url: call.url,
    method: call.body ? 'POST' : 'GET',
    headers,
    body: call.body ? JSON.stringify(call.body) : undefined,
    timeoutMs: call.timeoutMs,
    signal: call.signal,
    secrets: [call.apiKey],
    mapError: (status, body, retryAfter) => googleError(call.provider, status, body, retryAfter),
  });
}

interface GoogleErrorBody {
  error?: {
    message?: string;
    status?: string;
    details?: { reason?: string; retryDelay?: string }[];
  };
}

/**
 * Google's error body `{error:{code,message,status,details}}` as a ProviderError. Google reports a wrong key as
 * 400 INVALID_ARGUMENT (reason API_KEY_INVALID), and a quota's retry delay in a RetryInfo detail rather than a
 * Retry-After header, so both are read here before the usual status mapping.
 */
export function googleError(provider: string, status: number, body: string, retryAfter: string | null) {
  let parsed: GoogleErrorBody | null = null;
  try {
    parsed = JSON.parse(body) as GoogleErrorBody;
  } catch {
    // not Google's JSON (a proxy's HTML page, say): the default mapping reads the text
  }
  const err = parsed?.error;
  const message = err?.message
    ? [err.status, err.message.slice(0, 500)].filter(Boolean).join(': ')
    : providerMessageFrom(body);
  const keyInvalid =
    err?.details?.some((d) => d.reason === 'API_KEY_INVALID') ||
    /API key not valid/i.test(err?.message ?? '');
  if (status === 400 && keyInvalid) {
    return new ProviderError(
      `${provider} refused the API key (400); check api_key in the provider config: ${message}`,
      {
        code: 'provider_auth',
        status,
        retryable: false,
      },
    );
  }
  const delay = err?.details?.find((d) => typeof d.retryDelay === 'string')?.retryDelay?.replace(/s$/, '');
  return errorFromStatus(provider, status, message, retryAfter ?? delay ?? null);
}

// Finish and block reasons that mean Google's filters refused the content; retrying the same page cannot help.
const POLICY_REASONS = new Set([
  'SAFETY',
  'PROHIBITED_CONTENT',
  'BLOCKLIST',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
]);

/** The content_policy error of a blocked prompt or a candidate stopped by a safety filter; null otherwise. */
export function geminiRefusal(provider: string, answer: GeminiResponse, secrets: (string | null)[]) {
  const block = answer.promptFeedback?.blockReason;
  const candidate = answer.candidates?.[0];
  const finish = candidate?.finishReason;
  if (!block && !(finish && POLICY_REASONS.has(finish))) return null;
  const detail = answer.promptFeedback?.blockReasonMessage ?? candidate?.finishMessage;
  const why = block ? `the request was blocked (${block})` : `the answer was stopped (${finish})`;
  const said = detail ? `: "${quoteModelText(detail)}"` : '';
  return scrubbedError(
    `${provider} refused this content under Google's safety rules; ${why}. Rephrase the topic or page text${said}`,
    secrets,
    { code: 'content_policy', retryable: false },
  );
}

/** An image or file as a Gemini `inlineData` part. */
export function inlinePart(bytes: Buffer, mimeType: string): GeminiPart {
  return { inlineData: { mimeType, data: bytes.toString('base64') } };
}

// GenerateContentRequest's own top-level fields; every other `extra_body` key is a generationConfig setting.
const TOP_LEVEL: Record<string, string> = {
  contents: 'contents',
  systemInstruction: 'systemInstruction',
  system_instruction: 'systemInstruction',
  tools: 'tools',
  toolConfig: 'toolConfig',
  tool_config: 'toolConfig',
  safetySettings: 'safetySettings',
  safety_settings: 'safetySettings',
  generationConfig: 'generationConfig',
  generation_config: 'generationConfig',
  cachedContent: 'cachedContent',
  cached_content: 'cachedContent',
};

/**
 * `extra_body` merged into a Gemini request: request-level fields (`safetySettings`, `tools`, `generationConfig`…)
 * at the top, any other key (`thinkingConfig`, `responseModalities`, `topP`…) into `generationConfig`.
 */
export function withGeminiExtra(body: Record<string, unknown>, extra: Record<string, unknown>) {
  const top: Record<string, unknown> = {};
  const generation: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) {
    const field = TOP_LEVEL[key];
    if (field) top[field] = value;
    else generation[key] = value;
  }
  const merged = mergeBody(body, top);
  return Object.keys(generation).length > 0 ? mergeBody(merged, { generationConfig: generation }) : merged;
}

/** The connection test of a Gemini provider: `GET …/v1beta/models/<model>`, free and key-checked. */
export async function testGeminiModel(call: Omit<GeminiCall, 'body'>): Promise<{ message: string }> {
  const url = call.url.replace(/:[A-Za-z]+$/, '');
  const model = (await geminiCall({ ...call, url })) as { name?: unknown; displayName?: unknown };
  if (typeof model?.name !== 'string') {
    throw new ProviderError(`${call.provider} answered the model lookup without a model`, {
      code: 'provider_bad_response',
      retryable: true,
    });
  }
  const display = typeof model.displayName === 'string' ? ` (${model.displayName})` : '';
  return { message: `${call.provider}: key accepted, ${model.name}${display} is available` };
}

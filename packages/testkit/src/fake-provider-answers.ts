import {
  geminiBlocked,
  geminiImage,
  geminiText,
  geminiTextOnly,
  googleError,
  wantsImage,
} from './fake-provider-gemini.js';
import {
  CHAT_REFUSAL,
  type ChatImageShape,
  chatImageMessage,
  imagePolicyError,
} from './fake-provider-images.js';
import type { FakeBehavior, FakeProviderOptions, RecordedRequest } from './fake-provider-types.js';
import {
  type ChatAnswer,
  chatCompletion,
  chatUsage,
  DEFAULT_CHAT_TEXT,
  type Endpoint,
  errorBody,
  fakeImage,
  isGemini,
  openAiError,
} from './fake-provider-wire.js';

/** One complete (non-streamed) answer; `image`/`images` are what the request's record keeps. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  image?: Buffer;
  images?: Buffer[];
}

export interface AnswerDeps {
  options: FakeProviderOptions;
  /** Serves a PNG under /files/ and returns its URL. */
  storeFile: (png: Buffer) => string;
}

export function pngFor(rec: RecordedRequest, truncate: boolean, index = 0): Buffer {
  const png = fakeImage(rec.id, index);
  return truncate ? png.subarray(0, Math.floor(png.length / 2)) : png;
}

export function chatAnswerOf(rec: RecordedRequest, content: string): ChatAnswer {
  const model = String(rec.json.model);
  return { id: `chatcmpl-fake${rec.id}`, model, content, usage: chatUsage(rec.json.messages, content) };
}

function withMessage(rec: RecordedRequest, message: object): object {
  const body = chatCompletion(chatAnswerOf(rec, '')) as { choices: { message: object }[] };
  body.choices[0]!.message = message;
  return body;
}

/** 429 in the endpoint's format; Google puts the delay in the body (RetryInfo) as well as the header here. */
export function rateLimitAnswer(endpoint: Endpoint, retryAfter: string): Answer {
  const body = isGemini(endpoint)
    ? googleError(429, undefined, /^\d+$/.test(retryAfter) ? `${retryAfter}s` : undefined)
    : openAiError(429);
  return { status: 429, body, headers: { 'retry-after': retryAfter } };
}

/** A content-policy refusal the way each API sends one. */
export function policyAnswer(
  endpoint: Endpoint,
  rec: RecordedRequest,
  behavior: Extract<FakeBehavior, { kind: 'policy' }>,
): Answer {
  if (endpoint === 'chat') {
    const message = { role: 'assistant', content: CHAT_REFUSAL, refusal: CHAT_REFUSAL };
    return { status: 200, body: withMessage(rec, message) };
  }
  if (endpoint === 'gemini-generate') {
    const image = wantsImage(rec);
    const where = behavior.where ?? (image ? 'candidate' : 'prompt');
    const reason = behavior.reason ?? (image ? 'IMAGE_SAFETY' : 'PROHIBITED_CONTENT');
    return { status: 200, body: geminiBlocked(rec, where, reason) };
  }
  if (endpoint === 'generations' || endpoint === 'edits') return { status: 400, body: imagePolicyError() };
  return { status: 403, body: errorBody(endpoint, 403) };
}

/** A chat completion whose message carries the image in `shape`. */
export function chatImageAnswer(
  rec: RecordedRequest,
  shape: ChatImageShape,
  truncate: boolean,
  text: string | undefined,
  deps: AnswerDeps,
): Answer {
  const png = pngFor(rec, truncate);
  const message = chatImageMessage(shape, png, () => deps.storeFile(png), text);
  return { status: 200, body: withMessage(rec, message), ...(shape === 'text-only' ? {} : { image: png }) };
}

/** generateContent: text for text requests, an inline PNG (or words only, with `text-only`) for image ones. */
export function geminiAnswer(
  rec: RecordedRequest,
  truncate: boolean,
  shape: { shape: ChatImageShape; text?: string } | null,
  deps: AnswerDeps,
): Answer {
  if (!wantsImage(rec)) {
    return { status: 200, body: geminiText(rec, deps.options.chatText?.(rec) ?? DEFAULT_CHAT_TEXT) };
  }
  if (shape?.shape === 'text-only') {
    const text = shape.text ?? 'I can describe the page, but not draw it.';
    return { status: 200, body: geminiTextOnly(rec, text) };
  }
  const png = pngFor(rec, truncate);
  return { status: 200, body: geminiImage(rec, png), image: png };
}

/** The images API: `n` PNGs as b64_json or as URLs served by the fake. */
export function imagesAnswer(rec: RecordedRequest, truncate: boolean, deps: AnswerDeps): Answer {
  const n = Math.min(10, Math.max(1, Number(rec.json?.n ?? rec.fields?.n?.[0] ?? 1) || 1));
  const images = Array.from({ length: n }, (_, i) => pngFor(rec, truncate, i));
  const requested = rec.json?.response_format ?? rec.fields?.response_format?.[0];
  const format = deps.options.imageResponseFormat ?? (requested === 'url' ? 'url' : 'b64_json');
  const data = images.map((png) =>
    format === 'url' ? { url: deps.storeFile(png) } : { b64_json: png.toString('base64') },
  );
  const body = { created: Math.floor(Date.now() / 1000), data };
  return { status: 200, body, image: images[0]!, ...(n > 1 ? { images } : {}) };
}

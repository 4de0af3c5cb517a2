import type { RecordedRequest } from './fake-provider-types.js';

/** Google's error envelope, as generativelanguage.googleapis.com sends it. */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: object[] };
}

const GOOGLE_ERRORS: Record<number, [status: string, message: string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  403: [
    'PERMISSION_DENIED',
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  ],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  500: [
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  ],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
};

/**
 * Google's error body for a status. `retryDelay` (e.g. "7s") adds the RetryInfo detail Google sends with quota
 * errors instead of a Retry-After header.
 */
export function googleError(status: number, message?: string, retryDelay?: string): GoogleErrorBody {
  const [code, defaultMessage] =
    GOOGLE_ERRORS[status] ??
    (status >= 500 ? GOOGLE_ERRORS[500]! : ['FAILED_PRECONDITION', `Request failed (${status}).`]);
  const error: GoogleErrorBody['error'] = { code: status, message: message ?? defaultMessage, status: code };
  if (retryDelay) error.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }];
  return { error };
}

/** Google's answer to a wrong key: 400 INVALID_ARGUMENT with reason API_KEY_INVALID (not 401). */
export function googleKeyInvalid(): GoogleErrorBody {
  return {
    error: {
      code: 400,
      message: 'API key not valid. Please pass a valid API key.',
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
        },
      ],
    },
  };
}

/** True when a generateContent request asks for images (`generationConfig.responseModalities` has IMAGE). */
export function wantsImage(rec: RecordedRequest): boolean {
  const modalities = rec.json?.generationConfig?.responseModalities;
  return Array.isArray(modalities) && modalities.some((m) => String(m).toUpperCase() === 'IMAGE');
}

/** The request's problem as Google would report it (400), or null. */
export function validateGemini(rec: Pick<RecordedRequest, 'json'>): string | null {
  const contents = rec.json?.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    return '* GenerateContentRequest.contents: contents is not specified';
  }
  for (const content of contents) {
    if (!Array.isArray(content?.parts) || content.parts.length === 0) {
      return '* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.';
    }
  }
  return null;
}

// Gemini counts an input image as 258 tokens and bills an output image as 1290.
const IMAGE_IN_TOKENS = 258;
const IMAGE_OUT_TOKENS = 1290;

function promptTokens(rec: RecordedRequest): number {
  let chars = 0;
  let images = 0;
  const parts = [
    ...(rec.json?.systemInstruction?.parts ?? []),
    ...(rec.json?.contents ?? []).flatMap((c: { parts?: unknown[] }) => c.parts ?? []),
  ];
  for (const part of parts) {
    if (typeof part?.text === 'string') chars += part.text.length;
    if (part?.inlineData || part?.inline_data) images++;
  }
  return Math.ceil(chars / 4) + images * IMAGE_IN_TOKENS;
}

function envelope(rec: RecordedRequest, candidate: object | null, outTokens: number, extra: object = {}) {
  const promptTokenCount = promptTokens(rec);
  return {
    ...(candidate ? { candidates: [candidate] } : {}),
    ...extra,
    usageMetadata: {
      promptTokenCount,
      ...(candidate ? { candidatesTokenCount: outTokens } : {}),
      totalTokenCount: promptTokenCount + outTokens,
    },
    modelVersion: modelOf(rec.path),
    responseId: `fake-gemini-${rec.id}`,
  };
}

export function modelOf(path: string): string {
  return decodeURIComponent(/\/models\/([^/:]+)/.exec(path)?.[1] ?? 'unknown');
}

/** A text answer: one candidate, its text split over two parts to show clients must join them. */
export function geminiText(rec: RecordedRequest, text: string): object {
  const cut = Math.ceil(Array.from(text).length / 2);
  const chars = Array.from(text);
  const parts = [{ text: chars.slice(0, cut).join('') }, { text: chars.slice(cut).join('') }].filter(
    (p) => p.text,
  );
  const candidate = { content: { role: 'model', parts }, finishReason: 'STOP', index: 0 };
  return envelope(rec, candidate, Math.ceil(text.length / 4));
}

/** An image answer: an inline PNG, after a short text part when the request allowed TEXT too. */
export function geminiImage(rec: RecordedRequest, png: Buffer): object {
  const modalities: unknown[] = rec.json?.generationConfig?.responseModalities ?? [];
  const withText = modalities.some((m) => String(m).toUpperCase() === 'TEXT');
  const parts = [
    ...(withText ? [{ text: 'Here is the page you asked for.' }] : []),
    { inlineData: { mimeType: 'image/png', data: png.toString('base64') } },
  ];
  const candidate = { content: { role: 'model', parts }, finishReason: 'STOP', index: 0 };
  return envelope(rec, candidate, IMAGE_OUT_TOKENS);
}

/** An image request answered with words only, as Gemini does when it decides not to draw. */
export function geminiTextOnly(rec: RecordedRequest, text: string): object {
  const candidate = { content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 };
  return envelope(rec, candidate, Math.ceil(text.length / 4));
}

/**
 * A safety refusal: the prompt blocked (`promptFeedback.blockReason`, no candidates) or the candidate stopped
 * (`finishReason`, no content).
 */
export function geminiBlocked(rec: RecordedRequest, where: 'prompt' | 'candidate', reason: string): object {
  if (where === 'prompt') return envelope(rec, null, 0, { promptFeedback: { blockReason: reason } });
  return envelope(rec, { finishReason: reason, index: 0 }, 0);
}

/** `GET …/models/<model>`: the model's description. */
export function geminiModel(path: string): object {
  const id = modelOf(path);
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    description: 'Fake Gemini model',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
  };
}

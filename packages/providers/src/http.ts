import {
  errorFromNetwork,
  errorFromStatus,
  ProviderError,
  providerMessageFrom,
  scrubSecrets,
} from './errors.js';

export interface HttpCall {
  provider: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: RequestInit['body'];
  timeoutMs: number;
  signal?: AbortSignal;
  secrets: (string | null)[];
  maxBytes?: number;
  /**
   * Maps a non-2xx answer when the provider's error format needs more than `errorFromStatus` reads from it
   * (Gemini, say, reports a bad key as 400 and a retry delay in the body); null falls back to the default.
   */
  mapError?: (status: number, body: string, retryAfter: string | null) => ProviderError | null;
}

/**
 * One HTTP call to a provider with a deadline and the caller's abort signal, mapped to ProviderError on any
 * failure. Returns the body bytes of a 2xx answer.
 */
export async function providerFetch(
  call: HttpCall,
): Promise<{ status: number; body: Buffer; contentType: string }> {
  const timeout = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(call.url, {
      method: call.method ?? 'POST',
      headers: call.headers,
      body: call.body,
      signal,
    });
  } catch (err) {
    throw networkError(call, err, timeout);
  }
  let body: Buffer;
  try {
    body = await readLimited(res, call.maxBytes ?? 50 * 1024 * 1024);
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    throw networkError(call, err, timeout);
  }
  if (!res.ok) {
    const text = body.toString('utf8');
    const retryAfter = res.headers.get('retry-after');
    const mapped =
      call.mapError?.(res.status, text, retryAfter) ??
      errorFromStatus(call.provider, res.status, providerMessageFrom(text), retryAfter);
    throw scrubbed(mapped, call.secrets);
  }
  return { status: res.status, body, contentType: res.headers.get('content-type') ?? '' };
}

function networkError(call: HttpCall, err: unknown, timeout: AbortSignal): ProviderError {
  // fetch rejects with the signal's reason, which is whatever the caller aborted with (BullMQ passes a string), so
  // the caller's signal, not the error's name, says whether this was a cancellation.
  if (call.signal?.aborted) return errorFromNetwork(call.provider, { name: 'AbortError' }, false);
  return scrubbed(errorFromNetwork(call.provider, err, timeout.aborted), call.secrets);
}

/**
 * The answer's body in one buffer. With a content-length every chunk is copied into a buffer of that size as it
 * arrives: a multi-MB image answer comes in dozens of chunks, which then need neither keeping nor a second copy.
 * A body longer than it declared (fetch decompresses, content-length counts the compressed bytes) or one without
 * a length is gathered as chunks and concatenated.
 */
async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!res.body) return Buffer.alloc(0);
  let sized = Number.isSafeInteger(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : null;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    if (total + chunk.byteLength > maxBytes) throw tooLarge(maxBytes);
    if (sized && total + chunk.byteLength <= sized.length) {
      sized.set(chunk, total);
    } else {
      if (sized) chunks.push(sized.subarray(0, total));
      sized = null;
      chunks.push(chunk);
    }
    total += chunk.byteLength;
  }
  return sized ? sized.subarray(0, total) : Buffer.concat(chunks, total);
}

function tooLarge(maxBytes: number): ProviderError {
  return new ProviderError(`provider answer exceeds ${Math.round(maxBytes / 1024 / 1024)} MB`, {
    code: 'provider_bad_response',
    retryable: false,
  });
}

function scrubbed(err: ProviderError, secrets: (string | null)[]): ProviderError {
  const message = scrubSecrets(err.message, secrets);
  if (message === err.message) return err;
  return new ProviderError(message, err);
}

/** `providerFetch` for an API that answers JSON: the parsed body, or provider_bad_response when it is not JSON. */
export async function providerJson(call: HttpCall): Promise<unknown> {
  const res = await providerFetch(call);
  return parseJsonAnswer(call.provider, res.body);
}

/** A provider's answer parsed as JSON; provider_bad_response when it is not JSON. */
export function parseJsonAnswer(provider: string, body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProviderError(`${provider} answered with a body that is not JSON`, {
      code: 'provider_bad_response',
      retryable: true,
    });
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/**
 * `extra_body` merged into a request body: nested mappings merge key by key (so `generationConfig: {…}` adds to
 * the one we send), anything else replaces what we would have sent.
 */
export function mergeBody(
  body: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeBody(current, value) : value;
  }
  return out;
}

/** A request field as a multipart form value: strings as they are, everything else as JSON. */
export function formValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

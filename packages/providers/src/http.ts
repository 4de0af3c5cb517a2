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
    const message = providerMessageFrom(body.toString('utf8'));
    throw scrubbed(
      errorFromStatus(call.provider, res.status, message, res.headers.get('retry-after')),
      call.secrets,
    );
  }
  return { status: res.status, body, contentType: res.headers.get('content-type') ?? '' };
}

function networkError(call: HttpCall, err: unknown, timeout: AbortSignal): ProviderError {
  // fetch rejects with the signal's reason, which is whatever the caller aborted with (BullMQ passes a string), so
  // the caller's signal, not the error's name, says whether this was a cancellation.
  if (call.signal?.aborted) return errorFromNetwork(call.provider, { name: 'AbortError' }, false);
  return scrubbed(errorFromNetwork(call.provider, err, timeout.aborted), call.secrets);
}

async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
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

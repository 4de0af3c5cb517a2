import { errorFromResponse, InkpostError, networkError } from './errors.js';
import { backoffMs, retryAfterMs, sleep } from './util.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RetryPolicy {
  /** Retries after the first attempt (default 2). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface HttpConfig {
  baseUrl: string;
  apiKey: string | undefined;
  fetch: FetchLike;
  retry: RetryPolicy;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query | undefined;
  json?: unknown;
  form?: FormData | undefined;
  headers?: Record<string, string> | undefined;
  /** Sent as Idempotency-Key; it is also what makes a POST safe to retry. */
  idempotencyKey?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Statuses answered as a result rather than thrown (readyz's 503 carries the checks). */
  acceptStatuses?: number[];
}

const RETRY_STATUSES = new Set([502, 503, 504]);
const SAFE_METHODS = new Set(['GET', 'PUT', 'DELETE']);

/** The transport: auth, JSON, typed errors, and transparent retries of requests that are safe to repeat. */
export class Http {
  constructor(readonly config: HttpConfig) {}

  url(path: string, query?: Query): string {
    const base = this.config.baseUrl.replace(/\/+$/, '');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const qs = params.toString();
    const url = `${base}${path.startsWith('/') ? path : `/${path}`}`;
    if (!qs) return url;
    return `${url}${url.includes('?') ? '&' : '?'}${qs}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    return headers;
  }

  async json<T>(req: HttpRequest): Promise<T> {
    const { value: text } = await this.send(
      { ...req, headers: { accept: 'application/json', ...req.headers } },
      (res) => res.text(),
    );
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new InkpostError({
        status: 200,
        code: 'invalid_response',
        message: `The API answered ${req.method} ${req.path} with something that is not JSON.`,
        cause,
      });
    }
  }

  async bytes(req: HttpRequest): Promise<{ bytes: Uint8Array; contentType: string | null }> {
    const { value: buffer, res } = await this.send(req, (r) => r.arrayBuffer());
    return { bytes: new Uint8Array(buffer), contentType: res.headers.get('content-type') };
  }

  async empty(req: HttpRequest): Promise<void> {
    await this.send(req, async (res) => void (await res.arrayBuffer()));
  }

  /**
   * One request with its retries. The body is read inside the retry loop, so a download cut short is retried
   * too. A POST is retried only with an Idempotency-Key: the server then answers a repeat from its record
   * instead of doing the work twice.
   */
  private async send<R>(
    req: HttpRequest,
    read: (res: Response) => Promise<R>,
  ): Promise<{ value: R; res: Response }> {
    const retryable = SAFE_METHODS.has(req.method) || req.idempotencyKey !== undefined;
    const init = this.init(req);
    const url = this.url(req.path, req.query);
    for (let attempt = 1; ; attempt++) {
      const canRetry = retryable && attempt <= this.config.retry.attempts;
      let res: Response;
      try {
        res = await this.config.fetch(url, init);
        if (res.ok || req.acceptStatuses?.includes(res.status)) return { value: await read(res), res };
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (!canRetry) throw networkError(this.config.baseUrl, err);
        await sleep(this.delay(attempt, null), req.signal);
        continue;
      }
      if (!canRetry || !RETRY_STATUSES.has(res.status)) throw await errorFromResponse(res);
      await res.body?.cancel().catch(() => {});
      await sleep(this.delay(attempt, res.headers.get('retry-after')), req.signal);
    }
  }

  private delay(attempt: number, retryAfter: string | null): number {
    const { baseDelayMs, maxDelayMs } = this.config.retry;
    return Math.min(maxDelayMs, retryAfterMs(retryAfter) ?? backoffMs(attempt, baseDelayMs, maxDelayMs));
  }

  private init(req: HttpRequest): RequestInit {
    const headers = this.headers(req.headers);
    if (req.idempotencyKey !== undefined) headers['idempotency-key'] = req.idempotencyKey;
    let body: FormData | string | undefined;
    if (req.form) {
      // fetch sets the multipart content-type itself, boundary included.
      body = req.form;
    } else if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    const init: RequestInit = { method: req.method, headers, redirect: 'follow' };
    if (body !== undefined) init.body = body;
    if (req.signal) init.signal = req.signal;
    return init;
  }
}

/**
 * Every failure the client reports, except an abort the caller asked for (that throws the signal's reason).
 * `status` is the HTTP status, or 0 when no HTTP answer was had: `network_error`, `timeout`, `wait_ended`.
 */
export class InkpostError extends Error {
  override readonly name = 'InkpostError';
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /**
   * The API's `x-request-id` for this call: quote it when reporting a problem, it finds the server's logs.
   */
  readonly requestId: string | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: unknown;
    requestId?: string | null;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId ?? null;
  }

  /** 401 or 403: the key is missing, unknown or not allowed. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** No HTTP answer at all (refused, reset, DNS, …) after the retries. */
  get isNetwork(): boolean {
    return this.code === 'network_error';
  }
}

function isErrorBody(
  value: unknown,
): value is { error: { code: string; message: string; details?: unknown } } {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/**
 * The API's `{ error: { code, message, details? } }` as an InkpostError; anything else (a proxy's page) too.
 */
export async function errorFromResponse(res: Response): Promise<InkpostError> {
  const requestId = res.headers.get('x-request-id');
  const text = await res.text().catch(() => '');
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: a gateway or proxy answered, not the API.
  }
  if (isErrorBody(body)) {
    const { code, message, details } = body.error;
    return new InkpostError({ status: res.status, code, message, details, requestId });
  }
  const snippet = text.trim().slice(0, 200);
  const head = res.statusText ? `HTTP ${res.status} ${res.statusText}` : `HTTP ${res.status}`;
  return new InkpostError({
    status: res.status,
    code: `http_${res.status}`,
    message: snippet ? `${head}: ${snippet}` : head,
    requestId,
  });
}

export function networkError(baseUrl: string, cause: unknown): InkpostError {
  const reason = cause instanceof Error ? describeCause(cause) : String(cause);
  return new InkpostError({
    status: 0,
    code: 'network_error',
    message: `Could not reach the Inkpost API at ${baseUrl}: ${reason}`,
    cause,
  });
}

/** Node's fetch says only "fetch failed"; the useful part (ECONNREFUSED, …) is in its cause. */
function describeCause(err: Error): string {
  const inner = err.cause;
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${inner.message})` : inner.message;
  }
  return err.message;
}

/** Why a provider call failed, in terms the scheduler acts on and a person understands. */
export type ProviderErrorCode =
  | 'rate_limited'
  | 'provider_unavailable'
  | 'provider_timeout'
  | 'provider_unreachable'
  | 'provider_auth'
  | 'provider_rejected'
  | 'content_policy'
  | 'provider_bad_response'
  | 'provider_quota'
  | 'aborted';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;

  constructor(
    message: string,
    opts: {
      code: ProviderErrorCode;
      status?: number | null;
      retryable: boolean;
      retryAfterMs?: number | null;
    },
  ) {
    super(message);
    this.code = opts.code;
    this.status = opts.status ?? null;
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with a day name; Date.parse alone accepts almost
  // anything ("-5" is a date in 2001, "retry in 2099" one in 2099, which would pause the provider for decades).
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

const QUOTA_PATTERN =
  /insufficient[_ ]?quota|exceeded your current quota|billing|insufficient balance|余额|欠费/i;

const POLICY_PATTERN = /content[_ ]?policy|safety|moderation|inappropriate|violat|sensitive|审核|违规|敏感/i;

/** Maps an HTTP failure of a provider to a ProviderError with a message a person understands. */
export function errorFromStatus(
  provider: string,
  status: number,
  providerMessage: string,
  retryAfter: string | null,
): ProviderError {
  const said = providerMessage ? `: ${providerMessage}` : '';
  // Some providers answer 429 for an exhausted balance; waiting does not refill it, so it must not be retried.
  if ((status === 429 || status === 402) && QUOTA_PATTERN.test(providerMessage)) {
    return new ProviderError(
      `${provider} has no quota or balance left (${status}); top up the account${said}`,
      {
        code: 'provider_quota',
        status,
        retryable: false,
      },
    );
  }
  if (status === 429) {
    return new ProviderError(`${provider} is rate limiting requests (429)${said}`, {
      code: 'rate_limited',
      status,
      retryable: true,
      retryAfterMs: parseRetryAfter(retryAfter),
    });
  }
  if (status === 401 || status === 403) {
    return new ProviderError(
      `${provider} refused the API key (${status}); check api_key in the provider config${said}`,
      {
        code: 'provider_auth',
        status,
        retryable: false,
      },
    );
  }
  if (status === 408 || status >= 500) {
    return new ProviderError(`${provider} failed with ${status}${said}`, {
      code: 'provider_unavailable',
      status,
      retryable: true,
    });
  }
  if (POLICY_PATTERN.test(providerMessage)) {
    return new ProviderError(`${provider} refused this page's content under its content policy${said}`, {
      code: 'content_policy',
      status,
      retryable: false,
    });
  }
  return new ProviderError(`${provider} rejected the request (${status})${said}`, {
    code: 'provider_rejected',
    status,
    retryable: false,
  });
}

/** Maps a network-level failure (no HTTP answer) to a ProviderError. */
export function errorFromNetwork(provider: string, err: unknown, timedOut: boolean): ProviderError {
  if (timedOut) {
    return new ProviderError(`${provider} did not answer in time`, {
      code: 'provider_timeout',
      retryable: true,
    });
  }
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'AbortError')
    return new ProviderError(`${provider} call was cancelled`, { code: 'aborted', retryable: false });
  const detail = e.cause?.code ?? e.cause?.message ?? e.message ?? 'network error';
  return new ProviderError(`${provider} could not be reached (${detail})`, {
    code: 'provider_unreachable',
    retryable: true,
  });
}

/** Removes secrets from text that may be shown to users or logged (providers sometimes echo the key). */
export function scrubSecrets(text: string, secrets: (string | null | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('****');
  return out.replace(/\b(sk|key|AIza)[-_A-Za-z0-9]{16,}\b/g, '****');
}

/** The human part of a provider's error body (OpenAI `{error:{message}}`, `{message}`, `{detail}` or text). */
export function providerMessageFrom(body: string): string {
  const text = body.trim();
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const err = json.error;
    const msg =
      (typeof err === 'object' && err && (err as Record<string, unknown>).message) ||
      (typeof err === 'string' && err) ||
      json.message ||
      json.detail ||
      json.msg;
    if (typeof msg === 'string') return msg.slice(0, 500);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

// What models write when they decline instead of drawing: apologies, "I can't", and policy words.
const REFUSAL_PATTERN =
  /\b(?:sorry|apologi[sz]e|i can(?:not|'t|’t)|i(?: am|'m|’m) (?:unable|not able)|unable to|won(?:'t|’t) be able|refuse)\b|content[_ ]?policy|safety|moderation|inappropriate|violat|sensitive|抱歉|无法|不能|违反|违规|敏感|审核/i;

/** True when a model's text answer reads as a refusal or a policy notice rather than a glitch. */
export function looksLikeRefusal(text: string): boolean {
  return REFUSAL_PATTERN.test(text);
}

/** A model's words, fit to quote in an error: one line, data URLs elided, at most `max` characters. */
export function quoteModelText(text: string, max = 120): string {
  const flat = text
    .replace(/data:[^,\s]*;base64,[A-Za-z0-9+/=]+/g, '[data]')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : flat;
}

/** A ProviderError whose message has had the provider's secrets removed. */
export function scrubbedError(
  message: string,
  secrets: (string | null | undefined)[],
  opts: ConstructorParameters<typeof ProviderError>[1],
): ProviderError {
  return new ProviderError(scrubSecrets(message, secrets), opts);
}

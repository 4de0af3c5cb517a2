import { describe, expect, it } from 'vitest';
import {
  errorFromNetwork,
  errorFromStatus,
  looksLikeRefusal,
  ProviderError,
  parseRetryAfter,
  providerMessageFrom,
  quoteModelText,
  scrubSecrets,
} from './errors.js';
import { googleError } from './gemini.js';
import { mergeBody } from './http.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');

  it('reads whole seconds as milliseconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads fractional seconds, rounded to a millisecond', () => {
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('0.0004', now)).toBe(0);
    expect(parseRetryAfter('2.0006', now)).toBe(2001);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:30 GMT', now)).toBe(30_000);
  });

  it('reads the obsolete RFC 850 and asctime date forms', () => {
    expect(parseRetryAfter('Saturday, 01-Mar-25 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat Mar  1 12:00:30 2025', now)).toBe(30_000);
  });

  it('gives 0 for an HTTP date in the past', () => {
    expect(parseRetryAfter('Sat, 01 Mar 2025 11:59:00 GMT', now)).toBe(0);
  });

  it('gives null for a missing or unreadable value', () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('5s', now)).toBeNull();
    // Date.parse reads these as dates in 2001 and 2099; neither is a Retry-After.
    expect(parseRetryAfter('foo 3', now)).toBeNull();
    expect(parseRetryAfter('retry in 2099', now)).toBeNull();
  });
});

describe('scrubSecrets', () => {
  it('replaces every occurrence of a given secret', () => {
    const key = 'relay-secret-3141';
    expect(scrubSecrets(`bad key ${key}; again: ${key}.`, [key])).toBe('bad key ****; again: ****.');
  });

  it('ignores missing and very short secrets rather than masking common text', () => {
    expect(scrubSecrets('the abc value', [null, undefined, '', 'abc'])).toBe('the abc value');
  });

  it('masks key-shaped tokens it was not told about', () => {
    expect(scrubSecrets('Incorrect API key provided: sk-proj-abcdefghijklmnop1234.', [])).toBe(
      'Incorrect API key provided: ****.',
    );
    expect(scrubSecrets('key AIzaSyA1234567890abcdefgh rejected', [])).toBe('key **** rejected');
  });

  it('leaves ordinary text alone', () => {
    const text = 'Rate limit reached for requests. Please try again later.';
    expect(scrubSecrets(text, ['sk-unrelated-key'])).toBe(text);
  });
});

describe('providerMessageFrom', () => {
  it('takes error.message from an OpenAI error body', () => {
    const body = JSON.stringify({
      error: {
        message: 'Incorrect API key provided.',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    expect(providerMessageFrom(body)).toBe('Incorrect API key provided.');
  });

  it('takes a string error, message, detail or msg from other JSON bodies', () => {
    expect(providerMessageFrom('{"error":"quota exhausted"}')).toBe('quota exhausted');
    expect(providerMessageFrom('{"code":"InvalidParameter","message":"size is not supported"}')).toBe(
      'size is not supported',
    );
    expect(providerMessageFrom('{"detail":"Not Found"}')).toBe('Not Found');
    expect(providerMessageFrom('{"code":1301,"msg":"系统检测到输入内容可能包含不安全内容"}')).toBe(
      '系统检测到输入内容可能包含不安全内容',
    );
  });

  it('uses the text itself, on one line, when the body is not JSON', () => {
    expect(providerMessageFrom('  <html>\n<body>502 Bad Gateway</body>\n</html> ')).toBe(
      '<html> <body>502 Bad Gateway</body> </html>',
    );
  });

  it('falls back to the JSON text when no known field holds a message', () => {
    expect(providerMessageFrom('{"status":"error"}')).toBe('{"status":"error"}');
  });

  it('gives an empty message for an empty body', () => {
    expect(providerMessageFrom('')).toBe('');
  });

  it('caps a long message', () => {
    expect(providerMessageFrom(JSON.stringify({ error: { message: 'x'.repeat(2000) } }))).toHaveLength(500);
    expect(providerMessageFrom('y'.repeat(2000))).toHaveLength(300);
  });
});

describe('errorFromStatus', () => {
  it.each([
    [429, 'rate_limited', true],
    [401, 'provider_auth', false],
    [403, 'provider_auth', false],
    [408, 'provider_unavailable', true],
    [500, 'provider_unavailable', true],
    [503, 'provider_unavailable', true],
    [400, 'provider_rejected', false],
    [404, 'provider_rejected', false],
  ] as const)('maps %i to %s (retryable: %s)', (status, code, retryable) => {
    const err = errorFromStatus('relay', status, 'something went wrong', null);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code, status, retryable });
    expect(err.message).toMatch(/^relay /);
    expect(err.message).toContain(': something went wrong');
  });

  it('recognises content-policy refusals in English and Chinese', () => {
    for (const message of [
      'content_policy_violation',
      'rejected by the safety system',
      '内容审核未通过',
      '输入包含敏感词',
    ]) {
      expect(errorFromStatus('relay', 400, message, null).code).toBe('content_policy');
    }
  });

  it('carries Retry-After only on a 429', () => {
    expect(errorFromStatus('relay', 429, '', '3').retryAfterMs).toBe(3000);
    expect(errorFromStatus('relay', 503, '', '3').retryAfterMs).toBeNull();
  });
});

describe('errorFromNetwork', () => {
  it('calls a deadline a retryable provider_timeout', () => {
    expect(errorFromNetwork('relay', new Error('x'), true)).toMatchObject({
      code: 'provider_timeout',
      retryable: true,
    });
  });

  it('calls an AbortError a non-retryable aborted', () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    expect(errorFromNetwork('relay', abort, false)).toMatchObject({ code: 'aborted', retryable: false });
  });

  it('names the socket error of an unreachable provider', () => {
    const err = errorFromNetwork(
      'relay',
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      false,
    );
    expect(err).toMatchObject({ code: 'provider_unreachable', retryable: true });
    expect(err.message).toBe('relay could not be reached (ECONNREFUSED)');
  });
});

describe('looksLikeRefusal', () => {
  it.each([
    "I'm sorry, but I can't help with that.",
    'I cannot create images of real people.',
    'This request violates our content policy.',
    '抱歉，这个内容无法生成。',
    '该内容涉及敏感信息',
  ])('reads %s as a refusal', (text) => {
    expect(looksLikeRefusal(text)).toBe(true);
  });

  it.each(['Here is your image!', 'Sure — drawing a breakfast table now.', ''])(
    'reads %s as no refusal',
    (text) => {
      expect(looksLikeRefusal(text)).toBe(false);
    },
  );
});

describe('quoteModelText', () => {
  it('keeps one line and at most the given number of characters, never splitting an emoji', () => {
    expect(quoteModelText('a\n\n  b\tc')).toBe('a b c');
    expect(quoteModelText('🍳'.repeat(10), 4)).toBe('🍳🍳🍳🍳…');
  });

  it('elides data URLs', () => {
    expect(quoteModelText('here data:image/png;base64,iVBORw0KGgo= done')).toBe('here [data] done');
  });
});

describe('mergeBody', () => {
  it('merges nested mappings key by key and lets anything else replace', () => {
    const body = {
      model: 'm',
      generationConfig: { temperature: 1, imageConfig: { aspectRatio: '3:4' } },
      n: 1,
    };
    const extra = { generationConfig: { imageConfig: { imageSize: '2K' } }, n: 2, tools: [{ a: 1 }] };
    expect(mergeBody(body, extra)).toEqual({
      model: 'm',
      generationConfig: { temperature: 1, imageConfig: { aspectRatio: '3:4', imageSize: '2K' } },
      n: 2,
      tools: [{ a: 1 }],
    });
    expect(body.generationConfig.imageConfig).toEqual({ aspectRatio: '3:4' }); // the input is left alone
  });
});

describe('googleError', () => {
  const body = (error: object) => JSON.stringify({ error });

  it('maps 400 API_KEY_INVALID to provider_auth', () => {
    const err = googleError(
      'gemini',
      400,
      body({
        code: 400,
        message: 'API key not valid.',
        status: 'INVALID_ARGUMENT',
        details: [{ reason: 'API_KEY_INVALID' }],
      }),
      null,
    );
    expect(err).toMatchObject({ code: 'provider_auth', status: 400, retryable: false });
  });

  it('reads the RetryInfo delay when there is no Retry-After header, and prefers the header', () => {
    const quota = body({
      code: 429,
      message: 'Quota exceeded',
      status: 'RESOURCE_EXHAUSTED',
      details: [{ retryDelay: '41s' }],
    });
    expect(googleError('gemini', 429, quota, null).retryAfterMs).toBe(41_000);
    expect(googleError('gemini', 429, quota, '2').retryAfterMs).toBe(2_000);
  });

  it('falls back to the text of a body that is not Google JSON', () => {
    const err = googleError('gemini', 502, '<html>Bad Gateway</html>', null);
    expect(err).toMatchObject({ code: 'provider_unavailable', status: 502 });
    expect(err.message).toContain('Bad Gateway');
  });
});

describe('quota exhaustion', () => {
  it('does not retry a 429 that says the balance is gone', () => {
    const err = errorFromStatus(
      'relay',
      429,
      'You exceeded your current quota, please check your plan and billing details.',
      '5',
    );
    expect(err.code).toBe('provider_quota');
    expect(err.retryable).toBe(false);
    expect(errorFromStatus('relay', 402, '余额不足', null).code).toBe('provider_quota');
  });

  it('still treats a plain 429 as a rate limit', () => {
    const err = errorFromStatus('relay', 429, 'Rate limit reached for requests', '5');
    expect(err).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 5000 });
  });
});

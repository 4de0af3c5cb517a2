import {
  DEFAULT_CHAT_TEXT,
  type FakeProvider,
  googleError,
  googleKeyInvalid,
  type RecordedRequest,
  startFakeProvider,
} from '@inkpost/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_KEY, cleanupConfigFiles, httpDateIn, providerError, textConfig } from '../__tests__/support.js';
import { GoogleGeminiText } from './google-gemini.js';
import { createTextClient } from './index.js';
import type { TextRequest } from './types.js';

const MODEL = 'gemini-2.5-flash';
const PATH = `/v1beta/models/${MODEL}:generateContent`;
let fake: FakeProvider;
let chatText: ((req: RecordedRequest) => string) | null = null;

beforeAll(async () => {
  fake = await startFakeProvider({ chatText: (req) => chatText?.(req) ?? DEFAULT_CHAT_TEXT });
});
beforeEach(() => {
  fake.reset();
  chatText = null;
});
afterAll(async () => {
  await fake?.close();
  cleanupConfigFiles();
});

const clientFor = (fields: Record<string, unknown> = {}) =>
  new GoogleGeminiText(textConfig({ type: 'google_gemini', base_url: fake.url, model: MODEL, ...fields }));

const REQUEST: TextRequest = { system: '你是小红书文案写手。', user: '主题：一周早餐不重样' };

const onlyRequest = () => {
  expect(fake.requests).toHaveLength(1);
  return fake.requests[0]!;
};

describe('GoogleGeminiText requests', () => {
  it('posts to models/<model>:generateContent with the key in x-goog-api-key', async () => {
    await clientFor().complete(REQUEST);
    const rec = onlyRequest();
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe(PATH);
    expect(rec.headers['x-goog-api-key']).toBe(API_KEY);
    expect(rec.headers.authorization).toBeUndefined();
    expect(rec.headers['content-type']).toMatch(/^application\/json/);
  });

  it('is what createTextClient builds for google_gemini', async () => {
    const config = textConfig({ type: 'google_gemini', base_url: `${fake.url}/v1beta`, model: MODEL });
    await createTextClient(config)!.complete(REQUEST);
    expect(onlyRequest().path).toBe(PATH);
  });

  it('sends the system prompt as systemInstruction and the user text as contents', async () => {
    await clientFor().complete(REQUEST);
    const json = onlyRequest().json;
    expect(json.systemInstruction).toEqual({ parts: [{ text: REQUEST.system }] });
    expect(json.contents).toEqual([{ role: 'user', parts: [{ text: REQUEST.user }] }]);
    expect(json).not.toHaveProperty('generationConfig');
  });

  it('sends reference images as inlineData parts after the text', async () => {
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    await clientFor().complete({
      ...REQUEST,
      images: [
        { bytes: png, mimeType: 'image/png' },
        { bytes: jpeg, mimeType: 'image/jpeg' },
      ],
    });
    expect(onlyRequest().json.contents[0].parts).toEqual([
      { text: REQUEST.user },
      { inlineData: { mimeType: 'image/png', data: png.toString('base64') } },
      { inlineData: { mimeType: 'image/jpeg', data: jpeg.toString('base64') } },
    ]);
  });

  it('sends temperature and maxOutputTokens when configured', async () => {
    await clientFor({ temperature: 0.4, max_tokens: 1500 }).complete(REQUEST);
    expect(onlyRequest().json.generationConfig).toEqual({ temperature: 0.4, maxOutputTokens: 1500 });
  });

  it('merges extra_body: request fields at the top, generation settings into generationConfig', async () => {
    const safetySettings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }];
    const extra_body = { thinkingConfig: { thinkingBudget: 0 }, topP: 0.9, safetySettings };
    await clientFor({ temperature: 0.4, extra_body }).complete(REQUEST);
    const json = onlyRequest().json;
    expect(json.safetySettings).toEqual(safetySettings);
    expect(json.generationConfig).toEqual({
      temperature: 0.4,
      thinkingConfig: { thinkingBudget: 0 },
      topP: 0.9,
    });
  });

  it('merges an explicit generationConfig in extra_body key by key', async () => {
    await clientFor({ max_tokens: 100, extra_body: { generationConfig: { candidateCount: 1 } } }).complete(
      REQUEST,
    );
    expect(onlyRequest().json.generationConfig).toEqual({ maxOutputTokens: 100, candidateCount: 1 });
  });
});

describe('GoogleGeminiText answers', () => {
  it('joins the text parts and reads the token counts from usageMetadata', async () => {
    const result = await clientFor().complete(REQUEST);
    expect(result.text).toBe(DEFAULT_CHAT_TEXT);
    expect(result.tokensIn).toBeGreaterThan(0);
    expect(result.tokensOut).toBe(Math.ceil(DEFAULT_CHAT_TEXT.length / 4));
  });

  it('skips thought parts and counts thinking tokens as output', async () => {
    fake.enqueue(PATH, {
      kind: 'status',
      status: 200,
      body: {
        candidates: [
          {
            content: { parts: [{ text: '先想想封面……', thought: true }, { text: '[封面]\n标题' }] },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 5, thoughtsTokenCount: 30 },
      },
    });
    const result = await clientFor().complete(REQUEST);
    expect(result).toEqual({ text: '[封面]\n标题', tokensIn: 12, tokensOut: 35 });
  });

  it('maps a blocked prompt to content_policy, not retryable, in words a person understands', async () => {
    fake.enqueue(PATH, { kind: 'policy' });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'content_policy', retryable: false });
    expect(err.message).toContain("refused this content under Google's safety rules");
    expect(err.message).toContain('PROHIBITED_CONTENT');
  });

  it.each(['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST'])(
    'maps finishReason %s to content_policy',
    async (reason) => {
      fake.enqueue(PATH, { kind: 'policy', where: 'candidate', reason });
      const err = await providerError(clientFor().complete(REQUEST));
      expect(err).toMatchObject({ code: 'content_policy', retryable: false });
      expect(err.message).toContain(reason);
    },
  );

  it('maps an answer without text to a retryable provider_bad_response', async () => {
    const body = { candidates: [{ content: { parts: [] }, finishReason: 'MAX_TOKENS' }] };
    fake.enqueue(PATH, { kind: 'status', status: 200, body });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_bad_response', retryable: true });
    expect(err.message).toContain('MAX_TOKENS');
  });

  it('maps a malformed body to provider_bad_response', async () => {
    fake.enqueue(PATH, { kind: 'malformed' });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_bad_response', retryable: true });
  });
});

describe('GoogleGeminiText failures', () => {
  it('maps 429 with Retry-After seconds to rate_limited with Google status and message', async () => {
    fake.enqueue(PATH, { kind: 'rate-limit', retryAfter: '7' });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: 7000 });
    expect(err.message).toContain('RESOURCE_EXHAUSTED: Resource has been exhausted');
  });

  it('reads a Retry-After HTTP date', async () => {
    fake.enqueue(PATH, { kind: 'rate-limit', retryAfter: httpDateIn(30) });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err.retryAfterMs).toBeGreaterThan(28_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it("falls back to Google's RetryInfo retryDelay when there is no Retry-After header", async () => {
    fake.enqueue(PATH, { kind: 'status', status: 429, body: googleError(429, 'Quota exceeded', '12.5s') });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'rate_limited', retryAfterMs: 12_500 });
  });

  it('maps 500 and 503 to retryable provider_unavailable', async () => {
    fake.enqueue(PATH, { kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    const first = await providerError(clientFor().complete(REQUEST));
    expect(first).toMatchObject({ code: 'provider_unavailable', status: 500, retryable: true });
    const second = await providerError(clientFor().complete(REQUEST));
    expect(second.message).toContain('UNAVAILABLE: The model is overloaded');
  });

  it("maps Google's 400 API_KEY_INVALID to provider_auth", async () => {
    fake.enqueue(PATH, { kind: 'status', status: 400, body: googleKeyInvalid() });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_auth', status: 400, retryable: false });
    expect(err.message).toContain('API key not valid');
  });

  it('maps 403 to provider_auth and never shows the key the body echoes', async () => {
    const body = googleError(403, `Permission denied for key ${API_KEY}`);
    fake.enqueue(PATH, { kind: 'status', status: 403, body });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_auth', status: 403 });
    expect(err.message).toContain('Permission denied for key ****');
  });

  it('maps another 400 to provider_rejected', async () => {
    fake.enqueue(PATH, { kind: 'status', status: 400, body: googleError(400, 'Invalid JSON payload') });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_rejected', status: 400, retryable: false });
    expect(err.message).toContain('INVALID_ARGUMENT: Invalid JSON payload');
  });

  it('maps a hanging provider to provider_timeout after timeout_seconds', async () => {
    fake.enqueue(PATH, { kind: 'hang' });
    const err = await providerError(clientFor({ timeout_seconds: 0.3 }).complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_timeout', retryable: true });
    await vi.waitFor(() => expect(fake.inflight).toBe(0));
  });

  it('maps an abort mid-call to aborted and closes the request', async () => {
    fake.enqueue(PATH, { kind: 'hang' });
    const controller = new AbortController();
    const call = clientFor().complete({ ...REQUEST, signal: controller.signal });
    await fake.waitForRequests(1);
    controller.abort('job cancelled');
    const err = await providerError(call);
    expect(err).toMatchObject({ code: 'aborted', retryable: false });
    await vi.waitFor(() => expect(fake.inflight).toBe(0));
  });
});

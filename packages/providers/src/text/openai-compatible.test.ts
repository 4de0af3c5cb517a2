import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTextProviders, type TextProviderConfig } from '@inkpost/shared';
import {
  DEFAULT_CHAT_TEXT,
  encodePng,
  type FakeProvider,
  type RecordedRequest,
  startFakeProvider,
} from '@inkpost/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../errors.js';
import { OpenAiCompatibleText } from './openai-compatible.js';
import type { TextRequest } from './types.js';

const API_KEY = 'txt-test-key-4b8e1d09c7';
const dir = mkdtempSync(join(tmpdir(), 'inkpost-text-'));
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
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
/** An openai_compatible provider loaded the way the services load it: from a YAML file pointing at `baseUrl`. */
function configFor(fields: Record<string, unknown> = {}, baseUrl = fake.url): TextProviderConfig {
  const entry = {
    type: 'openai_compatible',
    api_key: '${TEST_TEXT_KEY}',
    base_url: baseUrl,
    model: 'qwen3-14b',
    endpoint_type: '/v1/chat/completions',
    ...fields,
  };
  const lines = Object.entries(entry).map(
    // JSON is YAML: strings quoted, mappings (extra_body) written as flow mappings.
    ([k, v]) => `    ${k}: ${typeof v === 'object' || typeof v === 'string' ? JSON.stringify(v) : v}`,
  );
  const file = join(dir, `text-${++files}.yaml`);
  writeFileSync(file, ['providers:', '  fake:', ...lines, ''].join('\n'));
  const config = loadTextProviders(file, { TEST_TEXT_KEY: API_KEY }).providers.get('fake');
  if (!config) throw new Error('the fake provider did not load');
  return config;
}

const clientFor = (fields: Record<string, unknown> = {}, baseUrl = fake.url) =>
  new OpenAiCompatibleText(configFor(fields, baseUrl));

const REQUEST: TextRequest = { system: '你是小红书文案写手。', user: '主题：一周早餐不重样' };

/** What the fake counts as usage (testkit's chatUsage): a quarter of the characters, rounded up. */
function fakeUsage(rec: RecordedRequest, content: string): { tokensIn: number; tokensOut: number } {
  return {
    tokensIn: Math.ceil(JSON.stringify(rec.json.messages).length / 4),
    tokensOut: Math.ceil(content.length / 4),
  };
}

/** The ProviderError a promise rejects with; fails the test when it resolves or rejects with anything else. */
async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a ProviderError, but the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const onlyRequest = () => {
  expect(fake.requests).toHaveLength(1);
  return fake.requests[0]!;
};

describe('OpenAiCompatibleText requests', () => {
  it('posts to exactly /v1/chat/completions when base_url has no /v1', async () => {
    await clientFor({}, fake.url).complete(REQUEST);
    const rec = onlyRequest();
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe('/v1/chat/completions');
    expect(rec.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('posts to exactly /v1/chat/completions when base_url ends in /v1', async () => {
    await clientFor({}, `${fake.url}/v1`).complete(REQUEST);
    expect(onlyRequest().path).toBe('/v1/chat/completions');
  });

  it('posts to a custom prefix such as /api/v3/chat/completions', async () => {
    await clientFor({ endpoint_type: '/api/v3/chat/completions' }, `${fake.url}/api/v3`).complete(REQUEST);
    expect(onlyRequest().path).toBe('/api/v3/chat/completions');
  });

  it('sends the model, the system and user messages, and the configured sampling options', async () => {
    await clientFor({ temperature: 0.4, max_tokens: 1500 }).complete(REQUEST);
    expect(onlyRequest().json).toMatchObject({
      model: 'qwen3-14b',
      messages: [
        { role: 'system', content: REQUEST.system },
        { role: 'user', content: REQUEST.user },
      ],
      temperature: 0.4,
      max_tokens: 1500,
    });
  });

  it('merges extra_body into the request body (streamed or not)', async () => {
    const extra_body = { enable_thinking: false, top_k: 20 };
    for (const stream of [true, false]) {
      fake.reset();
      await clientFor({ stream, extra_body }).complete(REQUEST);
      expect(onlyRequest().json).toMatchObject({ enable_thinking: false, top_k: 20, stream });
    }
  });

  it('leaves temperature and max_tokens to the provider when they are not configured', async () => {
    await clientFor().complete(REQUEST);
    const json = onlyRequest().json;
    expect(json).not.toHaveProperty('temperature');
    expect(json).not.toHaveProperty('max_tokens');
  });

  it('sends reference images as image_url data-URL parts after the text', async () => {
    const png = encodePng(4, 4, () => [255, 0, 0, 255]);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0xff, 0xd9]);
    const images = [
      { bytes: png, mimeType: 'image/png' },
      { bytes: jpeg, mimeType: 'image/jpeg' },
    ];
    await clientFor().complete({ ...REQUEST, images });
    const user = onlyRequest().json.messages[1];
    expect(user.role).toBe('user');
    expect(user.content).toEqual([
      { type: 'text', text: REQUEST.user },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
      { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}` } },
    ]);
  });
});

describe('OpenAiCompatibleText answers', () => {
  it('assembles a streamed answer in full and takes the tokens from the final usage chunk', async () => {
    const result = await clientFor().complete(REQUEST);
    const rec = onlyRequest();
    expect(rec.json.stream).toBe(true);
    expect(rec.json.stream_options).toEqual({ include_usage: true });
    expect(result.text).toBe(DEFAULT_CHAT_TEXT);
    expect(result).toMatchObject(fakeUsage(rec, DEFAULT_CHAT_TEXT));
    expect(result.tokensIn).toBeGreaterThan(0);
  });

  it('answers a non-streamed call when the YAML says stream: false', async () => {
    const result = await clientFor({ stream: false }).complete(REQUEST);
    const rec = onlyRequest();
    expect(rec.json.stream).toBe(false);
    expect(rec.json).not.toHaveProperty('stream_options');
    expect(result.text).toBe(DEFAULT_CHAT_TEXT);
    expect(result).toMatchObject(fakeUsage(rec, DEFAULT_CHAT_TEXT));
  });

  it.each([true, false])('passes a <think> block through untouched (stream: %s)', async (stream) => {
    const answer = '<think>\n用户想要早餐笔记，先列封面……\n</think>\n\n[封面]\n标题：一周早餐不重样 🍳';
    chatText = () => answer;
    const result = await clientFor({ stream }).complete(REQUEST);
    expect(result.text).toBe(answer);
  });

  it('maps a malformed stream to provider_bad_response', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'malformed' });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_bad_response', retryable: true });
  });

  it('maps a malformed non-streamed body to provider_bad_response', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'malformed' });
    const err = await providerError(clientFor({ stream: false }).complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_bad_response', retryable: true });
  });
});

describe('OpenAiCompatibleText failures', () => {
  it('maps 429 to a retryable rate_limited error with Retry-After, without retrying itself', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'rate-limit', retryAfter: '7' });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: 7000 });
    expect(err.message).toContain('Rate limit reached for requests');
    expect(fake.requests).toHaveLength(1);
  });

  it('maps 500 to a retryable provider_unavailable error, without retrying itself', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'status', status: 500 });
    const err = await providerError(clientFor({ stream: false }).complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_unavailable', status: 500, retryable: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('maps 401 to provider_auth without ever showing the API key the body echoes', async () => {
    fake.enqueue('/v1/chat/completions', {
      kind: 'status',
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${API_KEY}`, type: 'invalid_request_error' } },
    });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_auth', status: 401, retryable: false });
    expect(err.message).toContain('Incorrect API key provided: ****');
    expect(err.message).not.toContain(API_KEY);
    expect(fake.requests).toHaveLength(1);
  });

  it('maps a 400 content-policy refusal to content_policy, not retryable', async () => {
    const message = 'Input data may contain inappropriate content.';
    fake.enqueue('/v1/chat/completions', { kind: 'status', status: 400, body: { error: { message } } });
    const err = await providerError(clientFor().complete(REQUEST));
    expect(err).toMatchObject({ code: 'content_policy', status: 400, retryable: false });
    expect(err.message).toContain(message);
  });

  it('maps a hanging provider to a retryable provider_timeout after timeout_seconds', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'hang' });
    const err = await providerError(clientFor({ timeout_seconds: 0.3 }).complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_timeout', retryable: true });
    expect(fake.requests).toHaveLength(1);
    await vi.waitFor(() => expect(fake.inflight).toBe(0));
  });

  it('maps an abort mid-call to aborted and closes the request', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'hang' });
    const controller = new AbortController();
    const call = clientFor().complete({ ...REQUEST, signal: controller.signal });
    await fake.waitForRequests(1);
    controller.abort('job cancelled');
    const err = await providerError(call);
    expect(err).toMatchObject({ code: 'aborted', retryable: false });
    await vi.waitFor(() => expect(fake.inflight).toBe(0));
  });

  it('maps an unreachable provider to a retryable provider_unreachable', async () => {
    const closed = await startFakeProvider();
    const url = closed.url;
    await closed.close();
    const err = await providerError(clientFor({}, url).complete(REQUEST));
    expect(err).toMatchObject({ code: 'provider_unreachable', retryable: true });
  });
});

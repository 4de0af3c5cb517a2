import { loadImageProviders, loadTextProviders } from '@inkpost/shared';
import { type FakeProvider, googleError, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_KEY, cleanupConfigFiles, imageConfig, providerError, textConfig } from './__tests__/support.js';
import { testImageProvider, testTextProvider } from './connection.js';

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider({ models: ['qwen3-14b', 'gpt-image-1'] });
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
  cleanupConfigFiles();
});

const openAiText = (fields: Record<string, unknown> = {}) =>
  textConfig({ type: 'openai_compatible', base_url: fake.url, model: 'qwen3-14b', ...fields });
const geminiText = () => textConfig({ type: 'google_gemini', base_url: fake.url, model: 'gemini-2.5-flash' });

describe('testTextProvider', () => {
  it('lists the models of an OpenAI-style service with the bearer key', async () => {
    const result = await testTextProvider(openAiText());
    expect(result.message).toBe('fake: key accepted, model qwen3-14b is available');
    expect(fake.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ['GET', '/v1/models', `Bearer ${API_KEY}`],
    ]);
  });

  it('says so, without failing, when the model is not in the list', async () => {
    const result = await testTextProvider(openAiText({ model: 'deepseek-chat' }));
    expect(result.message).toContain('model deepseek-chat is not among the 2 models it lists');
  });

  it('falls back to a one-token chat completion where /models does not exist', async () => {
    fake.enqueue('/v1/models', { kind: 'status', status: 404 });
    const result = await testTextProvider(openAiText({ stream: false, max_tokens: 4000 }));
    expect(result.message).toContain('answered a one-token chat');
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/models',
      'POST /v1/chat/completions',
    ]);
    expect(fake.requests[1]?.json).toMatchObject({ model: 'qwen3-14b', max_tokens: 1 });
  });

  it('fails with provider_auth when the key is refused', async () => {
    fake.enqueue('/v1/models', { kind: 'status', status: 401 });
    const err = await providerError(testTextProvider(openAiText()));
    expect(err).toMatchObject({ code: 'provider_auth', status: 401 });
  });

  it('looks up a Gemini model with x-goog-api-key', async () => {
    const result = await testTextProvider(geminiText());
    expect(result.message).toBe(
      'fake: key accepted, models/gemini-2.5-flash (gemini-2.5-flash) is available',
    );
    const rec = fake.requests[0]!;
    expect([rec.method, rec.path, rec.headers['x-goog-api-key']]).toEqual([
      'GET',
      '/v1beta/models/gemini-2.5-flash',
      API_KEY,
    ]);
  });

  it("maps Google's 404 for an unknown model to provider_rejected", async () => {
    fake.enqueue('/v1beta/models/gemini-2.5-flash', {
      kind: 'status',
      status: 404,
      body: googleError(404, 'models/gemini-2.5-flash is not found for API version v1beta'),
    });
    const err = await providerError(testTextProvider(geminiText()));
    expect(err).toMatchObject({ code: 'provider_rejected', status: 404 });
    expect(err.message).toContain('is not found');
  });

  it('passes the built-in local writer without any request', async () => {
    const local = loadTextProviders(undefined, {}).providers.get('local')!;
    expect((await testTextProvider(local)).message).toContain('nothing to connect to');
    expect(fake.requests).toHaveLength(0);
  });

  it('honours the abort signal', async () => {
    fake.enqueue('/v1/models', { kind: 'hang' });
    const controller = new AbortController();
    const call = testTextProvider(openAiText(), controller.signal);
    await fake.waitForRequests(1);
    controller.abort();
    expect(await providerError(call)).toMatchObject({ code: 'aborted' });
    await vi.waitFor(() => expect(fake.inflight).toBe(0));
  });

  it('times out after timeout_seconds', async () => {
    fake.enqueue('/v1beta/models/gemini-2.5-flash', { kind: 'hang' });
    const config = textConfig({
      type: 'google_gemini',
      base_url: fake.url,
      model: 'gemini-2.5-flash',
      timeout_seconds: 0.3,
    });
    expect(await providerError(testTextProvider(config))).toMatchObject({ code: 'provider_timeout' });
  });
});

describe('testImageProvider', () => {
  it.each([
    ['image_api', '/v1/images/edits', '/v1/models'],
    ['image_api', '/v1/chat/completions', '/v1/models'],
    ['openai_compatible', '/api/v3/images/generations', '/api/v3/models'],
  ])('lists the models of %s (%s) at %s', async (type, endpoint_type, path) => {
    const config = imageConfig({ type, base_url: fake.url, model: 'gpt-image-1', endpoint_type });
    const result = await testImageProvider(config);
    expect(result.message).toBe('fake: key accepted, model gpt-image-1 is available');
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${path}`]);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('looks up a google_genai model', async () => {
    const config = imageConfig({ type: 'google_genai', base_url: fake.url, model: 'gemini-2.5-flash-image' });
    expect((await testImageProvider(config)).message).toContain('models/gemini-2.5-flash-image');
    expect(fake.requests[0]?.path).toBe('/v1beta/models/gemini-2.5-flash-image');
  });

  it('maps a malformed model list to provider_bad_response', async () => {
    fake.enqueue('/v1/models', { kind: 'malformed' });
    const config = imageConfig({ type: 'image_api', base_url: fake.url, model: 'gpt-image-1' });
    expect(await providerError(testImageProvider(config))).toMatchObject({ code: 'provider_bad_response' });
  });

  it('renders a card locally for text_card', async () => {
    const card = loadImageProviders(undefined, {}, 4).providers.get('text_card')!;
    const result = await testImageProvider(card);
    expect(result.message).toMatch(/^text_card: rendered a test card locally \(\d+ bytes\)$/);
    expect(fake.requests).toHaveLength(0);
  });
});

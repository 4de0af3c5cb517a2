import { decodeFakeImage, type FakeProvider, googleKeyInvalid, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  API_KEY,
  COVER,
  cleanupConfigFiles,
  httpDateIn,
  imageConfig,
  providerError,
  renderRequest,
  USER_JPEG,
  USER_PNG,
} from '../__tests__/support.js';
import { createImageProvider } from './index.js';

const MODEL = 'gemini-2.5-flash-image';
const PATH = `/v1beta/models/${MODEL}:generateContent`;
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
  cleanupConfigFiles();
});

const providerFor = (fields: Record<string, unknown> = {}) =>
  createImageProvider(imageConfig({ type: 'google_genai', base_url: fake.url, model: MODEL, ...fields }));

const onlyRequest = () => {
  expect(fake.requests).toHaveLength(1);
  return fake.requests[0]!;
};

describe('google_genai requests', () => {
  it('posts the prompt to generateContent with x-goog-api-key, asking for an image in the post aspect ratio', async () => {
    await providerFor().render(renderRequest({ aspectRatio: '9:16' }));
    const rec = onlyRequest();
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe(PATH);
    expect(rec.headers['x-goog-api-key']).toBe(API_KEY);
    expect(rec.headers.authorization).toBeUndefined();
    expect(rec.json.generationConfig).toEqual({
      responseModalities: ['IMAGE'],
      imageConfig: { aspectRatio: '9:16' },
    });
    expect(rec.json.contents).toHaveLength(1);
    expect(rec.json.contents[0].parts).toHaveLength(1);
    expect(rec.json.contents[0].parts[0].text).toContain('第一天：燕麦酸奶杯');
    expect(Object.keys(rec.json).sort()).toEqual(['contents', 'generationConfig']);
  });

  it('sends the cover first, then the user images, as inlineData after the prompt', async () => {
    await providerFor().render(renderRequest({ references: [USER_PNG, COVER, USER_JPEG] }));
    const parts = onlyRequest().json.contents[0].parts;
    expect(parts[0].text).toContain('The first attached image is the cover');
    expect(parts.slice(1)).toEqual(
      [COVER, USER_PNG, USER_JPEG].map((r) => ({
        inlineData: { mimeType: r.mimeType, data: r.bytes.toString('base64') },
      })),
    );
  });

  it('uses aspect_ratio and image_size from the config', async () => {
    await providerFor({ aspect_ratio: '4:3', image_size: '2K' }).render(
      renderRequest({ aspectRatio: '3:4' }),
    );
    expect(onlyRequest().json.generationConfig.imageConfig).toEqual({ aspectRatio: '4:3', imageSize: '2K' });
  });

  it('merges extra_body: responseModalities into generationConfig, safetySettings at the top', async () => {
    const safetySettings = [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', threshold: 'BLOCK_NONE' }];
    const extra_body = { responseModalities: ['TEXT', 'IMAGE'], safetySettings };
    const result = await providerFor({ extra_body }).render(renderRequest());
    const rec = onlyRequest();
    expect(rec.json.generationConfig).toEqual({
      responseModalities: ['TEXT', 'IMAGE'],
      imageConfig: { aspectRatio: '3:4' },
    });
    expect(rec.json.safetySettings).toEqual(safetySettings);
    expect(result.bytes.equals(rec.response!.image!)).toBe(true); // the text part before the image is skipped
  });
});

describe('google_genai answers', () => {
  it('decodes the inlineData image to the exact bytes', async () => {
    const result = await providerFor().render(renderRequest());
    const rec = onlyRequest();
    expect(result.bytes.equals(rec.response!.image!)).toBe(true);
    expect(result).toMatchObject({ mimeType: 'image/png', model: MODEL });
    expect(decodeFakeImage(result.bytes)?.requestId).toBe(rec.id);
  });

  it('skips draft images marked as thoughts', async () => {
    const draft = COVER.bytes.toString('base64');
    const final = USER_PNG.bytes;
    const parts = [
      { inlineData: { mimeType: 'image/png', data: draft }, thought: true },
      { inlineData: { mimeType: 'image/png', data: final.toString('base64') } },
    ];
    fake.enqueue(PATH, { kind: 'status', status: 200, body: { candidates: [{ content: { parts } }] } });
    const result = await providerFor().render(renderRequest());
    expect(result.bytes.equals(final)).toBe(true);
  });

  it.each(['IMAGE_SAFETY', 'SAFETY', 'PROHIBITED_CONTENT'])(
    'maps finishReason %s to content_policy',
    async (reason) => {
      fake.enqueue(PATH, { kind: 'policy', reason });
      const err = await providerError(providerFor().render(renderRequest()));
      expect(err).toMatchObject({ code: 'content_policy', retryable: false });
      expect(err.message).toContain(reason);
      expect(err.message).toContain('Rephrase');
    },
  );

  it('maps a blocked prompt to content_policy', async () => {
    fake.enqueue(PATH, { kind: 'policy', where: 'prompt', reason: 'OTHER' });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'content_policy', retryable: false });
  });

  it('maps a text-only answer to provider_bad_response quoting the text', async () => {
    fake.enqueue(PATH, { kind: 'image-shape', shape: 'text-only', text: 'Here is a description instead.' });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'provider_bad_response', retryable: true });
    expect(err.message).toContain('"Here is a description instead."');
  });

  it('maps a truncated image and a malformed body to provider_bad_response', async () => {
    fake.enqueue(PATH, { kind: 'truncated-image' }, { kind: 'malformed' });
    expect((await providerError(providerFor().render(renderRequest()))).message).toContain('truncated');
    expect((await providerError(providerFor().render(renderRequest()))).code).toBe('provider_bad_response');
  });
});

describe('google_genai failures', () => {
  it('maps 429 with Retry-After seconds and HTTP dates', async () => {
    fake.enqueue(
      PATH,
      { kind: 'rate-limit', retryAfter: '5' },
      { kind: 'rate-limit', retryAfter: httpDateIn(25) },
    );
    expect(await providerError(providerFor().render(renderRequest()))).toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 5000,
    });
    const second = await providerError(providerFor().render(renderRequest()));
    expect(second.retryAfterMs).toBeGreaterThan(23_000);
  });

  it('maps 500 to provider_unavailable and a bad key to provider_auth', async () => {
    fake.enqueue(
      PATH,
      { kind: 'status', status: 500 },
      { kind: 'status', status: 400, body: googleKeyInvalid() },
    );
    expect(await providerError(providerFor().render(renderRequest()))).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
    expect(await providerError(providerFor().render(renderRequest()))).toMatchObject({
      code: 'provider_auth',
    });
  });

  it('maps a hang to provider_timeout after timeout_seconds', async () => {
    fake.enqueue(PATH, { kind: 'hang' });
    const err = await providerError(providerFor({ timeout_seconds: 0.3 }).render(renderRequest()));
    expect(err).toMatchObject({ code: 'provider_timeout', retryable: true });
    await vi.waitFor(() => expect(fake.imageInflight).toBe(0));
  });

  it('maps an abort to aborted', async () => {
    fake.enqueue(PATH, { kind: 'hang' });
    const controller = new AbortController();
    const call = providerFor().render(renderRequest({ references: [COVER], signal: controller.signal }));
    await fake.waitForRequests(1);
    expect(fake.imageInflight).toBe(1);
    controller.abort();
    expect(await providerError(call)).toMatchObject({ code: 'aborted', retryable: false });
    await vi.waitFor(() => expect(fake.imageInflight).toBe(0));
  });
});

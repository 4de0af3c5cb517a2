import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
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
import { openAiImageSize } from './openai-images.js';

const GENERATIONS = '/v1/images/generations';
const EDITS = '/v1/images/edits';
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
  cleanupConfigFiles();
});

const providerFor = (fields: Record<string, unknown> = {}, baseUrl = fake.url) =>
  createImageProvider(
    imageConfig({ type: 'openai_compatible', base_url: baseUrl, model: 'gpt-image-1', ...fields }),
  );

const onlyRequest = () => {
  expect(fake.requests).toHaveLength(1);
  return fake.requests[0]!;
};

describe('openai_compatible images: generations', () => {
  it('posts {model, prompt, n, size} as JSON to /v1/images/generations and nothing else', async () => {
    const result = await providerFor().render(renderRequest());
    const rec = onlyRequest();
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe(GENERATIONS);
    expect(rec.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(rec.headers['content-type']).toMatch(/^application\/json/);
    expect(rec.json).toMatchObject({ model: 'gpt-image-1', n: 1, size: '1024x1536' });
    expect(Object.keys(rec.json).sort()).toEqual(['model', 'n', 'prompt', 'size']);
    expect(rec.json.prompt).toContain('第一天：燕麦酸奶杯');
    expect(result.bytes.equals(rec.response!.image!)).toBe(true);
    expect(result).toMatchObject({ mimeType: 'image/png', model: 'gpt-image-1' });
  });

  it.each([
    ['gpt-image-1', '3:4', '1024x1536'],
    ['gpt-image-1', '16:9', '1536x1024'],
    ['gpt-image-1', '1:1', '1024x1024'],
    ['dall-e-3', '9:16', '1024x1792'],
    ['dall-e-3', '4:3', '1792x1024'],
    ['dall-e-3', '1:1', '1024x1024'],
  ])('asks %s for the %s size %s', async (model, aspectRatio, size) => {
    await providerFor({ model }).render(renderRequest({ aspectRatio: aspectRatio as '3:4' }));
    expect(onlyRequest().json.size).toBe(size);
  });

  it('prefers image_size, then aspect_ratio from the config, over the post', async () => {
    expect(openAiImageSize('gpt-image-1', '3:4', '1024x1024')).toBe('1024x1024');
    await providerFor({ aspect_ratio: '16:9' }).render(renderRequest({ aspectRatio: '3:4' }));
    expect(onlyRequest().json.size).toBe('1536x1024');
  });

  it('leaves size to the service for a model family it does not know', async () => {
    await providerFor({ model: 'flux-1-schnell' }).render(renderRequest());
    expect(onlyRequest().json).not.toHaveProperty('size');
  });

  it('sends response_format only when configured and downloads a url answer', async () => {
    const result = await providerFor({ model: 'dall-e-3', response_format: 'url' }).render(renderRequest());
    const rec = onlyRequest();
    expect(rec.json.response_format).toBe('url');
    expect(result.bytes.equals(rec.response!.image!)).toBe(true);
  });

  it('merges extra_body into the JSON body', async () => {
    await providerFor({ extra_body: { quality: 'high', moderation: 'low', size: 'auto' } }).render(
      renderRequest(),
    );
    expect(onlyRequest().json).toMatchObject({ quality: 'high', moderation: 'low', size: 'auto' });
  });

  it('sends a cover without references to generations', async () => {
    await providerFor().render(renderRequest({ pageIndex: 0 }));
    expect(onlyRequest().path).toBe(GENERATIONS);
  });
});

describe('openai_compatible images: edits', () => {
  it('sends gpt-image references as image[] parts to /v1/images/edits', async () => {
    const refs = [COVER, USER_PNG, USER_JPEG];
    const result = await providerFor({ extra_body: { quality: 'medium', background: 'opaque' } }).render(
      renderRequest({ references: refs }),
    );
    const rec = onlyRequest();
    expect(rec.path).toBe(EDITS);
    expect(rec.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(rec.fields).toEqual({
      model: ['gpt-image-1'],
      prompt: [expect.stringContaining('The first attached image is the cover')],
      n: ['1'],
      size: ['1024x1536'],
      quality: ['medium'],
      background: ['opaque'],
    });
    expect(rec.files?.map((f) => [f.field, f.mimeType])).toEqual([
      ['image[]', 'image/png'],
      ['image[]', 'image/png'],
      ['image[]', 'image/jpeg'],
    ]);
    rec.files?.forEach((file, i) => {
      expect(file.data.equals(refs[i]!.bytes)).toBe(true);
    });
    expect(result.bytes.equals(rec.response!.image!)).toBe(true);
  });

  it('sends response_format as a form field only when configured', async () => {
    await providerFor({ response_format: 'b64_json' }).render(renderRequest({ references: [COVER] }));
    expect(onlyRequest().fields?.response_format).toEqual(['b64_json']);
  });

  it('draws with dall-e-3 from the prompt alone: no edits, no mention of attachments', async () => {
    await providerFor({ model: 'dall-e-3' }).render(renderRequest({ references: [COVER, USER_PNG] }));
    const rec = onlyRequest();
    expect(rec.path).toBe(GENERATIONS);
    expect(rec.json.prompt).not.toContain('attached');
  });

  it('keeps the service prefix of endpoint_type for both endpoints', async () => {
    const provider = providerFor({ endpoint_type: '/api/v3/images/edits' }, `${fake.url}/api/v3`);
    await provider.render(renderRequest({ pageIndex: 0 }));
    await provider.render(renderRequest({ references: [COVER] }));
    expect(fake.requests.map((r) => r.path)).toEqual(['/api/v3/images/generations', '/api/v3/images/edits']);
  });
});

describe('openai_compatible images: failures', () => {
  it('maps 429 with Retry-After seconds and HTTP dates', async () => {
    fake.enqueue(
      GENERATIONS,
      { kind: 'rate-limit', retryAfter: '9' },
      { kind: 'rate-limit', retryAfter: httpDateIn(40) },
    );
    const first = await providerError(providerFor().render(renderRequest()));
    expect(first).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 9000 });
    const second = await providerError(providerFor().render(renderRequest()));
    expect(second.retryAfterMs).toBeGreaterThan(38_000);
  });

  it('maps 500 to provider_unavailable', async () => {
    fake.enqueue(EDITS, { kind: 'status', status: 500 });
    const err = await providerError(providerFor().render(renderRequest({ references: [COVER] })));
    expect(err).toMatchObject({ code: 'provider_unavailable', retryable: true });
  });

  it("maps OpenAI's content_policy_violation to content_policy", async () => {
    fake.enqueue(GENERATIONS, { kind: 'policy' });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'content_policy', status: 400, retryable: false });
    expect(err.message).toContain('safety system');
  });

  it('maps a malformed body and a truncated image to provider_bad_response', async () => {
    fake.enqueue(GENERATIONS, { kind: 'malformed' }, { kind: 'truncated-image' });
    expect((await providerError(providerFor().render(renderRequest()))).code).toBe('provider_bad_response');
    expect((await providerError(providerFor().render(renderRequest()))).code).toBe('provider_bad_response');
  });

  it('maps 401 to provider_auth without the key the body echoes', async () => {
    const body = { error: { message: `Incorrect API key provided: ${API_KEY}` } };
    fake.enqueue(GENERATIONS, { kind: 'status', status: 401, body });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'provider_auth', status: 401 });
    expect(err.message).toContain('Incorrect API key provided: ****');
  });

  it('maps a hang to provider_timeout after timeout_seconds', async () => {
    fake.enqueue(EDITS, { kind: 'hang' });
    const err = await providerError(
      providerFor({ timeout_seconds: 0.3 }).render(renderRequest({ references: [COVER] })),
    );
    expect(err).toMatchObject({ code: 'provider_timeout', retryable: true });
    await vi.waitFor(() => expect(fake.imageInflight).toBe(0));
  });

  it('maps an abort to aborted', async () => {
    fake.enqueue(GENERATIONS, { kind: 'hang' });
    const controller = new AbortController();
    const call = providerFor().render(renderRequest({ signal: controller.signal }));
    await fake.waitForRequests(1);
    controller.abort('job cancelled');
    expect(await providerError(call)).toMatchObject({ code: 'aborted', retryable: false });
    await vi.waitFor(() => expect(fake.imageInflight).toBe(0));
  });
});

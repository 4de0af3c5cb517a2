import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ImageProviderConfig, loadImageProviders } from '@inkpost/shared';
import { decodeFakeImage, encodePng, type FakeProvider, isPng, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../errors.js';
import { ImageApiProvider } from './image-api.js';
import type { ImageReference, RenderRequest } from './types.js';

const API_KEY = 'img-test-key-7f3a9c2e51';
const dir = mkdtempSync(join(tmpdir(), 'inkpost-image-api-'));
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});
beforeEach(() => {
  fake.reset();
  fake.setLatency(0);
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
/** An image_api provider loaded the way the services load it: from a YAML file pointing at `baseUrl`. */
function configFor(
  fields: Record<string, string | number | boolean> = {},
  baseUrl = fake.url,
  extraYaml = '',
): ImageProviderConfig {
  const entry = {
    type: 'image_api',
    api_key: '${TEST_IMAGE_KEY}',
    base_url: baseUrl,
    model: 'gpt-image-1',
    ...fields,
  };
  const lines = Object.entries(entry).map(
    ([k, v]) => `    ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`,
  );
  const file = join(dir, `image-${++files}.yaml`);
  writeFileSync(file, ['active_provider: fake', 'providers:', '  fake:', ...lines, extraYaml].join('\n'));
  const config = loadImageProviders(file, { TEST_IMAGE_KEY: API_KEY }, 4).providers.get('fake');
  if (!config) throw new Error('the fake provider did not load');
  return config;
}

const providerFor = (fields: Record<string, string | number | boolean> = {}) =>
  new ImageApiProvider(configFor(fields));

const EDITS = { endpoint_type: '/v1/images/edits' };

const PAGES: RenderRequest['pages'] = [
  { type: 'cover', content: '一周早餐不重样\n5 分钟快手营养搭配' },
  { type: 'content', content: '第一天：燕麦酸奶杯\n- 燕麦 40g + 无糖酸奶 150g' },
  { type: 'summary', content: '早餐吃好，一天都有精神！' },
];

function request(overrides: Partial<RenderRequest> = {}): RenderRequest {
  return {
    topic: '一周早餐',
    pageIndex: 1,
    pages: PAGES,
    aspectRatio: '3:4',
    style: null,
    references: [],
    ...overrides,
  };
}

const solid = (rgb: [number, number, number]) => encodePng(8, 6, () => [...rgb, 255]);
const COVER: ImageReference = { bytes: solid([200, 30, 60]), mimeType: 'image/png', role: 'cover' };
const USER_PNG: ImageReference = { bytes: solid([10, 120, 240]), mimeType: 'image/png', role: 'user' };
// Not a decodable photo, but the provider forwards references byte for byte without looking inside.
const USER_JPEG: ImageReference = {
  bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]),
  mimeType: 'image/jpeg',
  role: 'user',
};

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

describe('ImageApiProvider generations', () => {
  it('posts the page as JSON to /v1/images/generations with the bearer key', async () => {
    const result = await providerFor().render(request());
    const rec = onlyRequest();
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe('/v1/images/generations');
    expect(rec.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(rec.headers['content-type']).toMatch(/^application\/json/);
    expect(rec.json).toMatchObject({ model: 'gpt-image-1', n: 1, aspect_ratio: '3:4' });
    expect(rec.json.prompt).toContain('第一天：燕麦酸奶杯\n- 燕麦 40g + 无糖酸奶 150g');
    expect(rec.json.prompt).toContain('page 2 of 3');
    expect(Object.keys(rec.json).sort()).toEqual(['aspect_ratio', 'model', 'n', 'prompt']);
    expect(result.bytes.equals(rec.response!.image!)).toBe(true);
    expect(result.mimeType).toBe('image/png');
    expect(result.model).toBe('gpt-image-1');
  });

  it('sends the requested aspect ratio', async () => {
    await providerFor().render(request({ aspectRatio: '9:16' }));
    expect(onlyRequest().json.aspect_ratio).toBe('9:16');
  });

  it('sends response_format only when it is configured', async () => {
    await providerFor({ response_format: 'b64_json' }).render(request());
    expect(onlyRequest().json.response_format).toBe('b64_json');
  });

  it('sends size only when image_size is configured', async () => {
    await providerFor({ image_size: '1024x1536' }).render(request());
    const rec = onlyRequest();
    expect(rec.json.size).toBe('1024x1536');
    expect(rec.json).not.toHaveProperty('response_format');
  });

  it('sends the aspect_ratio of the config instead of the post when set', async () => {
    await providerFor({ aspect_ratio: '1:1' }).render(request({ aspectRatio: '9:16' }));
    expect(onlyRequest().json.aspect_ratio).toBe('1:1');
  });

  it('merges extra_body into the JSON body', async () => {
    const provider = new ImageApiProvider(
      configFor({}, fake.url, '    extra_body:\n      watermark: false\n      seed: 42\n'),
    );
    await provider.render(request());
    expect(onlyRequest().json).toMatchObject({ watermark: false, seed: 42, model: 'gpt-image-1' });
  });

  it('sends only the page itself with short_prompt', async () => {
    await providerFor({ short_prompt: true }).render(request());
    const prompt: string = onlyRequest().json.prompt;
    expect(prompt).toContain('第一天：燕麦酸奶杯');
    expect(prompt).not.toContain('一周早餐不重样');
    expect(prompt).not.toContain('Post topic');
  });

  it('goes to a base URL that already ends in /v1 without doubling it', async () => {
    const provider = new ImageApiProvider(configFor({}, `${fake.url}/v1/`));
    await provider.render(request());
    expect(onlyRequest().path).toBe('/v1/images/generations');
  });
});

describe('ImageApiProvider edits', () => {
  it('sends the references as image[] parts, byte-identical and in order, the cover first', async () => {
    const refs = [COVER, USER_PNG, USER_JPEG];
    const result = await providerFor(EDITS).render(request({ references: refs }));
    const rec = onlyRequest();
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe('/v1/images/edits');
    expect(rec.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(rec.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(rec.files?.map((f) => f.field)).toEqual(['image[]', 'image[]', 'image[]']);
    expect(rec.files?.map((f) => f.mimeType)).toEqual(['image/png', 'image/png', 'image/jpeg']);
    rec.files?.forEach((file, i) => {
      expect(file.data.equals(refs[i]!.bytes)).toBe(true);
    });
    expect(rec.files?.[0]?.filename).toMatch(/^cover-0\.png$/);
    expect(rec.fields).toMatchObject({ model: ['gpt-image-1'], n: ['1'], aspect_ratio: ['3:4'] });
    expect(rec.fields?.prompt?.[0]).toContain('第一天：燕麦酸奶杯');
    expect(rec.fields?.prompt?.[0]).toContain('The first attached image is the cover');
    expect(rec.fields).not.toHaveProperty('response_format');
    expect(rec.fields).not.toHaveProperty('size');
    expect(result.bytes.equals(rec.response!.image!)).toBe(true);
  });

  it('sends extra_body fields as form fields', async () => {
    const extra = '    extra_body:\n      watermark: false\n      style:\n        tone: warm\n';
    const provider = new ImageApiProvider(configFor(EDITS, fake.url, extra));
    await provider.render(request({ references: [COVER] }));
    expect(onlyRequest().fields).toMatchObject({ watermark: ['false'], style: ['{"tone":"warm"}'] });
  });

  it('sends response_format and size as form fields when configured', async () => {
    const provider = providerFor({ ...EDITS, response_format: 'b64_json', image_size: '1024x1536' });
    await provider.render(request({ references: [COVER] }));
    expect(onlyRequest().fields).toMatchObject({ response_format: ['b64_json'], size: ['1024x1536'] });
  });

  it('sends a cover with no references to /v1/images/generations', async () => {
    const result = await providerFor(EDITS).render(request({ pageIndex: 0, references: [] }));
    const rec = onlyRequest();
    expect(rec.path).toBe('/v1/images/generations');
    expect(rec.headers['content-type']).toMatch(/^application\/json/);
    expect(rec.json).toMatchObject({ model: 'gpt-image-1', n: 1, aspect_ratio: '3:4' });
    expect(rec.json.prompt).toContain('一周早餐不重样');
    expect(result.bytes.equals(rec.response!.image!)).toBe(true);
  });

  it('sends a cover with user references to the edits endpoint', async () => {
    await providerFor(EDITS).render(request({ pageIndex: 0, references: [USER_PNG] }));
    const rec = onlyRequest();
    expect(rec.path).toBe('/v1/images/edits');
    expect(rec.files?.[0]?.data.equals(USER_PNG.bytes)).toBe(true);
  });
});

describe('ImageApiProvider answers', () => {
  it('decodes a b64_json answer to the exact image bytes', async () => {
    const result = await providerFor({ response_format: 'b64_json' }).render(request());
    const sent = onlyRequest().response!.image!;
    expect(result.bytes.equals(sent)).toBe(true);
    expect(isPng(result.bytes)).toBe(true);
    expect(decodeFakeImage(result.bytes)).toEqual({ requestId: onlyRequest().id, index: 0 });
  });

  it('downloads a url answer to the exact image bytes', async () => {
    const result = await providerFor({ response_format: 'url' }).render(request());
    expect(fake.requests).toHaveLength(1); // the download of /files/… is not an API request
    const sent = fake.requests[0]!.response!.image!;
    expect(result.bytes.equals(sent)).toBe(true);
    expect(result.mimeType).toBe('image/png');
  });

  it('downloads a url answer the service sends by default', async () => {
    const urlFake = await startFakeProvider({ imageResponseFormat: 'url' });
    try {
      const provider = new ImageApiProvider(configFor(EDITS, urlFake.url));
      const result = await provider.render(request({ references: [COVER] }));
      expect(result.bytes.equals(urlFake.requests[0]!.response!.image!)).toBe(true);
    } finally {
      await urlFake.close();
    }
  });
});

describe('ImageApiProvider failures', () => {
  it('maps 429 with Retry-After: 7 to a retryable rate_limited error of 7000 ms', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'rate-limit', retryAfter: '7' });
    const err = await providerError(providerFor().render(request()));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: 7000 });
    expect(err.message).toContain('rate limiting');
    expect(fake.requests).toHaveLength(1);
  });

  it('reads a Retry-After given as an HTTP date', async () => {
    const at = new Date(Date.now() + 30_000);
    fake.enqueue('/v1/images/generations', { kind: 'rate-limit', retryAfter: at.toUTCString() });
    const err = await providerError(providerFor().render(request()));
    expect(err.code).toBe('rate_limited');
    // The date has whole-second precision, so up to a second of the 30 is lost to rounding.
    expect(err.retryAfterMs).toBeGreaterThan(28_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('maps 500 to a retryable provider_unavailable error', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'status', status: 500 });
    const err = await providerError(providerFor().render(request()));
    expect(err).toMatchObject({
      code: 'provider_unavailable',
      status: 500,
      retryable: true,
      retryAfterMs: null,
    });
    expect(err.message).toContain('The server had an error while processing your request');
  });

  it('maps 401 to provider_auth without ever showing the API key the body echoes', async () => {
    fake.enqueue('/v1/images/edits', {
      kind: 'status',
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${API_KEY}` } },
    });
    const err = await providerError(providerFor(EDITS).render(request({ references: [COVER] })));
    expect(err).toMatchObject({ code: 'provider_auth', status: 401, retryable: false });
    expect(err.message).toContain('Incorrect API key provided: ****');
    expect(err.message).not.toContain(API_KEY);
    expect(err.message).not.toContain(API_KEY.slice(0, 12));
  });

  it('maps a 400 content-policy refusal to content_policy, not retryable', async () => {
    const message = 'Your request was rejected as a result of our safety system. content_policy_violation';
    fake.enqueue('/v1/images/generations', { kind: 'status', status: 400, body: { error: { message } } });
    const err = await providerError(providerFor().render(request()));
    expect(err).toMatchObject({ code: 'content_policy', status: 400, retryable: false });
    expect(err.message).toContain(message);
  });

  it('maps any other 400 to provider_rejected, not retryable', async () => {
    fake.enqueue('/v1/images/generations', {
      kind: 'status',
      status: 400,
      body: { error: { message: 'Bad size' } },
    });
    const err = await providerError(providerFor().render(request()));
    expect(err).toMatchObject({ code: 'provider_rejected', status: 400, retryable: false });
  });

  it('maps a malformed JSON answer to provider_bad_response', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'malformed' });
    const err = await providerError(providerFor().render(request()));
    expect(err.code).toBe('provider_bad_response');
  });

  it('maps a truncated image to provider_bad_response', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'truncated-image' });
    const err = await providerError(providerFor().render(request()));
    expect(err.code).toBe('provider_bad_response');
    expect(isPng(onlyRequest().response!.image!)).toBe(false); // the fake really sent a cut-off PNG
  });

  it('maps a truncated downloaded image to provider_bad_response', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'truncated-image' });
    const err = await providerError(providerFor({ response_format: 'url' }).render(request()));
    expect(err.code).toBe('provider_bad_response');
  });

  it('maps an answer without an image to provider_bad_response', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'status', status: 200, body: { created: 1, data: [] } });
    const err = await providerError(providerFor().render(request()));
    expect(err.code).toBe('provider_bad_response');
  });

  it('maps a hanging provider to a retryable provider_timeout after timeout_seconds', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'hang' });
    const started = Date.now();
    const err = await providerError(providerFor({ timeout_seconds: 0.3 }).render(request()));
    expect(err).toMatchObject({ code: 'provider_timeout', retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(5_000);
    await vi.waitFor(() => expect(fake.imageInflight).toBe(0));
  });

  it('maps an abort mid-call to aborted and closes the request', async () => {
    fake.enqueue('/v1/images/edits', { kind: 'hang' });
    const controller = new AbortController();
    const call = providerFor(EDITS).render(request({ references: [COVER], signal: controller.signal }));
    await fake.waitForRequests(1);
    expect(fake.imageInflight).toBe(1);
    controller.abort();
    const err = await providerError(call);
    expect(err).toMatchObject({ code: 'aborted', retryable: false });
    await vi.waitFor(() => expect(fake.imageInflight).toBe(0));
  });

  it('maps an abort with a reason (as BullMQ cancels a job) to aborted', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'hang' });
    const controller = new AbortController();
    const call = providerFor().render(request({ signal: controller.signal }));
    await fake.waitForRequests(1);
    controller.abort('job cancelled');
    const err = await providerError(call);
    expect(err).toMatchObject({ code: 'aborted', retryable: false });
    await vi.waitFor(() => expect(fake.imageInflight).toBe(0));
  });

  it('maps an unreachable provider to a retryable provider_unreachable', async () => {
    const closed = await startFakeProvider();
    const url = closed.url;
    await closed.close();
    const err = await providerError(new ImageApiProvider(configFor({}, url)).render(request()));
    expect(err).toMatchObject({ code: 'provider_unreachable', retryable: true });
  });
});

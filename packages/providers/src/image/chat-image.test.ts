import {
  CHAT_REFUSAL,
  type ChatImageShape,
  DEFAULT_TEXT_ONLY,
  decodeFakeImage,
  type FakeProvider,
  startFakeProvider,
} from '@inkpost/testkit';
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
} from '../__tests__/support.js';
import { findChatImage } from './chat-image.js';
import { createImageProvider } from './index.js';

const PATH = '/v1/chat/completions';
let fake: FakeProvider;

// Every chat answer of this fake is an image answer ('data-url' unless a test enqueues another shape).
beforeAll(async () => {
  fake = await startFakeProvider({ chatImageShape: 'data-url' });
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
  cleanupConfigFiles();
});

const providerFor = (fields: Record<string, unknown> = {}, baseUrl = fake.url) =>
  createImageProvider(
    imageConfig({
      type: 'image_api',
      base_url: baseUrl,
      model: 'gemini-2.5-flash-image-preview',
      endpoint_type: PATH,
      ...fields,
    }),
  );

const onlyRequest = () => {
  expect(fake.requests).toHaveLength(1);
  return fake.requests[0]!;
};

describe('image_api over /v1/chat/completions: requests', () => {
  it('posts the prompt and the references as one user message with the bearer key', async () => {
    await providerFor().render(renderRequest({ references: [COVER, USER_JPEG] }));
    const rec = onlyRequest();
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe(PATH);
    expect(rec.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(Object.keys(rec.json).sort()).toEqual(['messages', 'model']);
    expect(rec.json.model).toBe('gemini-2.5-flash-image-preview');
    const [message] = rec.json.messages;
    expect(rec.json.messages).toHaveLength(1);
    expect(message.role).toBe('user');
    expect(message.content[0].type).toBe('text');
    expect(message.content[0].text).toContain('第一天：燕麦酸奶杯');
    expect(message.content[0].text).toContain('The first attached image is the cover');
    expect(message.content.slice(1)).toEqual([
      { type: 'image_url', image_url: { url: `data:image/png;base64,${COVER.bytes.toString('base64')}` } },
      {
        type: 'image_url',
        image_url: { url: `data:image/jpeg;base64,${USER_JPEG.bytes.toString('base64')}` },
      },
    ]);
  });

  it('merges extra_body into the body and sends response_format only when configured', async () => {
    const extra_body = { modalities: ['image', 'text'], image_config: { aspect_ratio: '3:4' } };
    await providerFor({ extra_body, response_format: 'b64_json' }).render(renderRequest());
    const json = onlyRequest().json;
    expect(json.modalities).toEqual(['image', 'text']);
    expect(json.image_config).toEqual({ aspect_ratio: '3:4' });
    expect(json.response_format).toBe('b64_json');
  });
});

describe('image_api over /v1/chat/completions: answers', () => {
  it.each<ChatImageShape>(['data-url', 'markdown', 'bare-url', 'images-array', 'content-parts'])(
    'takes the image from a %s answer',
    async (shape) => {
      fake.enqueue(PATH, { kind: 'image-shape', shape });
      const result = await providerFor().render(renderRequest());
      const rec = fake.requests[0]!;
      expect(result.bytes.equals(rec.response!.image!)).toBe(true);
      expect(result.mimeType).toBe('image/png');
      expect(decodeFakeImage(result.bytes)?.requestId).toBe(rec.id);
    },
  );

  it('maps a text-only answer to a retryable provider_bad_response quoting the model', async () => {
    fake.enqueue(PATH, { kind: 'image-shape', shape: 'text-only' });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'provider_bad_response', retryable: true });
    expect(err.message).toContain(`it said: "${DEFAULT_TEXT_ONLY.slice(0, 60)}`);
  });

  it('quotes at most 120 characters of a long answer', async () => {
    const text = `Let me describe it instead. ${'一杯燕麦酸奶'.repeat(60)}`;
    fake.enqueue(PATH, { kind: 'image-shape', shape: 'text-only', text });
    const err = await providerError(providerFor().render(renderRequest()));
    const quote = /"(.*)"/.exec(err.message)?.[1] ?? '';
    expect(Array.from(quote).length).toBeLessThanOrEqual(121);
    expect(quote.endsWith('…')).toBe(true);
  });

  it('maps a refusal to content_policy, not retryable', async () => {
    fake.enqueue(PATH, { kind: 'policy' });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'content_policy', retryable: false });
    expect(err.message).toContain(CHAT_REFUSAL);
  });

  it.each([
    "I'm sorry, but I can't generate images of real people.",
    '抱歉，该内容涉及敏感信息，无法生成图片。',
  ])('reads a refusal in the text (%s) as content_policy', async (text) => {
    fake.enqueue(PATH, { kind: 'image-shape', shape: 'text-only', text });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'content_policy', retryable: false });
  });

  it('maps a truncated image to provider_bad_response', async () => {
    fake.enqueue(PATH, { kind: 'truncated-image' });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'provider_bad_response', retryable: true });
    expect(err.message).toContain('truncated');
  });

  it('maps a malformed body to provider_bad_response', async () => {
    fake.enqueue(PATH, { kind: 'malformed' });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err.code).toBe('provider_bad_response');
  });
});

describe('image_api over /v1/chat/completions: failures', () => {
  it('maps 429 with Retry-After (seconds, then an HTTP date) to rate_limited', async () => {
    fake.enqueue(
      PATH,
      { kind: 'rate-limit', retryAfter: '3' },
      { kind: 'rate-limit', retryAfter: httpDateIn(20) },
    );
    const first = await providerError(providerFor().render(renderRequest()));
    expect(first).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 3000 });
    const second = await providerError(providerFor().render(renderRequest()));
    expect(second.retryAfterMs).toBeGreaterThan(18_000);
  });

  it('maps 500 to provider_unavailable', async () => {
    fake.enqueue(PATH, { kind: 'status', status: 500 });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err).toMatchObject({ code: 'provider_unavailable', status: 500, retryable: true });
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
    const call = providerFor().render(renderRequest({ signal: controller.signal }));
    await fake.waitForRequests(1);
    expect(fake.imageInflight).toBe(1);
    controller.abort();
    expect(await providerError(call)).toMatchObject({ code: 'aborted', retryable: false });
    await vi.waitFor(() => expect(fake.imageInflight).toBe(0));
  });

  it('never shows the key, even when the model echoes it back', async () => {
    fake.enqueue(PATH, {
      kind: 'image-shape',
      shape: 'text-only',
      text: `Your key ${API_KEY} has no image quota`,
    });
    const err = await providerError(providerFor().render(renderRequest()));
    expect(err.message).toContain('Your key ****');
  });
});

describe('findChatImage', () => {
  const png = 'iVBORw0KGgo=';
  it.each([
    [{ content: `Here: data:image/png;base64,${png} done` }, `data:image/png;base64,${png}`],
    [{ content: '![a page](https://cdn.example.com/i/abc?sig=1)' }, 'https://cdn.example.com/i/abc?sig=1'],
    [
      { content: 'See https://example.com/policy then https://cdn.example.com/p.webp.' },
      'https://cdn.example.com/p.webp',
    ],
    [{ content: 'x', images: [{ url: 'https://cdn.example.com/1.png' }] }, 'https://cdn.example.com/1.png'],
    [
      { content: [{ type: 'output_image', image_url: `data:image/png;base64,${png}` }] },
      `data:image/png;base64,${png}`,
    ],
    [{ content: [{ type: 'image_url', b64_json: png }] }, `data:image/png;base64,${png}`],
  ])('finds the image of %j', (message, url) => {
    expect(findChatImage(message).url).toBe(url);
  });

  it('does not take a link to a web page for an image', () => {
    expect(
      findChatImage({ content: 'Read https://openai.com/policies/usage-policies first.' }).url,
    ).toBeNull();
  });
});

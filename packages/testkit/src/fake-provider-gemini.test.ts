import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CHAT_TEXT, decodeFakeImage, type FakeProvider, startFakeProvider } from './fake-provider.js';
import { isPng } from './png.js';

const KEY = { 'x-goog-api-key': 'AIza-fake-key' };
const PATH = '/v1beta/models/gemini-2.5-flash:generateContent';
const IMAGE_PATH = '/v1beta/models/gemini-2.5-flash-image:generateContent';

let fake: FakeProvider;
beforeEach(async () => {
  if (!fake) fake = await startFakeProvider();
  fake.reset();
});
afterAll(() => fake?.close());

function post(path: string, body: unknown, headers: Record<string, string> = KEY, signal?: AbortSignal) {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: wire bodies are checked by the assertions themselves
const bodyOf = (res: Response): Promise<any> => res.json();

const textBody = {
  systemInstruction: { parts: [{ text: '你是小红书文案写手。' }] },
  contents: [{ role: 'user', parts: [{ text: '写一篇早餐笔记' }] }],
};
const imageBody = {
  contents: [{ role: 'user', parts: [{ text: '一杯燕麦酸奶' }] }],
  generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '3:4' } },
};

describe('Gemini generateContent', () => {
  it('answers text in parts with usageMetadata, and records the request', async () => {
    const res = await post(PATH, textBody);
    expect(res.status).toBe(200);
    const body = await bodyOf(res);
    const [candidate] = body.candidates;
    expect(candidate).toMatchObject({ finishReason: 'STOP', content: { role: 'model' } });
    expect(candidate.content.parts.length).toBeGreaterThan(1);
    expect(candidate.content.parts.map((p: { text: string }) => p.text).join('')).toBe(DEFAULT_CHAT_TEXT);
    const usage = body.usageMetadata;
    expect(usage.candidatesTokenCount).toBe(Math.ceil(DEFAULT_CHAT_TEXT.length / 4));
    expect(usage.totalTokenCount).toBe(usage.promptTokenCount + usage.candidatesTokenCount);
    expect(body.modelVersion).toBe('gemini-2.5-flash');
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: PATH,
      json: textBody,
      response: { status: 200 },
    });
  });

  it('answers an inline PNG to an image request, after a text part when TEXT is allowed too', async () => {
    const only = await bodyOf(await post(IMAGE_PATH, imageBody));
    const [part] = only.candidates[0].content.parts;
    const png = Buffer.from(part.inlineData.data, 'base64');
    expect(part.inlineData.mimeType).toBe('image/png');
    expect(isPng(png)).toBe(true);
    expect(fake.requests[0]?.response?.image?.equals(png)).toBe(true);
    expect(decodeFakeImage(png)?.requestId).toBe(fake.requests[0]?.id);
    const both = { ...imageBody, generationConfig: { responseModalities: ['TEXT', 'IMAGE'] } };
    const parts = (await bodyOf(await post(IMAGE_PATH, both))).candidates[0].content.parts;
    expect(parts.map((p: object) => Object.keys(p)[0])).toEqual(['text', 'inlineData']);
  });

  it('counts input images as 258 tokens each', async () => {
    const withImage = structuredClone(textBody);
    withImage.contents[0]!.parts.push({ inlineData: { mimeType: 'image/png', data: 'AAAA' } } as never);
    const plain = (await bodyOf(await post(PATH, textBody))).usageMetadata.promptTokenCount;
    const more = (await bodyOf(await post(PATH, withImage))).usageMetadata.promptTokenCount;
    expect(more - plain).toBe(258);
  });

  it('takes the key from ?key= too, and refuses a bearer token with a Google 403', async () => {
    expect((await post(`${PATH}?key=AIza-q`, textBody, {})).status).toBe(200);
    const res = await post(PATH, textBody, { authorization: 'Bearer sk-test' });
    expect(res.status).toBe(403);
    expect((await bodyOf(res)).error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
  });

  it('rejects a request without contents with 400 INVALID_ARGUMENT', async () => {
    const res = await post(PATH, { contents: [] });
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
  });

  it('describes a model on GET …/models/<model>', async () => {
    const res = await fetch(`${fake.url}/v1beta/models/gemini-2.5-flash`, { headers: KEY });
    expect(await bodyOf(res)).toMatchObject({
      name: 'models/gemini-2.5-flash',
      supportedGenerationMethods: expect.arrayContaining(['generateContent']),
    });
    expect((await post('/v1beta/models/gemini-2.5-flash', textBody)).status).toBe(404);
  });
});

describe('Gemini failure behaviours', () => {
  it('rate-limit sends Google RESOURCE_EXHAUSTED with Retry-After and a RetryInfo delay', async () => {
    fake.enqueue(PATH, { kind: 'rate-limit', retryAfter: '7' });
    const res = await post(PATH, textBody);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    const { error } = await bodyOf(res);
    expect(error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(error.details).toEqual([expect.objectContaining({ retryDelay: '7s' })]);
  });

  it('status answers in Google format by default; malformed cuts the JSON', async () => {
    fake.enqueue(IMAGE_PATH, { kind: 'status', status: 503 }, { kind: 'malformed' });
    const res = await post(IMAGE_PATH, imageBody);
    expect([res.status, (await bodyOf(res)).error.status]).toEqual([503, 'UNAVAILABLE']);
    const broken = await post(IMAGE_PATH, imageBody);
    await expect(broken.json()).rejects.toThrow();
  });

  it('policy blocks a text prompt and stops an image candidate', async () => {
    fake.enqueue(PATH, { kind: 'policy' });
    fake.enqueue(IMAGE_PATH, { kind: 'policy' }, { kind: 'policy', where: 'prompt', reason: 'SAFETY' });
    const text = await bodyOf(await post(PATH, textBody));
    expect(text.promptFeedback).toEqual({ blockReason: 'PROHIBITED_CONTENT' });
    expect(text).not.toHaveProperty('candidates');
    const image = await bodyOf(await post(IMAGE_PATH, imageBody));
    expect(image.candidates[0]).toEqual({ finishReason: 'IMAGE_SAFETY', index: 0 });
    expect((await bodyOf(await post(IMAGE_PATH, imageBody))).promptFeedback.blockReason).toBe('SAFETY');
  });

  it('image-shape text-only answers an image request with words only', async () => {
    fake.enqueue(IMAGE_PATH, { kind: 'image-shape', shape: 'text-only', text: '我只能描述这张图。' });
    const body = await bodyOf(await post(IMAGE_PATH, imageBody));
    expect(body.candidates[0].content.parts).toEqual([{ text: '我只能描述这张图。' }]);
    expect(fake.requests[0]?.response?.image).toBeUndefined();
  });

  it('truncated-image sends a cut-off PNG', async () => {
    fake.enqueue(IMAGE_PATH, { kind: 'truncated-image' });
    const body = await bodyOf(await post(IMAGE_PATH, imageBody));
    expect(isPng(Buffer.from(body.candidates[0].content.parts[0].inlineData.data, 'base64'))).toBe(false);
  });

  it('counts image requests, not text ones, as image work; hang holds them until the client aborts', async () => {
    fake.enqueue(IMAGE_PATH, { kind: 'hang' });
    fake.enqueue(PATH, { kind: 'hang' });
    const abort = new AbortController();
    const pending = [post(IMAGE_PATH, imageBody, KEY, abort.signal), post(PATH, textBody, KEY, abort.signal)];
    await fake.waitForRequests(2);
    await vi.waitFor(() => expect([fake.inflight, fake.imageInflight]).toEqual([2, 1]));
    abort.abort();
    await Promise.allSettled(pending);
    await vi.waitFor(() => expect([fake.inflight, fake.imageInflight]).toEqual([0, 0]));
  });
});

import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CHAT_IMAGE_SHAPES,
  CHAT_REFUSAL,
  DEFAULT_MODELS,
  DEFAULT_TEXT_ONLY,
  type FakeProvider,
  startFakeProvider,
} from './fake-provider.js';
import { isPng } from './png.js';

const AUTH = { authorization: 'Bearer sk-test' };
const CHAT = '/v1/chat/completions';
const chatBody = { model: 'image-model', messages: [{ role: 'user', content: '画一杯燕麦酸奶' }] };

let fake: FakeProvider;
beforeEach(async () => {
  if (!fake) fake = await startFakeProvider();
  fake.reset();
});
afterAll(() => fake?.close());

function post(path: string, body: unknown, target = fake, signal?: AbortSignal) {
  return fetch(`${target.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify(body),
    signal,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: wire bodies are checked by the assertions themselves
const bodyOf = (res: Response): Promise<any> => res.json();
const b64 = (png: Buffer) => png.toString('base64');

describe('chat completions answering images', () => {
  it('answers each shape with the same PNG it records', async () => {
    for (const shape of CHAT_IMAGE_SHAPES) fake.enqueue(CHAT, { kind: 'image-shape', shape });
    const messages = [];
    for (const _ of CHAT_IMAGE_SHAPES)
      messages.push((await bodyOf(await post(CHAT, chatBody))).choices[0].message);
    const pngs = fake.requests.map((r) => r.response?.image);
    const [dataUrl, markdown, bare, array, parts, textOnly] = messages;
    expect(dataUrl.content).toContain(`data:image/png;base64,${b64(pngs[0]!)}`);
    const link = /!\[page\]\((http:\/\/[^)]+)\)/.exec(markdown.content)?.[1];
    expect(Buffer.from(await (await fetch(link!)).arrayBuffer()).equals(pngs[1]!)).toBe(true);
    const url = /(http:\/\/\S+\.png)/.exec(bare.content)?.[1];
    expect(Buffer.from(await (await fetch(url!)).arrayBuffer()).equals(pngs[2]!)).toBe(true);
    expect(array.images).toEqual([
      { type: 'image_url', image_url: { url: `data:image/png;base64,${b64(pngs[3]!)}` } },
    ]);
    expect(parts.content[1]).toEqual({
      type: 'image_url',
      image_url: { url: `data:image/png;base64,${b64(pngs[4]!)}` },
    });
    expect(textOnly.content).toBe(DEFAULT_TEXT_ONLY);
    expect(pngs[5]).toBeUndefined();
    expect(pngs.slice(0, 5).every((png) => png && isPng(png))).toBe(true);
  });

  it('uses chatImageShape for every chat answer, or the ones a function picks', async () => {
    const always = await startFakeProvider({ chatImageShape: 'images-array' });
    const picked = await startFakeProvider({
      chatImageShape: (req) => (String(req.json.model).includes('image') ? 'markdown' : null),
    });
    try {
      expect((await bodyOf(await post(CHAT, chatBody, always))).choices[0].message.images).toHaveLength(1);
      expect((await bodyOf(await post(CHAT, chatBody, picked))).choices[0].message.content).toMatch(
        /^Done!\n\n!\[/,
      );
      const text = await bodyOf(await post(CHAT, { ...chatBody, model: 'qwen3-14b' }, picked));
      expect(text.choices[0].message.content).toMatch(/^\[封面\]/);
    } finally {
      await Promise.all([always.close(), picked.close()]);
    }
  });

  it('image-shape text takes the place of the default words', async () => {
    fake.enqueue(CHAT, { kind: 'image-shape', shape: 'text-only', text: "Sorry, I can't draw that." });
    expect((await bodyOf(await post(CHAT, chatBody))).choices[0].message.content).toBe(
      "Sorry, I can't draw that.",
    );
  });

  it('policy answers a refusal in the message, and a 400 content_policy_violation from the images API', async () => {
    fake.enqueue(CHAT, { kind: 'policy' });
    fake.enqueue('/v1/images/generations', { kind: 'policy' });
    const message = (await bodyOf(await post(CHAT, chatBody))).choices[0].message;
    expect(message).toEqual({ role: 'assistant', content: CHAT_REFUSAL, refusal: CHAT_REFUSAL });
    const res = await post('/v1/images/generations', { model: 'gpt-image-1', prompt: 'x' });
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error.code).toBe('content_policy_violation');
  });

  it('truncated-image cuts the PNG of a chat image answer', async () => {
    const always = await startFakeProvider({ chatImageShape: 'data-url' });
    try {
      always.enqueue(CHAT, { kind: 'truncated-image' });
      const content = (await bodyOf(await post(CHAT, chatBody, always))).choices[0].message.content;
      const data = /base64,([A-Za-z0-9+/=]+)/.exec(content)?.[1] ?? '';
      expect(isPng(Buffer.from(data, 'base64'))).toBe(false);
    } finally {
      await always.close();
    }
  });

  it('counts chat image requests as image work, plain chat not', async () => {
    fake.enqueue(CHAT, { kind: 'image-shape', shape: 'data-url' });
    fake.hold();
    const answers = [post(CHAT, chatBody), post(CHAT, chatBody)];
    await fake.waitForRequests(2);
    await vi.waitFor(() => expect([fake.inflight, fake.imageInflight]).toEqual([2, 1]));
    fake.release();
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200]);
    expect(fake.maxImageInflight).toBe(1);
  });
});

describe('GET /v1/models', () => {
  it('lists the default models in the OpenAI shape, with the bearer key', async () => {
    const res = await fetch(`${fake.url}/v1/models`, { headers: AUTH });
    const body = await bodyOf(res);
    expect(body.object).toBe('list');
    expect(body.data.map((m: { id: string }) => m.id)).toEqual([...DEFAULT_MODELS]);
    expect(body.data[0]).toMatchObject({ object: 'model', owned_by: expect.any(String) });
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models', response: { status: 200 } });
  });

  it('lists the models it was started with, under any prefix', async () => {
    const custom = await startFakeProvider({ models: ['m-1'] });
    try {
      const body = await bodyOf(await fetch(`${custom.url}/api/v3/models`, { headers: AUTH }));
      expect(body.data.map((m: { id: string }) => m.id)).toEqual(['m-1']);
    } finally {
      await custom.close();
    }
  });

  it('refuses a missing key (401) and a POST (404); failure behaviours apply', async () => {
    expect((await fetch(`${fake.url}/v1/models`)).status).toBe(401);
    expect((await post('/v1/models', {})).status).toBe(404);
    fake.enqueue('/v1/models', { kind: 'status', status: 500 }, { kind: 'malformed' });
    expect((await fetch(`${fake.url}/v1/models`, { headers: AUTH })).status).toBe(500);
    await expect((await fetch(`${fake.url}/v1/models`, { headers: AUTH })).json()).rejects.toThrow();
  });
});

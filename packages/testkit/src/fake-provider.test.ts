import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CHAT_TEXT, decodeFakeImage, type FakeProvider, startFakeProvider } from './fake-provider.js';
import { isPng, readPngSize } from './png.js';

const AUTH = { authorization: 'Bearer sk-test' };

let fake: FakeProvider;
beforeEach(async () => {
  if (!fake) fake = await startFakeProvider();
  fake.reset();
  fake.setLatency(0);
});
afterAll(() => fake?.close());

function postJson(path: string, body: unknown, headers: Record<string, string> = AUTH, signal?: AbortSignal) {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: wire bodies are checked by the assertions themselves
const bodyOf = (res: Response): Promise<any> => res.json();

const chatBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: '写一篇早餐笔记' }] };
const imageBody = { model: 'gpt-image-1', prompt: '一杯燕麦酸奶', n: 1, size: '1024x1536' };

function parseSse(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

describe('chat completions', () => {
  it('answers a non-streaming request in the OpenAI shape', async () => {
    const res = await postJson('/v1/chat/completions', chatBody);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await bodyOf(res);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [
        { index: 0, message: { role: 'assistant', content: DEFAULT_CHAT_TEXT }, finish_reason: 'stop' },
      ],
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(DEFAULT_CHAT_TEXT).toMatch(/^\[封面\][\s\S]*<page>\n\[内容\][\s\S]*<page>\n\[总结\]/);
    const [rec] = fake.requests;
    expect(rec).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      json: chatBody,
      response: { status: 200 },
    });
    expect(rec!.headers.authorization).toBe('Bearer sk-test');
    expect(rec!.endedAt).toBeGreaterThanOrEqual(rec!.startedAt);
  });

  it('streams several chunks, a stop chunk, a usage chunk and [DONE]', async () => {
    const res = await postJson('/v1/chat/completions', {
      ...chatBody,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    for (const c of chunks)
      expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-4o-mini' });
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(content).toBe(DEFAULT_CHAT_TEXT);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThanOrEqual(3);
    expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  it('omits the usage chunk unless asked for, and uses chatText', async () => {
    const echo = await startFakeProvider({ chatText: (req) => `echo:${req.json.messages[0].content}` });
    const res = await fetch(`${echo.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ ...chatBody, stream: true }),
    });
    const events = parseSse(await res.text());
    await echo.close();
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('echo:写一篇早餐笔记');
  });
});

describe('images', () => {
  it('generates a distinct valid PNG per request as b64_json', async () => {
    const bodies = [];
    for (let i = 0; i < 2; i++)
      bodies.push(await bodyOf(await postJson('/v1/images/generations', imageBody)));
    const pngs = bodies.map((b) => Buffer.from(b.data[0].b64_json, 'base64'));
    expect(pngs.every(isPng)).toBe(true);
    expect(readPngSize(pngs[0]!)).toEqual({ width: 30, height: 40 });
    expect(pngs[0]!.equals(pngs[1]!)).toBe(false);
    expect(bodies[0].created).toEqual(expect.any(Number));
    fake.requests.forEach((rec, i) => {
      expect(rec.response?.image?.equals(pngs[i]!)).toBe(true);
      expect(decodeFakeImage(pngs[i]!)).toEqual({ requestId: rec.id, index: 0 });
    });
  });

  it('answers with a url served by the fake when asked', async () => {
    const body = await bodyOf(
      await postJson('/v1/images/generations', { ...imageBody, response_format: 'url' }),
    );
    const { url } = body.data[0];
    expect(url).toMatch(new RegExp(`^${fake.url}/files/\\d+\\.png$`));
    const file = await fetch(url);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer()).equals(fake.requests[0]!.response!.image!)).toBe(true);
  });

  it('records a multipart edit with two image[] files byte-exact', async () => {
    const a = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0xff, 0x0d, 0x0a]);
    const b = Buffer.from('second image \r\n--not-a-boundary\r\n', 'utf8');
    const form = new FormData();
    form.append('model', 'gpt-image-1');
    form.append('prompt', '换成秋天的配色');
    form.append('image[]', new Blob([a], { type: 'image/png' }), 'ref-1.png');
    form.append('image[]', new Blob([b], { type: 'image/jpeg' }), 'ref-2.jpg');
    const res = await fetch(`${fake.url}/v1/images/edits`, { method: 'POST', headers: AUTH, body: form });
    expect(res.status).toBe(200);
    const png = Buffer.from((await bodyOf(res)).data[0].b64_json, 'base64');
    const rec = fake.requests[0]!;
    expect(rec.fields).toEqual({ model: ['gpt-image-1'], prompt: ['换成秋天的配色'] });
    expect(rec.files?.map((f) => [f.field, f.filename, f.mimeType])).toEqual([
      ['image[]', 'ref-1.png', 'image/png'],
      ['image[]', 'ref-2.jpg', 'image/jpeg'],
    ]);
    expect(rec.files?.[0]?.data.equals(a)).toBe(true);
    expect(rec.files?.[1]?.data.equals(b)).toBe(true);
    expect(rec.response?.image?.equals(png)).toBe(true);
  });

  it('rejects an edit without an image like the real API', async () => {
    const form = new FormData();
    form.append('model', 'gpt-image-1');
    form.append('prompt', 'x');
    const res = await fetch(`${fake.url}/v1/images/edits`, { method: 'POST', headers: AUTH, body: form });
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error.message).toMatch(/image/);
  });

  it('truncated-image answers valid JSON whose image is not a valid PNG', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'truncated-image' });
    const body = await bodyOf(await postJson('/v1/images/generations', imageBody));
    expect(isPng(Buffer.from(body.data[0].b64_json, 'base64'))).toBe(false);
  });
});

describe('failures', () => {
  it('429 carries Retry-After and an OpenAI error body, then goes back to ok', async () => {
    const date = new Date(Date.now() + 5_000).toUTCString();
    fake.enqueue(
      '/images/generations',
      { kind: 'rate-limit', retryAfter: '3' },
      { kind: 'rate-limit', retryAfter: date },
    );
    const first = await postJson('/v1/images/generations', imageBody);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect((await bodyOf(first)).error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expect((await postJson('/v1/images/generations', imageBody)).headers.get('retry-after')).toBe(date);
    expect((await postJson('/v1/images/generations', imageBody)).status).toBe(200);
  });

  it('status answers with a default or custom body', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'status', status: 500 });
    fake.enqueue('/v1/chat/completions', {
      kind: 'status',
      status: 403,
      body: { error: { message: 'nope' } },
    });
    const res = await postJson('/v1/chat/completions', chatBody);
    expect(res.status).toBe(500);
    expect((await bodyOf(res)).error).toMatchObject({
      type: 'server_error',
      code: null,
      message: expect.any(String),
    });
    const custom = await postJson('/v1/chat/completions', chatBody);
    expect([custom.status, await bodyOf(custom)]).toEqual([403, { error: { message: 'nope' } }]);
  });

  it('malformed answers 200 with a body that is not JSON', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'malformed' });
    const res = await postJson('/v1/chat/completions', chatBody);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('401 without Authorization, and the request is still recorded', async () => {
    const res = await postJson('/v1/chat/completions', chatBody, {});
    expect(res.status).toBe(401);
    expect((await bodyOf(res)).error).toMatchObject({ type: 'invalid_request_error' });
    expect(fake.requests[0]?.response?.status).toBe(401);
  });

  it('records the exact path, so a doubled /v1 is visible', async () => {
    expect((await postJson('/v1/v1/chat/completions', chatBody)).status).toBe(200);
    expect((await postJson('/api/v3/images/generations', imageBody)).status).toBe(200);
    expect((await postJson('/v1/completions', chatBody)).status).toBe(404);
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/v1/v1/chat/completions',
      '/api/v3/images/generations',
      '/v1/completions',
    ]);
  });
});

describe('timing and concurrency', () => {
  it('hang stays in flight until the client aborts', async () => {
    fake.enqueue('/v1/images/generations', { kind: 'hang' });
    const abort = new AbortController();
    const pending = postJson('/v1/images/generations', imageBody, AUTH, abort.signal);
    await fake.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 50));
    expect([fake.inflight, fake.imageInflight]).toEqual([1, 1]);
    abort.abort();
    await expect(pending).rejects.toThrow();
    await vi.waitFor(() => expect([fake.inflight, fake.imageInflight]).toEqual([0, 0]));
    expect(fake.requests[0]?.response).toBeUndefined();
    expect(fake.requests[0]?.endedAt).toBeDefined();
  });

  it('tracks the peak of parallel image requests separately from chat', async () => {
    fake.setLatency(100);
    await Promise.all([
      ...Array.from({ length: 4 }, () => postJson('/v1/images/generations', imageBody)),
      postJson('/v1/chat/completions', chatBody),
    ]);
    expect([fake.maxImageInflight, fake.maxInflight]).toEqual([4, 5]);
    expect([fake.imageInflight, fake.inflight]).toEqual([0, 0]);
  });

  it('hold keeps ok answers waiting until release', async () => {
    fake.hold();
    const answers = [
      postJson('/v1/images/generations', imageBody),
      postJson('/v1/chat/completions', chatBody),
    ];
    await fake.waitForRequests(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.requests.every((r) => r.response === undefined)).toBe(true);
    fake.release();
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200]);
  });

  it('delay answers ok after the given time', async () => {
    fake.enqueue('/v1/chat/completions', { kind: 'delay', ms: 150 });
    const started = Date.now();
    expect((await postJson('/v1/chat/completions', chatBody)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('waitForRequests rejects with what it saw on timeout', async () => {
    await expect(fake.waitForRequests(1, 50)).rejects.toThrow(/expected 1 requests.*none/);
  });
});

// openai is a dependency of @inkpost/providers, not of the testkit: when it does not resolve from here, only this
// block is skipped. The specifier goes through a variable so tsc does not need its types.
const openaiSpecifier = 'openai';
// biome-ignore lint/suspicious/noExplicitAny: optional, untyped from this package
const openai: any = await import(openaiSpecifier).catch(() => null);

describe.skipIf(!openai)('with the real openai SDK', () => {
  const client = (options: Record<string, unknown> = {}) =>
    new openai.default({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0, ...options });

  it('reads chat completions, streamed with usage and not', async () => {
    const plain = await client().chat.completions.create(chatBody);
    expect(plain.choices[0].message.content).toBe(DEFAULT_CHAT_TEXT);
    const stream = await client().chat.completions.create({
      ...chatBody,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: { total_tokens: number } | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(DEFAULT_CHAT_TEXT);
    expect(usage?.total_tokens).toBe(plain.usage.total_tokens);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
  });

  it('generates and edits images; edit references arrive byte-exact', async () => {
    const generated = await client().images.generate({ ...imageBody, response_format: 'b64_json' });
    const first = Buffer.from(generated.data[0].b64_json, 'base64');
    const second = Buffer.from('another reference');
    const image = [
      await openai.toFile(first, 'a.png', { type: 'image/png' }),
      await openai.toFile(second, 'b.png', { type: 'image/png' }),
    ];
    const edited = await client().images.edit({ model: 'gpt-image-1', prompt: '同款风格', image });
    expect(isPng(Buffer.from(edited.data[0].b64_json, 'base64'))).toBe(true);
    const files = fake.requests[1]?.files ?? [];
    expect(files.map((f) => [f.field, f.data])).toEqual([
      ['image[]', first],
      ['image[]', second],
    ]);
    expect(decodeFakeImage(files[0]!.data)?.requestId).toBe(fake.requests[0]?.id);
  });

  it('sees 429 as RateLimitError and retries after Retry-After', async () => {
    fake.enqueue('/chat/completions', { kind: 'rate-limit', retryAfter: '1' });
    const error = await client()
      .chat.completions.create(chatBody)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(openai.RateLimitError);
    expect(error.headers.get('retry-after')).toBe('1');
    fake.enqueue('/chat/completions', { kind: 'rate-limit', retryAfter: '0' });
    await client({ maxRetries: 1 }).chat.completions.create(chatBody);
    expect(fake.requests.map((r) => r.response?.status)).toEqual([429, 429, 200]);
  });

  it('fails on malformed JSON and times out a hung call', async () => {
    fake.enqueue('/chat/completions', { kind: 'malformed' }, { kind: 'hang' });
    await expect(client().chat.completions.create(chatBody)).rejects.toThrow();
    await expect(client({ timeout: 200 }).chat.completions.create(chatBody)).rejects.toThrow(/timed out/i);
    await vi.waitFor(() => expect(fake.inflight).toBe(0));
  });
});

import { createRedis, PostStore } from '@inkpost/core';
import { type FakeProvider, startFakeProvider, testEnv } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';
import { readSse, type SseMessage } from './sse-client.js';

const imageYaml = (fake: FakeProvider) =>
  [
    'active_provider: slow',
    'providers:',
    '  slow:',
    '    type: image_api',
    '    api_key: test-key-0000',
    `    base_url: ${fake.url}/v1`,
    '    model: m',
    '    endpoint_type: /v1/images/generations',
    '    high_concurrency: true',
  ].join('\n');

const pages = [
  { type: 'cover', content: 'Cover' },
  ...Array.from({ length: 8 }, (_, i) => ({ type: 'content', content: `Point ${i + 1}` })),
  { type: 'summary', content: 'Summary' },
];

describe('live progress over SSE', () => {
  let fake: FakeProvider;
  let stack: Stack;

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 120 });
    stack = await startStack({ imageProvidersYaml: imageYaml(fake), env: { HIGH_CONCURRENCY_DEFAULT: '2' } });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('a client that disconnects and reconnects with Last-Event-ID on another API instance misses nothing', async () => {
    const created = await stack.createPost({ topic: 'Reconnect test', pages, autoGenerate: false });
    const first: SseMessage[] = [];
    const controller = new AbortController();
    const reading = (async () => {
      for await (const m of readSse(`${stack.url}/v1/posts/${created.id}/events`, {
        signal: controller.signal,
      })) {
        first.push(m);
        if (first.filter((x) => x.event === 'page.completed').length === 3) controller.abort();
      }
    })();
    await stack.request('POST', `/v1/posts/${created.id}/generate`, {});
    await reading;
    expect(first[0]!.event).toBe('snapshot');
    const lastSeen = first.at(-1)!.id!;

    // Events keep coming while the client is away.
    await new Promise((r) => setTimeout(r, 400));
    const other = await stack.secondApi();
    const second: SseMessage[] = [];
    for await (const m of readSse(`${other.url}/v1/posts/${created.id}/events`, {
      lastEventId: lastSeen,
      signal: AbortSignal.timeout(20_000),
    })) {
      second.push(m);
    }
    await other.close();
    expect(second[0]!.event).not.toBe('snapshot');
    expect(second.at(-1)!.event).toBe('post.completed');

    // Together the two connections saw exactly the stream after the snapshot: no gap, no duplicate, in order.
    const redis = createRedis(testEnv().redisUrl, 'request');
    const store = new PostStore(redis, stack.prefix);
    const all = await store.eventsAfter(created.id, first[0]!.id!);
    await redis.quit();
    const seen = [...first.slice(1), ...second].map((m) => m.id);
    expect(seen).toEqual(all.map((e) => e.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(second.filter((m) => m.event === 'page.completed').length + 3).toBe(pages.length);
  });

  it('sends the snapshot first, pings while idle and keeps the stream open for an outlined post', async () => {
    const created = await stack.createPost({ topic: 'Idle', pages: pages.slice(0, 3) });
    let pings = 0;
    const got: SseMessage[] = [];
    for await (const m of readSse(`${stack.url}/v1/posts/${created.id}/events`, {
      signal: AbortSignal.timeout(2_500),
      onPing: () => pings++,
    })) {
      got.push(m);
    }
    expect(got.map((m) => m.event)).toEqual(['snapshot']);
    expect((got[0]!.data as { status: string }).status).toBe('outlined');
    expect(pings).toBeGreaterThanOrEqual(2);
  });

  it('ends right after the snapshot for a post that has already ended', async () => {
    const created = await stack.createPost({ topic: 'Done', pages: pages.slice(0, 2), autoGenerate: true });
    await stack.follow(created.id);
    const again = await stack.follow(created.id, 5_000);
    expect(again.map((m) => m.event)).toEqual(['snapshot']);
    expect((again[0]!.data as { status: string }).status).toBe('completed');
  });

  it('answers 404 with the error shape for an unknown post', async () => {
    const res = await stack.request('GET', '/v1/posts/post_doesnotexist000000000/events');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'Post not found.' } });
  });
});

describe('shutdown with open streams', () => {
  it('ends open SSE streams when the API closes, instead of hanging', async () => {
    const stack = await startStack({ workers: false });
    const post = await stack.createPost({ topic: 'Open stream', pages: [{ type: 'cover', content: 'c' }] });
    const reading = stack.follow(post.id, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await stack.app.close();
    const messages = await reading;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(messages.map((m) => m.event)).toEqual(['snapshot']);
    await stack.close();
  });
});

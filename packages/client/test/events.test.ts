import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../services/api/test/harness.js';
import {
  compareEventIds,
  type FetchLike,
  InkpostClient,
  InkpostError,
  type InkpostEvent,
} from '../src/index.js';
import { startTcpProxy } from './proxies.js';

const imageYaml = (fake: FakeProvider) =>
  [
    'active_provider: slow',
    'providers:',
    '  slow:',
    '    type: image_api',
    '    api_key: k-slow-0001',
    `    base_url: ${fake.url}`,
    '    model: m',
    '    endpoint_type: /v1/images/generations',
    '    high_concurrency: true',
  ].join('\n');

const pages = [
  { type: 'cover' as const, content: 'Cover' },
  ...Array.from({ length: 8 }, (_, i) => ({ type: 'content' as const, content: `Point ${i + 1}` })),
  { type: 'summary' as const, content: 'Summary' },
];

async function collect(events: AsyncIterable<InkpostEvent>): Promise<InkpostEvent[]> {
  const out: InkpostEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const ids = (events: InkpostEvent[]) => events.map((e) => e.id);

describe('events(): the SSE iterator', () => {
  let fake: FakeProvider;
  let stack: Stack;
  let direct: InkpostClient;

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 200 });
    stack = await startStack({ imageProvidersYaml: imageYaml(fake), env: { HIGH_CONCURRENCY_DEFAULT: '2' } });
    direct = new InkpostClient({ baseUrl: stack.url });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  /**
   * Follows a generation through `client`, calling `cut` once two pages are done, and checks what was seen
   * against the post's whole history: the snapshot, then every later event exactly once, in order.
   */
  async function followWithCut(client: InkpostClient, cut: () => void): Promise<InkpostEvent[]> {
    const post = await direct.createPost({ topic: 'Reconnect', pages, autoGenerate: false });
    const seen: InkpostEvent[] = [];
    const reading = (async () => {
      let done = 0;
      for await (const event of client.events(post.id)) {
        seen.push(event);
        if (event.name === 'page.completed' && ++done === 2) cut();
      }
    })();
    await direct.generate(post.id);
    await reading;

    const history = await collect(direct.events(post.id, { lastEventId: '0-0' }));
    const snapshot = seen[0]!;
    expect(snapshot.name).toBe('snapshot');
    expect(new Set(ids(seen)).size).toBe(seen.length);
    expect(ids(seen.slice(1))).toEqual(ids(history.filter((e) => compareEventIds(e.id, snapshot.id) > 0)));
    expect(seen.slice(1).map((e) => e.name)).toEqual(
      history.filter((e) => compareEventIds(e.id, snapshot.id) > 0).map((e) => e.name),
    );
    expect(seen.filter((e) => e.name === 'page.completed')).toHaveLength(pages.length);
    expect(seen.at(-1)?.name).toBe('post.completed');
    expect(history.at(-1)?.name).toBe('post.completed');
    return seen;
  }

  it('reconnects through a cut TCP connection and refused reconnects: nothing lost or doubled', async () => {
    const proxy = await startTcpProxy(stack.url);
    let connects = 0;
    const counting: FetchLike = (input, init) => {
      if (input.includes('/events')) connects++;
      return fetch(input, init);
    };
    const client = new InkpostClient({ baseUrl: proxy.url, fetch: counting });
    try {
      await followWithCut(client, () => {
        // Connections are reset, then refused for a while: events keep happening and must be replayed.
        void proxy.stop().then(() => setTimeout(() => void proxy.start(), 400));
      });
      expect(connects).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.close();
    }
  });

  it('reconnects when the underlying fetch is aborted mid-stream, twice in a row', async () => {
    let connects = 0;
    let cuts = 0;
    // Aborts the real connection after a few chunks: the body then fails exactly as on a dropped network.
    const cutting: FetchLike = async (input, init) => {
      if (!input.includes('/events')) return fetch(input, init);
      connects++;
      const own = new AbortController();
      init.signal?.addEventListener('abort', () => own.abort(init.signal?.reason));
      const res = await fetch(input, { ...init, signal: own.signal });
      if (cuts >= 2 || !res.body) return res;
      let chunks = 0;
      const body = res.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            controller.enqueue(chunk);
            if (++chunks === 3) {
              cuts++;
              own.abort(new Error('cut'));
            }
          },
        }),
      );
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const client = new InkpostClient({ baseUrl: stack.url, fetch: cutting });
    await followWithCut(client, () => {});
    expect(cuts).toBe(2);
    expect(connects).toBeGreaterThanOrEqual(3);
  });

  it('resumes after a given lastEventId, and ends right after the snapshot of an ended post', async () => {
    const created = await direct.createPost({
      topic: 'Resume',
      pages: pages.slice(0, 3),
      autoGenerate: true,
    });
    await direct.waitFor(created.id);
    const history = await collect(direct.events(created.id, { lastEventId: '0-0' }));
    expect(history.length).toBeGreaterThan(6);
    expect(history.some((e) => e.name === 'snapshot')).toBe(false);

    const resumed = await collect(direct.events(created.id, { lastEventId: history[3]!.id }));
    expect(ids(resumed)).toEqual(ids(history.slice(4)));

    const ended = await collect(direct.events(created.id));
    expect(ended.map((e) => e.name)).toEqual(['snapshot']);
    expect(ended[0]!.id).toBe(history.at(-1)!.id);
  });

  it('stops on abort, and throws typed errors it cannot retry', async () => {
    const post = await direct.createPost({ topic: 'Idle', pages: pages.slice(0, 2), autoGenerate: false });
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of direct.events(post.id, { signal: controller.signal })) {
        seen.push(event.name);
        controller.abort(new Error('enough'));
      }
    })();
    await expect(reading).rejects.toThrow('enough');
    expect(seen).toEqual(['snapshot']);

    const missing = collect(direct.events('post_doesnotexist000000'));
    await expect(missing).rejects.toBeInstanceOf(InkpostError);
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('waitFor: until, timeout, and a stream that ends without the awaited state', async () => {
    const post = await direct.createPost({ topic: 'Waiting', pages: pages.slice(0, 2), autoGenerate: false });
    const outlined = await direct.waitFor(post.id, { until: (p) => p.status === 'outlined' });
    expect(outlined.status).toBe('outlined');

    const late = await direct.waitFor(post.id, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(InkpostError);
    expect(late).toMatchObject({ code: 'timeout', status: 0 });

    await direct.generate(post.id);
    const done = await direct.waitFor(post.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('completed');
    expect(done.pages.every((p) => p.image.version === 1)).toBe(true);

    const never = await direct.waitFor(post.id, { until: (p) => p.copy !== null }).catch((e: unknown) => e);
    expect(never).toMatchObject({ code: 'wait_ended' });
  });
});

import { type FakeProvider, isPng, startFakeProvider } from '@inkpost/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../services/api/test/harness.js';
import { InkpostClient, InkpostError, type Post } from '../src/index.js';
import { closedPort, type FlakyProxy, startFlakyProxy } from './proxies.js';
import { readZipNames } from './zip.js';

const ENDPOINT = '/v1/images/generations';
const imageYaml = (fake: FakeProvider) =>
  [
    'active_provider: fake',
    'providers:',
    '  fake:',
    '    type: image_api',
    '    api_key: k-fake-0001',
    `    base_url: ${fake.url}`,
    '    model: m',
    `    endpoint_type: ${ENDPOINT}`,
    '    high_concurrency: true',
    '    max_attempts: 1',
  ].join('\n');

const pages = (n: number) => [
  { type: 'cover' as const, content: 'Cover page' },
  ...Array.from({ length: n - 1 }, (_, i) => ({ type: 'content' as const, content: `Point ${i + 1}` })),
];

const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

describe('InkpostClient against the real API', () => {
  let fake: FakeProvider;
  let stack: Stack;
  let client: InkpostClient;

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 20 });
    stack = await startStack({ imageProvidersYaml: imageYaml(fake) });
    client = new InkpostClient({ baseUrl: stack.url });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  async function rendered(topic: string, n = 3): Promise<Post> {
    const created = await client.createPost({ topic, pages: pages(n), autoGenerate: true });
    return client.waitFor(created.id, { timeoutMs: 20_000 });
  }

  it('health, readiness, styles and providers', async () => {
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.ready()).toMatchObject({ status: 'ok', checks: { redis: 'ok', storage: 'ok' } });
    expect((await client.styles()).styles.map((s) => s.name)).toContain('minimal');
    const providers = await client.providers();
    expect(providers.image.find((p) => p.active)?.name).toBe('fake');
    expect(providers.image.find((p) => p.name === 'fake')?.apiKey).not.toContain('k-fake-0001');
    expect(providers.text.map((p) => p.name)).toContain('local');
  });

  it('tests a provider: ok, ok false (not an exception) for a refused key, 404 for none', async () => {
    expect(await client.testProvider('image', 'text_card')).toMatchObject({ ok: true });
    fake.enqueue('/v1/models', { kind: 'status', status: 401, body: { error: { message: 'bad key' } } });
    const refused = await client.testProvider('image', 'fake');
    expect(refused.ok).toBe(false);
    expect(refused.latencyMs).toBeGreaterThanOrEqual(0);
    const missing = await client.testProvider('text', 'nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InkpostError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('creates, follows, gets, downloads, lists and deletes a post', async () => {
    const created = await client.createPost({
      topic: 'Client lifecycle',
      pages: pages(3),
      autoGenerate: true,
    });
    expect(created.status).toBe('generating');
    const post = await client.waitFor(created.id);
    expect(post.status).toBe('completed');
    expect(await client.getPost(created.id)).toEqual(post);

    const full = await client.pageImage(post.id, 0);
    expect(isPng(buffer(full))).toBe(true);
    expect(await client.pageImage(post.id, 0, { version: 1 })).toEqual(full);
    const thumb = await client.pageImage(post.id, 0, { size: 'thumb' });
    expect(thumb.byteLength).toBeGreaterThan(0);
    expect(thumb).not.toEqual(full);
    expect(client.url(post.pages[0]!.image.url!)).toBe(`${stack.url}${post.pages[0]!.image.url}`);

    const zip = await client.archive(post.id);
    expect(await readZipNames(zip)).toEqual(['01.png', '02.png', '03.png', 'outline.md']);

    const listed = await client.listPosts({ q: 'Client lifecycle', status: 'completed', limit: 5 });
    expect(listed.items.map((p) => p.id)).toEqual([post.id]);
    expect(listed.nextCursor).toBeNull();

    await client.deletePost(post.id);
    await expect(client.getPost(post.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('pages through posts with the cursor', async () => {
    const ids = [];
    for (const n of [1, 2, 3]) {
      ids.push((await client.createPost({ topic: `Paging ${n} zebra`, pages: pages(1) })).id);
    }
    const first = await client.listPosts({ q: 'zebra', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const all: string[] = [];
    for await (const post of client.iteratePosts({ q: 'zebra', limit: 2 })) all.push(post.id);
    expect(all.sort()).toEqual(ids.sort());
  });

  it('sends reference images as multipart files', async () => {
    const png = await client.pageImage((await rendered('Reference source', 1)).id, 0);
    const post = await client.createPost(
      { topic: 'With a reference', pages: pages(2), autoGenerate: false, aspectRatio: '1:1' },
      { images: [{ bytes: png, mimeType: 'image/png', filename: 'ref.png' }] },
    );
    expect(post.aspectRatio).toBe('1:1');
    expect(post.referenceImages).toEqual([
      { url: `/v1/posts/${post.id}/reference-images/0`, mimeType: 'image/png' },
    ]);
    expect(await client.referenceImage(post.id, 0)).toEqual(png);
  });

  it('edits with If-Match; a stale revision is a typed 412', async () => {
    const post = await client.createPost({ topic: 'Editable', pages: pages(2) });
    const edited = await client.updatePost(
      post.id,
      {
        topic: 'Edited',
        pages: [...post.pages.map((p) => ({ id: p.id, type: p.type, content: p.content }))],
      },
      { ifMatch: post.revision },
    );
    expect(edited.topic).toBe('Edited');
    expect(edited.revision).toBeGreaterThan(post.revision);
    const stale = await client
      .updatePost(post.id, { topic: 'Again' }, { ifMatch: post.revision })
      .catch((e) => e);
    expect(stale).toBeInstanceOf(InkpostError);
    expect(stale).toMatchObject({ status: 412 });
    expect((stale as InkpostError).requestId).toEqual(expect.any(String));
  });

  it('generates chosen pages, regenerates one, and selects an older version', async () => {
    const post = await client.createPost({
      topic: 'Generate on demand',
      pages: pages(3),
      autoGenerate: false,
    });
    const started = await client.generate(post.id, { pages: [0] });
    expect(started.status).toBe('generating');
    let done = await client.waitFor(post.id);
    expect(done.pages.map((p) => p.image.status)).toEqual(['completed', 'pending', 'pending']);

    await client.generate(post.id);
    done = await client.waitFor(post.id);
    expect(done.status).toBe('completed');

    const again = await client.regeneratePage(post.id, 1);
    expect(again.pages[1]!.image.status).toBe('queued');
    done = await client.waitFor(post.id);
    expect(done.pages[1]!.image.version).toBe(2);
    expect(done.pages[1]!.image.versions.map((v) => v.version)).toEqual([1, 2]);

    const selected = await client.selectVersion(post.id, 1, 1);
    expect(selected.pages[1]!.image.version).toBe(1);
  });

  it('requests copy and waits for it', async () => {
    const post = await rendered('Copy please');
    const asked = await client.requestCopy(post.id);
    expect(['queued', 'writing', 'completed']).toContain(asked.copyStatus);
    const done = await client.waitFor(post.id, { until: (p) => p.copyStatus === 'completed' });
    expect(done.copy?.titles.length).toBe(3);
    expect(await readZipNames(await client.archive(post.id))).toContain('copy.md');
  });

  it('retries failed pages', async () => {
    fake.enqueue(ENDPOINT, { kind: 'status', status: 401, body: { error: { message: 'refused' } } });
    const failed = await rendered('Retry me', 1);
    expect(failed.status).toBe('failed');
    expect(failed.pages[0]!.image.error?.code).toBe('provider_auth');
    await client.retryFailed(failed.id);
    const done = await client.waitFor(failed.id);
    expect(done.status).toBe('completed');
  });

  it('cancels running work', async () => {
    fake.hold();
    try {
      const post = await client.createPost({ topic: 'Cancel me', pages: pages(3), autoGenerate: true });
      await fake.waitForRequests(1);
      const cancelled = await client.cancel(post.id);
      expect(cancelled.status).toBe('cancelled');
      expect((await client.waitFor(post.id)).status).toBe('cancelled');
    } finally {
      fake.release();
    }
  });

  it('answers errors as InkpostError with status, code, details and request id', async () => {
    const bad = await client.createPost({ topic: '' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InkpostError);
    const err = bad as InkpostError;
    expect(err).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(err.details).toEqual([expect.objectContaining({ path: 'body.topic' })]);
    expect(err.requestId).toMatch(/\S/);
    expect(err.message).toMatch(/topic/);

    const missing = await client.getPost('post_doesnotexist000000').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InkpostError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found', isAuth: false });
  });
});

describe('idempotency and retries', () => {
  let stack: Stack;
  let proxy: FlakyProxy;

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    proxy = await startFlakyProxy(stack.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await stack?.close();
  });

  const count = async (topic: string) =>
    (await new InkpostClient({ baseUrl: stack.url }).listPosts({ q: topic })).items.length;

  it('sends a fresh Idempotency-Key with every create; the same key gives the same post', async () => {
    const client = new InkpostClient({ baseUrl: proxy.url });
    await client.createPost({ topic: 'Keyed one' });
    await client.createPost({ topic: 'Keyed two' });
    const keys = proxy.requests
      .filter((r) => r.line === 'POST /v1/posts')
      .map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    for (const key of keys)
      expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[0]).not.toBe(keys[1]);

    const first = await client.createPost({ topic: 'Same key' }, { idempotencyKey: 'my-key-1' });
    const second = await client.createPost({ topic: 'Same key' }, { idempotencyKey: 'my-key-1' });
    expect(second.id).toBe(first.id);
    expect(await count('Same key')).toBe(1);
    const conflict = await client
      .createPost({ topic: 'Other body' }, { idempotencyKey: 'my-key-1' })
      .catch((e) => e);
    expect(conflict).toMatchObject({ status: 409, code: 'idempotency_conflict' });
  });

  it('retries a keyed POST through 503s and does the work once', async () => {
    const client = new InkpostClient({ baseUrl: proxy.url, retries: { attempts: 3, baseDelayMs: 20 } });
    proxy.failNext(2);
    const post = await client.createPost({ topic: 'Through the gateway' });
    expect(post.status).toBe('outlining');
    expect(await count('Through the gateway')).toBe(1);
  });

  it('retries a keyed POST whose answer was lost after the API did the work: still one post', async () => {
    let calls = 0;
    // The request reaches the API for real; only its answer is lost on the way back, as when a connection
    // drops.
    const lossy = async (input: string, init: RequestInit) => {
      const res = await fetch(input, init);
      if (init.method === 'POST' && calls++ === 0) {
        await res.arrayBuffer();
        throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
      }
      return res;
    };
    const client = new InkpostClient({ baseUrl: stack.url, fetch: lossy, retries: { baseDelayMs: 20 } });
    const post = await client.createPost({ topic: 'Lost answer' });
    expect(calls).toBe(2);
    expect(await count('Lost answer')).toBe(1);
    expect(post.topic).toBe('Lost answer');
  });

  it('never retries a POST without a key, and retries GETs on their own', async () => {
    const client = new InkpostClient({
      baseUrl: proxy.url,
      idempotency: false,
      retries: { baseDelayMs: 20 },
    });
    proxy.failNext(1);
    const err = await client.createPost({ topic: 'Unkeyed' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'bad_gateway' });
    const unkeyed = proxy.requests.at(-1)!;
    expect(unkeyed.headers['idempotency-key']).toBeUndefined();
    expect(await count('Unkeyed')).toBe(0);

    proxy.failNext(2, 502);
    expect((await client.listPosts()).items.length).toBeGreaterThan(0);
    proxy.failNext(3, 504);
    await expect(client.listPosts()).rejects.toMatchObject({ status: 504 });
  });

  it('reports an unreachable API as a network error', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const client = new InkpostClient({ baseUrl, retries: { attempts: 1, baseDelayMs: 10 } });
    const err = await client.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InkpostError);
    expect(err).toMatchObject({ status: 0, code: 'network_error', isNetwork: true });
  });
});

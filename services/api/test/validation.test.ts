import type { PostView } from '@inkpost/shared';
import { encodePng } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

const png = encodePng(4, 4, () => [200, 40, 40, 255]);

describe('input handling', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ workers: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function expectError(res: Response, status: number, code: string) {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(5);
    return body;
  }

  it('refuses an empty topic with 400 invalid_request naming the field', async () => {
    const body = await expectError(
      await stack.request('POST', '/v1/posts', { topic: '   ' }),
      400,
      'invalid_request',
    );
    expect(JSON.stringify(body)).toContain('topic');
  });

  it('refuses wrong types, unknown aspect ratios and bad page types', async () => {
    await expectError(await stack.request('POST', '/v1/posts', { topic: 42 }), 400, 'invalid_request');
    await expectError(
      await stack.request('POST', '/v1/posts', { topic: 'x', aspectRatio: '2:1' }),
      400,
      'invalid_request',
    );
    await expectError(
      await stack.request('POST', '/v1/posts', { topic: 'x', pages: [{ type: 'intro', content: 'a' }] }),
      400,
      'invalid_request',
    );
  });

  it('refuses malformed JSON and a non-JSON body with a 4xx in the error shape', async () => {
    const bad = await fetch(`${stack.url}/v1/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"topic": ',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    const xml = await fetch(`${stack.url}/v1/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(xml.status).toBe(415);
    expect(((await xml.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    const text = await fetch(`${stack.url}/v1/posts`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(text.status).toBe(400);
    expect(((await text.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('refuses an unknown provider', async () => {
    const body = await expectError(
      await stack.request('POST', '/v1/posts', { topic: 'x', imageProvider: 'nope' }),
      400,
      'unknown_provider',
    );
    expect(body.error.message).toContain('text_card');
  });

  it('refuses a reference image whose bytes are not an image, whatever its declared type', async () => {
    const data = Buffer.from('not an image at all').toString('base64');
    await expectError(
      await stack.request('POST', '/v1/posts', {
        topic: 'x',
        referenceImages: [{ data, mimeType: 'image/png' }],
      }),
      400,
      'invalid_image',
    );
  });

  it('stores reference images sent as base64 JSON and serves them back', async () => {
    const res = await stack.request('POST', '/v1/posts', {
      topic: 'with refs',
      referenceImages: [{ data: png.toString('base64'), mimeType: 'image/png' }],
    });
    expect(res.status).toBe(202);
    const post = (await res.json()) as PostView;
    expect(post.referenceImages).toEqual([
      { url: `/v1/posts/${post.id}/reference-images/0`, mimeType: 'image/png' },
    ]);
    const image = await stack.request('GET', post.referenceImages[0]!.url);
    expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);
    expect(await stack.listObjects(`posts/${post.id}/refs/`)).toEqual([`posts/${post.id}/refs/0.png`]);
  });

  it('accepts multipart/form-data with image files under "images"', async () => {
    const form = new FormData();
    form.append('topic', '多图上传');
    form.append('pages', JSON.stringify([{ type: 'cover', content: '封面' }]));
    form.append('images', new Blob([png], { type: 'application/octet-stream' }), 'a.png');
    const res = await fetch(`${stack.url}/v1/posts`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const post = (await res.json()) as PostView;
    expect(post.status).toBe('outlined');
    expect(post.pages.map((p) => p.content)).toEqual(['封面']);
    expect(post.referenceImages).toHaveLength(1);
    expect(post.referenceImages[0]!.mimeType).toBe('image/png');
  });

  it('answers 404 for unknown posts, pages and images, and for unknown routes', async () => {
    await expectError(await stack.request('GET', '/v1/posts/post_unknown0000000000000000'), 404, 'not_found');
    const post = await stack.createPost({ topic: 'x', pages: [{ type: 'cover', content: 'c' }] });
    await expectError(await stack.request('GET', `/v1/posts/${post.id}/pages/0/image`), 404, 'not_found');
    await expectError(await stack.request('GET', `/v1/posts/${post.id}/pages/5/image`), 404, 'not_found');
    await expectError(await stack.request('GET', '/v1/nothing-here'), 404, 'not_found');
  });

  it('refuses generate for a page that does not exist, and while the outline is being written', async () => {
    const post = await stack.createPost({ topic: 'x', pages: [{ type: 'cover', content: 'c' }] });
    await expectError(
      await stack.request('POST', `/v1/posts/${post.id}/generate`, { pages: [3] }),
      409,
      'page_not_found',
    );
    const outlining = await stack.createPost({ topic: 'still outlining' });
    await expectError(
      await stack.request('POST', `/v1/posts/${outlining.id}/generate`, {}),
      409,
      'outline_in_progress',
    );
  });

  it('queues nothing new when generate is called again while pages are queued', async () => {
    const post = await stack.createPost({
      topic: 'x',
      pages: [
        { type: 'cover', content: 'c' },
        { type: 'content', content: 'd' },
      ],
    });
    const first = (await (
      await stack.request('POST', `/v1/posts/${post.id}/generate`, {})
    ).json()) as PostView;
    const second = (await (
      await stack.request('POST', `/v1/posts/${post.id}/generate`, {})
    ).json()) as PostView;
    expect(first.status).toBe('generating');
    expect(second.revision).toBe(first.revision);
    expect(second.pages.map((p) => p.image.status)).toEqual(['queued', 'queued']);
  });

  it('echoes the client request id, or makes one', async () => {
    const mine = await stack.request('GET', '/healthz', undefined, { 'x-request-id': 'abc-123' });
    expect(mine.headers.get('x-request-id')).toBe('abc-123');
    const made = await stack.request('GET', '/healthz');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is ready when Redis and storage answer, and serves the OpenAPI document', async () => {
    const ready = await stack.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { redis: 'ok', storage: 'ok' } });
    const doc = (await (await stack.request('GET', '/docs/json')).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/posts',
        '/v1/posts/{id}',
        '/v1/posts/{id}/events',
        '/v1/posts/{id}/generate',
      ]),
    );
  });
});

describe('the queue dashboard', () => {
  it('serves bull-board at /admin/queues when the API runs open', async () => {
    const stack = await startStack({ workers: false });
    try {
      const res = await stack.request('GET', '/admin/queues');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<html');
      const api = await stack.request('GET', '/admin/queues/api/queues');
      const queues = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
      expect(queues).toEqual(expect.arrayContaining(['outline', 'image-text_card']));
    } finally {
      await stack.close();
    }
  });

  it('asks for admin credentials when they are set', async () => {
    const stack = await startStack({ workers: false, env: { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'pw-123' } });
    try {
      const denied = await stack.request('GET', '/admin/queues');
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toContain('Basic');
      const auth = `Basic ${Buffer.from('ops:pw-123').toString('base64')}`;
      expect((await stack.request('GET', '/admin/queues', undefined, { authorization: auth })).status).toBe(
        200,
      );
    } finally {
      await stack.close();
    }
  });
});

import type { PostView } from '@inkpost/shared';
import { encodePng } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

const KEYS = 'acme:key-acme-123,globex:key-globex-456';
const acme = { authorization: 'Bearer key-acme-123' };
const globex = { authorization: 'Bearer key-globex-456' };
const pages = [
  { type: 'cover', content: 'Cover' },
  { type: 'summary', content: 'End' },
];

/** A PNG header claiming a huge canvas, with no pixel data: what a decompression bomb looks like at the door. */
function hugePngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'ascii');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.writeUInt8(8, 16);
  ihdr.writeUInt8(6, 17);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}

describe('tenants, keys and limits', () => {
  let stack: Stack;
  let post: PostView;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        API_KEYS: KEYS,
        ADMIN_USER: 'ops',
        ADMIN_PASSWORD: 'ops-pw',
        RATE_LIMIT_PER_MINUTE: '1000',
        BODY_LIMIT_MB: '2',
      },
    });
    const res = await stack.request(
      'POST',
      '/v1/posts',
      { topic: 'Acme post', pages, autoGenerate: true },
      acme,
    );
    post = (await res.json()) as PostView;
    const done = await fetch(`${stack.url}/v1/posts/${post.id}/events`, { headers: acme });
    await done.text();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 401 with WWW-Authenticate for a missing or unknown key', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }]) {
      const res = await stack.request('GET', '/v1/posts', undefined, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it("answers 404 to another tenant on every post route, and lists only the tenant's posts", async () => {
    const id = post.id;
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/posts/${id}`],
      ['GET', `/v1/posts/${id}/events`],
      ['PATCH', `/v1/posts/${id}`, { topic: 'x' }],
      ['POST', `/v1/posts/${id}/generate`, {}],
      ['POST', `/v1/posts/${id}/pages/0/regenerate`, {}],
      ['POST', `/v1/posts/${id}/retry-failed`, {}],
      ['PUT', `/v1/posts/${id}/pages/0/version`, { version: 1 }],
      ['POST', `/v1/posts/${id}/copy`, {}],
      ['POST', `/v1/posts/${id}/cancel`, {}],
      ['GET', `/v1/posts/${id}/archive.zip`],
      ['GET', `/v1/posts/${id}/pages/0/image`],
      ['GET', `/v1/posts/${id}/reference-images/0`],
      ['DELETE', `/v1/posts/${id}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await stack.request(method, path, body, globex);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    const list = (await (await stack.request('GET', '/v1/posts', undefined, globex)).json()) as {
      items: PostView[];
    };
    expect(list.items).toEqual([]);
    expect((await stack.request('GET', `/v1/posts/${id}`, undefined, acme)).status).toBe(200);
  });

  it('keeps the dashboard and metrics behind the admin credentials', async () => {
    expect((await stack.request('GET', '/admin/queues')).status).toBe(401);
    expect((await stack.request('GET', '/metrics')).status).toBe(401);
    expect((await stack.request('GET', '/metrics', undefined, acme)).status).toBe(401);
    const admin = { authorization: `Basic ${Buffer.from('ops:ops-pw').toString('base64')}` };
    // Workers send their job and provider figures every couple of seconds, so the first scrape may precede them.
    const jobsCounted =
      /inkpost_jobs_total\{queue="image-text_card",job="page.render",outcome="completed"\} [1-9]/;
    let text = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const metrics = await stack.request('GET', '/metrics', undefined, admin);
      expect(metrics.status).toBe(200);
      text = await metrics.text();
      if (jobsCounted.test(text)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(text).toMatch(/inkpost_http_request_duration_seconds_bucket\{.*route="\/v1\/posts"/);
    expect(text).toMatch(/inkpost_queue_jobs\{queue="image-text_card",state="completed"\} \d+/);
    expect(text).toMatch(jobsCounted);
    expect(text).toMatch(/inkpost_provider_calls_total\{provider="text_card",result="ok"\} [1-9]/);
    expect(text).toMatch(/inkpost_sse_connections \d+/);
  });

  it('refuses oversized bodies, too many or too large images, non-images and long text with a 4xx and a message', async () => {
    const cases: [unknown, number, string][] = [
      [{ topic: 'x'.repeat(501) }, 400, 'invalid_request'],
      [{ topic: 'x', pages: [{ type: 'cover', content: 'y'.repeat(4001) }] }, 400, 'invalid_request'],
      [{ topic: 'x', pages: Array(21).fill({ type: 'content', content: 'c' }) }, 400, 'invalid_request'],
      [
        {
          topic: 'x',
          referenceImages: Array(7).fill({
            data: encodePng(2, 2, () => [1, 1, 1, 255]).toString('base64'),
            mimeType: 'image/png',
          }),
        },
        400,
        'invalid_request',
      ],
      [
        {
          topic: 'x',
          referenceImages: [
            { data: hugePngHeader(10_000, 10_000).toString('base64'), mimeType: 'image/png' },
          ],
        },
        400,
        'image_too_large',
      ],
      [
        {
          topic: 'x',
          // A GIF signature followed by text: its "header" claims an absurd canvas.
          referenceImages: [
            { data: Buffer.from('GIF89a-but-not-really').toString('base64'), mimeType: 'image/gif' },
          ],
        },
        400,
        'image_too_large',
      ],
      [
        {
          topic: 'x',
          referenceImages: [{ data: Buffer.from('GIF89a').toString('base64'), mimeType: 'image/gif' }],
        },
        400,
        'invalid_image',
      ],
      [
        {
          topic: 'x',
          referenceImages: [{ data: Buffer.from('<svg/>').toString('base64'), mimeType: 'image/png' }],
        },
        400,
        'invalid_image',
      ],
      [{ topic: 'x', style: 'z'.repeat(65) }, 400, 'invalid_request'],
      [{ topic: 'x'.repeat(3 * 1024 * 1024) }, 413, 'payload_too_large'],
    ];
    for (const [body, status, code] of cases) {
      const res = await stack.request('POST', '/v1/posts', body, acme);
      const answer = (await res.json()) as { error: { code: string; message: string } };
      expect([res.status, answer.error.code], JSON.stringify(body).slice(0, 80)).toEqual([status, code]);
      expect(answer.error.message.length).toBeGreaterThan(10);
    }
  });

  it('documents every route in OpenAPI at /docs/json', async () => {
    const doc = (await (await stack.request('GET', '/docs/json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = stack.app.printRoutes({ commonPrefix: false });
    const expected = [
      ['post', '/v1/posts'],
      ['get', '/v1/posts'],
      ['get', '/v1/posts/{id}'],
      ['patch', '/v1/posts/{id}'],
      ['delete', '/v1/posts/{id}'],
      ['get', '/v1/posts/{id}/events'],
      ['post', '/v1/posts/{id}/generate'],
      ['post', '/v1/posts/{id}/pages/{index}/regenerate'],
      ['post', '/v1/posts/{id}/retry-failed'],
      ['put', '/v1/posts/{id}/pages/{index}/version'],
      ['post', '/v1/posts/{id}/copy'],
      ['post', '/v1/posts/{id}/cancel'],
      ['get', '/v1/posts/{id}/archive.zip'],
      ['get', '/v1/posts/{id}/pages/{index}/image'],
      ['get', '/v1/providers'],
      ['post', '/v1/providers/{kind}/{name}/test'],
      ['get', '/healthz'],
      ['get', '/readyz'],
      ['get', '/metrics'],
    ];
    for (const [method, path] of expected) {
      expect(doc.paths[path!]?.[method!], `${method} ${path}`).toBeDefined();
    }
    expect(Object.keys(doc.paths[`/v1/posts/{id}`]!.get!.responses)).toEqual(
      expect.arrayContaining(['200', '404']),
    );
    expect(routes).toContain('/v1/posts');
  });
});

describe('per-key rate limit and daily image budget', () => {
  it('answers 429 with Retry-After over the per-key limit, per key', async () => {
    const stack = await startStack({ workers: false, env: { API_KEYS: KEYS, RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await stack.request('GET', '/v1/posts', undefined, acme)).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      const limited = await stack.request('GET', '/v1/posts', undefined, acme);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      expect((await stack.request('GET', '/v1/posts', undefined, globex)).status).toBe(200);
      expect((await stack.request('GET', '/healthz')).status).toBe(200);
    } finally {
      await stack.close();
    }
  });

  it('refuses work over the daily image budget before any provider call', async () => {
    const stack = await startStack({ env: { API_KEYS: KEYS, DAILY_IMAGE_BUDGETS: 'acme=3' } });
    try {
      const ok = await stack.request('POST', '/v1/posts', { topic: 'a', pages, autoGenerate: true }, acme);
      expect(ok.status).toBe(202);
      const created = (await ok.json()) as PostView;
      await stack.follow(created.id, 10_000).catch(() => []);
      const over = await stack.request('POST', '/v1/posts', { topic: 'b', pages }, acme);
      const second = (await over.json()) as PostView;
      const refused = await stack.request('POST', `/v1/posts/${second.id}/generate`, {}, acme);
      expect(refused.status).toBe(429);
      const body = (await refused.json()) as {
        error: { code: string; details: { limit: number; used: number } };
      };
      expect(body.error.code).toBe('daily_budget_exceeded');
      expect(body.error.details).toMatchObject({ limit: 3, used: 2 });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const after = (await (
        await stack.request('GET', `/v1/posts/${second.id}`, undefined, acme)
      ).json()) as PostView;
      expect(after.pages.every((p) => p.image.status === 'pending')).toBe(true);
      // One image still fits; another tenant has its own (unlimited) budget.
      expect(
        (await stack.request('POST', `/v1/posts/${second.id}/generate`, { pages: [0] }, acme)).status,
      ).toBe(202);
      const other = await stack.request(
        'POST',
        '/v1/posts',
        { topic: 'c', pages, autoGenerate: true },
        globex,
      );
      expect(other.status).toBe(202);
    } finally {
      await stack.close();
    }
  });
});

import type { PostView } from '@inkpost/shared';
import { encodePng } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../harness.js';
import { readSse, type SseMessage } from '../sse-client.js';
import { isErrorShape, leaksIn, rawRequest } from './support.js';

const ACME_KEY = 'key-acme-iso-31f7a2';
const GLOBEX_KEY = 'key-globex-iso-8c04d9';
const ADMIN = { user: 'ops', password: 'ops-iso-pw-55aa' };
const acme = { authorization: `Bearer ${ACME_KEY}` };
const globex = { authorization: `Bearer ${GLOBEX_KEY}` };
const adminAuth = {
  authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`,
};
const TOPIC = 'Acme secret launch plan';

const pages = [
  { type: 'cover', content: 'Cover' },
  { type: 'content', content: 'Point' },
  { type: 'summary', content: 'End' },
];

/** Every route that names a post, with what it is asked: `{id}` and `{lastEventId}` are filled in per post. */
function routesFor(id: string, lastEventId: string): [string, string, unknown?, Record<string, string>?][] {
  return [
    ['GET', `/v1/posts/${id}`],
    ['PATCH', `/v1/posts/${id}`, { topic: 'taken over' }],
    ['POST', `/v1/posts/${id}/generate`, {}],
    ['POST', `/v1/posts/${id}/pages/1/regenerate`, {}],
    ['POST', `/v1/posts/${id}/retry-failed`, {}],
    ['PUT', `/v1/posts/${id}/pages/1/version`, { version: 1 }],
    ['POST', `/v1/posts/${id}/copy`, {}],
    ['POST', `/v1/posts/${id}/cancel`, {}],
    ['GET', `/v1/posts/${id}/events`],
    ['GET', `/v1/posts/${id}/events`, undefined, { 'last-event-id': lastEventId }],
    ['GET', `/v1/posts/${id}/events?lastEventId=${lastEventId}`],
    ['GET', `/v1/posts/${id}/archive.zip`],
    ['GET', `/v1/posts/${id}/pages/0/image`],
    ['GET', `/v1/posts/${id}/pages/1/image?version=1`],
    ['GET', `/v1/posts/${id}/pages/1/image?version=2`],
    ['GET', `/v1/posts/${id}/pages/1/image?size=thumb`],
    ['GET', `/v1/posts/${id}/pages/1/image?version=1&size=thumb`],
    ['GET', `/v1/posts/${id}/reference-images/0`],
    ['GET', `/v1/posts/${id}/reference-images/1`],
    ['DELETE', `/v1/posts/${id}`],
  ];
}

async function ask(
  stack: Stack,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
) {
  const res = await rawRequest(stack.url, {
    method,
    path,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    readMs: 3_000,
  });
  return res;
}

describe('tenant isolation on every route, the SSE stream, replay, archive, images and references', () => {
  let stack: Stack;
  let post: PostView;
  let events: SseMessage[];

  beforeAll(async () => {
    stack = await startStack({
      env: {
        API_KEYS: `acme:${ACME_KEY},globex:${GLOBEX_KEY}`,
        ADMIN_USER: ADMIN.user,
        ADMIN_PASSWORD: ADMIN.password,
        RATE_LIMIT_PER_MINUTE: '0',
      },
    });
    const ref = encodePng(8, 8, (x) => [x * 30, 90, 160, 255]).toString('base64');
    const res = await stack.request(
      'POST',
      '/v1/posts',
      {
        topic: TOPIC,
        pages,
        autoGenerate: true,
        referenceImages: [
          { data: ref, mimeType: 'image/png' },
          { data: ref, mimeType: 'image/png' },
        ],
      },
      acme,
    );
    expect(res.status).toBe(202);
    post = (await res.json()) as PostView;
    await fetch(`${stack.url}/v1/posts/${post.id}/events`, { headers: acme }).then((r) => r.text());
    // A second version of page 1, so there are older versions and their thumbnails to ask for.
    await stack.request('POST', `/v1/posts/${post.id}/pages/1/regenerate`, {}, acme);
    events = [];
    for await (const m of readSse(`${stack.url}/v1/posts/${post.id}/events`, {
      headers: acme,
      lastEventId: '0-0',
      signal: AbortSignal.timeout(20_000),
    })) {
      events.push(m);
    }
    post = (await (await stack.request('GET', `/v1/posts/${post.id}`, undefined, acme)).json()) as PostView;
    expect(post.status).toBe('completed');
    expect(post.pages[1]!.image.versions.map((v) => v.version)).toEqual([1, 2]);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('the owner reaches every resource (the control: these are real, populated resources)', async () => {
    const middle = events[Math.floor(events.length / 2)]!.id!;
    const sse = await ask(stack, 'GET', `/v1/posts/${post.id}/events`, undefined, {
      ...acme,
      'last-event-id': middle,
    });
    expect(sse.status).toBe(200);
    // A replay: the events after the given one, not a snapshot.
    expect(sse.text).not.toContain('event: snapshot');
    expect(sse.text).toContain('event: post.completed');
    for (const [path, magic] of [
      [`/v1/posts/${post.id}/archive.zip`, 'PK'],
      [`/v1/posts/${post.id}/pages/1/image?version=1`, '\x89PNG'],
      [`/v1/posts/${post.id}/pages/1/image?version=2`, '\x89PNG'],
      [`/v1/posts/${post.id}/pages/1/image?version=1&size=thumb`, 'RIFF'],
      [`/v1/posts/${post.id}/reference-images/1`, '\x89PNG'],
    ] as const) {
      const res = await ask(stack, 'GET', path, undefined, acme);
      expect([path, res.status, res.text.slice(0, magic.length)]).toEqual([path, 200, magic]);
    }
  });

  it('another tenant gets exactly the 404 a post that does not exist gets, on every route', async () => {
    const lastEventId = events.at(-1)!.id!;
    const missing = 'post_doesNotExist000000000';
    for (const [method, path, body, extra] of routesFor(post.id, lastEventId)) {
      const theirs = await ask(stack, method, path, body, { ...globex, ...extra });
      const none = await ask(stack, method, path.replace(post.id, missing), body, { ...globex, ...extra });
      const what = `${method} ${path} ${JSON.stringify(extra ?? {})}`;
      expect(theirs.status, what).toBe(404);
      expect(isErrorShape(theirs.text), what).toBe(true);
      expect(String(theirs.headers['content-type']), what).toMatch(/^application\/json/);
      // Existence is not leaked: the same status, code and message as for no post at all.
      expect(JSON.parse(theirs.text), what).toEqual(JSON.parse(none.text));
      expect(
        leaksIn(theirs, [TOPIC, 'Acme secret', lastEventId, ...post.pages.map((p) => p.id)]),
        what,
      ).toEqual([]);
    }
    // Nothing was changed by those attempts.
    const after = (await (
      await stack.request('GET', `/v1/posts/${post.id}`, undefined, acme)
    ).json()) as PostView;
    expect(after.revision).toBe(post.revision);
    expect(after.topic).toBe(TOPIC);
  });

  it('without a key, with an unknown key or with a percent-encoded path, every route answers 401', async () => {
    const encoded = (p: string) => p.replace('/v1/', '/%761/');
    for (const [method, path, body, extra] of routesFor(post.id, events.at(-1)!.id!)) {
      const refused: Record<string, string>[] = [
        {},
        { authorization: 'Bearer nope' },
        { authorization: `Basic ${ACME_KEY}` },
      ];
      for (const headers of refused) {
        for (const p of [path, encoded(path)]) {
          const res = await ask(stack, method, p, body, { ...headers, ...extra });
          expect([`${method} ${p}`, res.status]).toEqual([`${method} ${p}`, 401]);
          expect(isErrorShape(res.text)).toBe(true);
          expect(res.text).not.toContain(TOPIC);
        }
      }
    }
    // Listing and creating through a percent-encoded path need a key too.
    expect((await ask(stack, 'GET', '/%761/posts', undefined, {})).status).toBe(401);
    expect((await ask(stack, 'POST', '/%761/posts', { topic: 'free ride' }, {})).status).toBe(401);
  });

  it("another tenant's listing and search never show the post", async () => {
    for (const q of ['', `?q=${encodeURIComponent('Acme secret')}`, '?status=completed', '?limit=100']) {
      const res = await stack.request('GET', `/v1/posts${q}`, undefined, globex);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain(post.id);
      expect(text).not.toContain(TOPIC);
    }
  });

  it("another tenant's own SSE stream never carries this post's events", async () => {
    const theirs = (await (
      await stack.request('POST', '/v1/posts', { topic: 'Globex post', pages, autoGenerate: true }, globex)
    ).json()) as PostView;
    // Both generate at once; each stream must hold only its own post.
    await stack.request('POST', `/v1/posts/${post.id}/pages/0/regenerate`, {}, acme);
    const seen: SseMessage[] = [];
    for await (const m of readSse(`${stack.url}/v1/posts/${theirs.id}/events`, {
      headers: globex,
      signal: AbortSignal.timeout(20_000),
    })) {
      seen.push(m);
    }
    expect(seen.at(-1)?.event).toBe('post.completed');
    const text = JSON.stringify(seen);
    expect(text).not.toContain(post.id);
    expect(text).not.toContain(TOPIC);
    await fetch(`${stack.url}/v1/posts/${post.id}/events`, { headers: acme }).then((r) => r.text());
  });

  it('an Idempotency-Key is the tenant’s own: the same key and body from another tenant is new work', async () => {
    const body = { topic: 'Same body', pages: [{ type: 'cover', content: 'c' }] };
    const key = { 'idempotency-key': 'shared-key-123' };
    const a = await stack.request('POST', '/v1/posts', body, { ...acme, ...key });
    const b = await stack.request('POST', '/v1/posts', body, { ...globex, ...key });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    const [pa, pb] = [(await a.json()) as PostView, (await b.json()) as PostView];
    expect(pb.id).not.toBe(pa.id);
    expect((await stack.request('GET', `/v1/posts/${pa.id}`, undefined, globex)).status).toBe(404);
  });
});

describe('the dashboard and metrics with API keys configured', () => {
  it('are not served at all without admin credentials configured, whatever the request carries', async () => {
    const stack = await startStack({
      workers: false,
      env: { API_KEYS: `acme:${ACME_KEY}`, RATE_LIMIT_PER_MINUTE: '0' },
    });
    try {
      for (const path of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues', '/metrics']) {
        for (const headers of [{}, acme, adminAuth]) {
          const res = await ask(stack, 'GET', path, undefined, headers);
          expect([path, res.status]).toEqual([path, 404]);
          expect(isErrorShape(res.text)).toBe(true);
        }
      }
      // Other spellings reach the web studio's fallback page at most, never the dashboard or the metrics.
      for (const path of ['/%6detrics', '/%61dmin/queues', '/ADMIN/queues', '/metrics/']) {
        const res = await ask(stack, 'GET', path, undefined, adminAuth);
        expect(res.text, path).not.toMatch(/bull|inkpost_queue_jobs|inkpost_http_request/i);
      }
    } finally {
      await stack.close();
    }
  });

  it('answer 401 to anything but the admin credentials, also through odd spellings of their paths', async () => {
    const stack = await startStack({
      workers: false,
      env: {
        API_KEYS: `acme:${ACME_KEY}`,
        ADMIN_USER: ADMIN.user,
        ADMIN_PASSWORD: ADMIN.password,
        RATE_LIMIT_PER_MINUTE: '0',
      },
    });
    try {
      const wrong = [
        {},
        acme,
        { authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}x`).toString('base64')}` },
        { authorization: `Basic ${Buffer.from(`${ADMIN.user}:`).toString('base64')}` },
        { authorization: `Basic ${Buffer.from(ACME_KEY).toString('base64')}` },
        { authorization: `Bearer ${ADMIN.password}` },
      ];
      const paths = [
        '/admin/queues',
        '/admin/queues/api/queues',
        '/%61dmin/queues',
        '/admin/%71ueues/api/queues',
        '/metrics',
        '/%6detrics',
      ];
      for (const path of paths) {
        for (const headers of wrong) {
          const res = await ask(stack, 'GET', path, undefined, headers);
          expect([path, headers, res.status]).toEqual([path, headers, 401]);
          expect(isErrorShape(res.text), `${path}: ${res.text.slice(0, 100)}`).toBe(true);
          expect(res.headers['www-authenticate']).toMatch(/^Basic/);
        }
        const ok = await ask(stack, 'GET', path, undefined, adminAuth);
        expect([path, ok.status]).toEqual([path, 200]);
      }
      // Spellings the router does not take for the dashboard never serve it (nor the metrics) either.
      for (const path of ['/ADMIN/queues', '/admin//queues', '//admin/queues', '/Metrics', '/metrics/']) {
        const res = await ask(stack, 'GET', path, undefined, {});
        expect(res.text, path).not.toMatch(/bull|inkpost_queue_jobs|inkpost_http_request/i);
      }
    } finally {
      await stack.close();
    }
  });
});

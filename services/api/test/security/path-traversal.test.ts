import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStorage } from '@inkpost/core';
import { CommonEnv, type PostView } from '@inkpost/shared';
import { encodePng, type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../harness.js';
import { isErrorShape, leaksIn, REPO_ROOT, rawRequest } from './support.js';

const PROVIDER_KEY = `sk-canary-${randomBytes(8).toString('hex')}`;
const SECRET = `TOP-SECRET-${randomBytes(8).toString('hex')}`;
const WEB_INDEX = path.join(REPO_ROOT, 'services/web/dist/index.html');

/** Ways to say "go up" or "somewhere else" in a path segment, each as it goes on the wire. */
function traversals(target: string): string[] {
  const enc = encodeURIComponent;
  return [
    '..',
    '.',
    '../..',
    `../${target}`,
    `..%2f..%2f${enc(target)}`,
    '%2e%2e',
    `%2e%2e%2f%2e%2e%2f${enc(target)}`,
    `%2e%2e/%2e%2e/${target}`,
    `..%252f..%252f${enc(target)}`,
    '%252e%252e%252f',
    `..%5c..%5c${enc(target)}`,
    `....//....//${target}`,
    `%c0%ae%c0%ae%c0%af${enc(target)}`,
    '..%c0%af',
    '%00',
    'x%00.png',
    '%2fetc%2fpasswd',
    '/etc/passwd',
    `${enc('/')}${enc('etc')}`,
    'a'.repeat(5_000),
    `${'a'.repeat(100)}%2f..`,
    '%ZZ',
    '%',
  ];
}

function safeDecode(p: string): string {
  try {
    return `${p}\n${decodeURIComponent(p)}`;
  } catch {
    return p;
  }
}

describe('path traversal on every path parameter: no file outside storage is served, nothing leaks', () => {
  let stack: Stack;
  let fake: FakeProvider;
  let dir: string;
  let storageDir: string;
  let canary: string;
  let post: PostView;
  let leaky: PostView;
  let forbidden: string[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'inkpost-traversal-'));
    storageDir = path.join(dir, 'storage');
    mkdirSync(storageDir);
    writeFileSync(path.join(dir, 'secret.txt'), `${SECRET}\n`);
    // A provider file with a recognisable key next to the repository, used as the deployment's provider file.
    canary = path.join(REPO_ROOT, '..', `inkpost-canary-${randomBytes(4).toString('hex')}.yaml`);
    // The provider echoes the key back in its refusal, as OpenAI does: the API must still never show it.
    fake = await startFakeProvider();
    writeFileSync(
      canary,
      [
        'active_provider: text_card',
        'providers:',
        '  leaky:',
        '    type: image_api',
        `    api_key: ${PROVIDER_KEY}`,
        `    base_url: ${fake.url}`,
        '    model: m',
        '    endpoint_type: /v1/images/generations',
        '    max_attempts: 1',
      ].join('\n'),
    );
    stack = await startStack({
      // The filesystem storage, so a traversal would have real files to reach.
      env: { S3_ENDPOINT: '', STORAGE_DIR: storageDir, IMAGE_PROVIDERS_FILE: canary },
    });
    const ref = encodePng(4, 4, () => [10, 200, 10, 255]).toString('base64');
    post = await stack.createPost({
      topic: 'Traversal target',
      pages: [
        { type: 'cover', content: 'c' },
        { type: 'summary', content: 's' },
      ],
      referenceImages: [{ data: ref, mimeType: 'image/png' }],
      autoGenerate: true,
    });
    await stack.follow(post.id, 20_000);
    fake.enqueue('/v1/images/generations', {
      kind: 'status',
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${PROVIDER_KEY}` } },
    });
    leaky = await stack.createPost({
      topic: 'Leaky provider',
      pages: [{ type: 'cover', content: 'c' }],
      imageProvider: 'leaky',
      autoGenerate: true,
    });
    await stack.follow(leaky.id, 20_000);
    forbidden = [
      SECRET,
      PROVIDER_KEY,
      PROVIDER_KEY.slice(-12),
      'root:x:0:0',
      '"packageManager": "pnpm@',
      dir,
      canary,
      storageDir,
    ];
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
    if (canary) rmSync(canary, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the storage files are really there (the control), and the provider refusal was recorded', async () => {
    const image = await rawRequest(stack.url, { method: 'GET', path: `/v1/posts/${post.id}/pages/0/image` });
    expect([image.status, image.text.slice(0, 4)]).toEqual([200, '\x89PNG']);
    const ref = await rawRequest(stack.url, {
      method: 'GET',
      path: `/v1/posts/${post.id}/reference-images/0`,
    });
    expect(ref.status).toBe(200);
    const failed = (await (await stack.request('GET', `/v1/posts/${leaky.id}`)).json()) as PostView;
    expect(failed.pages[0]!.image.error).toMatchObject({ code: 'provider_auth' });
  });

  it('refuses every traversal in every path parameter, query value and static route with a 4xx', async () => {
    const target = path.relative(storageDir, path.join(dir, 'secret.txt'));
    const toCanary = path.relative(storageDir, canary);
    const payloads = [...traversals(target), ...traversals(toCanary).slice(3, 9)];
    const id = post.id;
    const templates: [string, (p: string) => string][] = [
      ['GET', (p) => `/v1/posts/${p}`],
      ['PATCH', (p) => `/v1/posts/${p}`],
      ['DELETE', (p) => `/v1/posts/${p}`],
      ['GET', (p) => `/v1/posts/${p}/events`],
      ['GET', (p) => `/v1/posts/${p}/archive.zip`],
      ['POST', (p) => `/v1/posts/${p}/generate`],
      ['POST', (p) => `/v1/posts/${p}/copy`],
      ['GET', (p) => `/v1/posts/${p}/pages/0/image`],
      ['GET', (p) => `/v1/posts/${id}/pages/${p}/image`],
      ['GET', (p) => `/v1/posts/${id}/pages/0/image?version=${p}`],
      ['GET', (p) => `/v1/posts/${id}/pages/0/image?size=${p}`],
      ['GET', (p) => `/v1/posts/${id}/pages/0/image/${p}`],
      ['POST', (p) => `/v1/posts/${id}/pages/${p}/regenerate`],
      ['PUT', (p) => `/v1/posts/${id}/pages/${p}/version`],
      ['GET', (p) => `/v1/posts/${p}/reference-images/0`],
      ['GET', (p) => `/v1/posts/${id}/reference-images/${p}`],
      ['GET', (p) => `/v1/posts/${id}/events?lastEventId=${p}`],
      ['POST', (p) => `/v1/providers/${p}/leaky/test`],
      ['POST', (p) => `/v1/providers/image/${p}/test`],
      ['GET', (p) => `/v1/${p}`],
      ['GET', (p) => `/docs/static/${p}`],
      ['GET', (p) => `/docs/${p}`],
      ['GET', (p) => `/admin/queues/static/${p}`],
      ['GET', (p) => `/admin/queues/${p}`],
      ['GET', (p) => `/assets/${p}`],
      ['GET', (p) => `/${p}`],
    ];
    const index = existsSync(WEB_INDEX) ? readFileSync(WEB_INDEX, 'latin1') : null;
    let asked = 0;
    for (const [method, make] of templates) {
      for (const payload of payloads) {
        const p = make(payload);
        const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
        const headers = body ? { 'content-type': 'application/json' } : undefined;
        const res = await rawRequest(stack.url, { method, path: p, headers, body, readMs: 3_000 });
        asked += 1;
        const what = `${method} ${p.slice(0, 140)} → ${res.status} ${res.text.slice(0, 120)}`;
        expect(res.status, what).toBeLessThan(500);
        // A 404 may echo the path it was asked for; only what the request did not carry counts as a leak.
        const sent = safeDecode(p);
        expect(
          leaksIn(
            res,
            forbidden.filter((f) => !sent.includes(f)),
          ),
          what,
        ).toEqual([]);
        if (p.includes('lastEventId=') && res.status === 200) {
          // Not a stream id, so not a replay cursor: the client gets the snapshot of its own post.
          expect(res.text, what).toMatch(/^id: \d+-\d+\nevent: snapshot\n/);
        } else if (res.status < 400) {
          // The only success a traversal may meet is the web studio's own index page (its SPA fallback).
          expect(index === null || res.text === index, what).toBe(true);
          expect(String(res.headers['content-type']), what).toMatch(/^text\/(html|plain)/);
        } else if (p.startsWith('/admin/queues')) {
          // bull-board's own routes answer in bull-board's own error shape (the dashboard is its app, mounted as is).
          expect(
            isErrorShape(res.text) || /^\{"error":\{"key":"[A-Z_.]+"\},"message":"/.test(res.text),
            what,
          ).toBe(true);
        } else {
          expect(isErrorShape(res.text), what).toBe(true);
        }
      }
    }
    expect(asked).toBeGreaterThan(500);
  });

  it('never shows the provider key: not in the post, its events, its archive, the provider list or a test call', async () => {
    for (const p of [
      `/v1/posts/${leaky.id}`,
      `/v1/posts/${leaky.id}/events`,
      `/v1/posts/${leaky.id}/archive.zip`,
      '/v1/posts',
      '/v1/providers',
      '/docs/json',
      '/metrics',
    ]) {
      const res = await rawRequest(stack.url, { method: 'GET', path: p, readMs: 3_000 });
      expect(res.status, p).toBe(200);
      expect(leaksIn(res, forbidden), p).toEqual([]);
    }
    fake.enqueue('/v1/models', {
      kind: 'status',
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${PROVIDER_KEY}` } },
    });
    const tested = await rawRequest(stack.url, { method: 'POST', path: '/v1/providers/image/leaky/test' });
    expect(tested.status).toBe(200);
    expect(tested.text).toMatch(/"ok":false/);
    expect(leaksIn(tested, forbidden)).toEqual([]);
  });

  it('the filesystem storage itself refuses keys that leave its root', async () => {
    const storage = createStorage(CommonEnv.parse({ STORAGE_DIR: storageDir }));
    for (const key of ['../secret.txt', 'posts/../../secret.txt', '/etc/passwd', `${dir}/secret.txt`]) {
      await expect(storage.get(key), key).rejects.toThrow(/invalid storage key/);
      await expect(storage.getBuffer(key), key).rejects.toThrow(/invalid storage key/);
      await expect(storage.put(key, Buffer.from('x'), 'text/plain'), key).rejects.toThrow(
        /invalid storage key/,
      );
      await expect(storage.findFirst(`${key}x`), key).rejects.toThrow(/invalid storage key/);
    }
    await expect(storage.deletePrefix('../')).rejects.toThrow(/invalid storage key/);
    expect(readFileSync(path.join(dir, 'secret.txt'), 'utf8')).toContain(SECRET);
  });
});

import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWeb } from '../../api/src/plugins/web.js';
import { type Stack, startStack } from '../../api/test/harness.js';
import { requireBuiltStudio } from './browser.js';

type FastifyInstance = Parameters<typeof registerWeb>[0];

// The API's own Fastify (this package does not depend on it).
async function bareFastify(): Promise<FastifyInstance> {
  const require = createRequire(new URL('../../api/package.json', import.meta.url));
  const mod = (await import(pathToFileURL(require.resolve('fastify')).href)) as {
    default: (opts?: object) => FastifyInstance;
  };
  return mod.default({ logger: false });
}

describe('the API serves the studio', () => {
  let stack: Stack;
  beforeAll(async () => {
    requireBuiltStudio();
    stack = await startStack({ workers: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers / and every studio route with index.html, never cached', async () => {
    for (const p of ['/', '/posts/anything', '/history']) {
      const res = await stack.request('GET', p);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="app"></div>');
    }
    expect((await stack.request('HEAD', '/')).status).toBe(200);
  });

  it('serves the fingerprinted assets as immutable, and 404s a missing one', async () => {
    const html = await (await stack.request('GET', '/')).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const res = await stack.request('GET', script);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toContain('immutable');
    const missing = await stack.request('GET', '/assets/missing-0000.js');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('leaves the API alone: unknown API paths stay JSON 404s, docs and health still answer', async () => {
    const unknown = await stack.request('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await stack.request('GET', '/healthz')).status).toBe(200);
    expect((await stack.request('GET', '/docs/json')).status).toBe(200);
    expect((await stack.request('GET', '/v1/posts')).status).toBe(200);
  });

  it('does not serve files outside the studio', async () => {
    for (const p of ['/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json']) {
      const res = await stack.request('GET', p);
      expect(res.status).not.toBe(200);
    }
  });
});

describe('the API without a built studio', () => {
  it('still starts, and / says the studio is not built', async () => {
    const app = await bareFastify();
    await registerWeb(app, { root: mkdtempSync(path.join(tmpdir(), 'inkpost-no-web-')) });
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/studio is not built/);
    expect((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode).toBe(404);
    await app.close();
  });
});

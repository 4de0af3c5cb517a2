import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PostView } from '@inkpost/shared';
import {
  decompressionBombPng,
  encodePng,
  hugeGif,
  type RejectionWatch,
  watchUnhandledRejections,
} from '@inkpost/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../harness.js';
import { isErrorShape, leaksIn, type RawRequest, rawRequest, rawSocket } from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_607);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_200);

const ACME_KEY = 'key-acme-fuzz-5b1e0c';
const GLOBEX_KEY = 'key-globex-fuzz-9d2f4a';
const ADMIN_PASSWORD = 'admin-pw-fuzz-77c3';
const IMAGE_KEY = 'sk-fuzz-IMAGE-SECRET-7f3a9c2e1d';
const TEXT_KEY = 'sk-fuzz-TEXT-SECRET-0b8e6d4c2a';

// ---- Generators ----

const latin1 = (min: number, max: number, maxLength: number) =>
  fc.string({ unit: fc.integer({ min, max }).map((c) => String.fromCharCode(c)), maxLength });

/** Strings an attacker would try in any field. */
const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '..',
      '../../../../etc/passwd',
      '..\\..\\windows\\win.ini',
      '%2e%2e%2f%2e%2e%2f',
      '..%2f..%2f',
      '%252e%252e%252f',
      '%c0%ae%c0%ae%c0%af',
      '%00',
      'x%00.png',
      '<script>alert(1)</script>',
      "' OR 1=1 --",
      '${jndi:ldap://127.0.0.1/x}',
      '{{7*7}}',
      '__proto__',
      'constructor',
      'prototype',
      '-1',
      '1e309',
      'NaN',
      'Infinity',
      '0x10',
      '9007199254740993',
      '99999999999999999999-99999999999999999999',
      '9999999999999-0',
      '0-0',
      '*',
      'W/"1"',
      '\u202e\u0000\ud800',
    ),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 200, maxLength: 3_000 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
);

/** encodeURIComponent that survives lone surrogates (they become U+FFFD, as a UTF-8 round trip makes them). */
const encode = (s: string) => encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));

/** Stands for the target post's id, which is only known (and may change: DELETE is fuzzed too) at send time. */
const TARGET = '@target@';

/** A path segment, percent-encoded the way a client might (or might not) do it. */
function segment(value: fc.Arbitrary<string>) {
  return fc.tuple(value, fc.constantFrom('encoded', 'raw', 'double')).map(([v, how]) => {
    if (v === TARGET) return v;
    if (how === 'encoded') return encode(v);
    if (how === 'double') return encode(encode(v));
    // Raw, but node:http refuses spaces, control characters and anything past latin1 in a path.
    return v.replace(/[^\u0021-\u007e]/gu, (c) => encode(c));
  });
}

interface Ids {
  acme: string;
  globex: string;
}

function idArb(ids: Ids) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(TARGET) },
    { weight: 1, arbitrary: fc.constant(ids.globex) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }).map((s) => `post_${s}`) },
    { weight: 3, arbitrary: hostile },
    { weight: 1, arbitrary: fc.string({ minLength: 101, maxLength: 4_000 }) },
  );
}

const indexArb = fc.oneof(
  fc.constantFrom('0', '1', '2', '20', '21', '-1', '1.5', '1e3', 'NaN', ' 1', '0x1', '', '00', '+1'),
  fc.integer().map(String),
  hostile,
);

const ROUTES: { method: string; path: string }[] = [
  { method: 'POST', path: '/v1/posts' },
  { method: 'GET', path: '/v1/posts' },
  { method: 'GET', path: '/v1/posts/{id}' },
  { method: 'PATCH', path: '/v1/posts/{id}' },
  { method: 'DELETE', path: '/v1/posts/{id}' },
  { method: 'POST', path: '/v1/posts/{id}/generate' },
  { method: 'POST', path: '/v1/posts/{id}/cancel' },
  { method: 'POST', path: '/v1/posts/{id}/pages/{index}/regenerate' },
  { method: 'POST', path: '/v1/posts/{id}/retry-failed' },
  { method: 'PUT', path: '/v1/posts/{id}/pages/{index}/version' },
  { method: 'POST', path: '/v1/posts/{id}/copy' },
  { method: 'GET', path: '/v1/posts/{id}/events' },
  { method: 'GET', path: '/v1/posts/{id}/pages/{index}/image' },
  { method: 'GET', path: '/v1/posts/{id}/reference-images/{n}' },
  { method: 'GET', path: '/v1/posts/{id}/archive.zip' },
  { method: 'GET', path: '/v1/providers' },
  { method: 'POST', path: '/v1/providers/{kind}/{name}/test' },
  { method: 'GET', path: '/v1/styles' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/admin/queues' },
  { method: 'GET', path: '/admin/queues/api/queues' },
];

/** Stream ids (`<ms>-<seq>`) a client might send back: real-looking, from the future, past what Redis can parse. */
const eventIdLike = fc
  .tuple(
    fc.oneof(
      fc.constant(Date.now()),
      fc.integer({ min: 0, max: Date.now() * 2 }),
      fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }),
    ),
    fc.oneof(fc.nat(5), fc.bigInt({ min: 0n, max: 10n ** 20n - 1n })),
  )
  .map(([ms, seq]) => `${ms}-${seq}`);

const QUERY_KEYS = ['version', 'size', 'limit', 'cursor', 'q', 'status', 'lastEventId', '__proto__', 'x'];

const queryArb = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(hostile, eventIdLike),
    ),
    { maxLength: 4 },
  )
  .chain((pairs) =>
    fc.constantFrom('encoded', 'raw').map((how) => {
      if (pairs.length === 0) return '';
      const enc = (s: string) =>
        how === 'encoded' ? encode(s) : s.replace(/[^\u0021-\u007e]|[#]/gu, (c) => encode(c));
      return `?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`;
    }),
  );

const headerValue = (maxLength: number) => latin1(0x20, 0x7e, maxLength);

const authArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${ACME_KEY}`) },
  { weight: 1, arbitrary: fc.constant(`Bearer ${GLOBEX_KEY}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      headerValue(60).map((v) => `Bearer ${v}`),
      fc.constant(`Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}x`).toString('base64')}`),
      fc.constant(`bearer  ${ACME_KEY} `),
      headerValue(2_000),
    ),
  },
);

const png = encodePng(2, 2, () => [9, 9, 9, 255]);
const bomb = decompressionBombPng(20_000, 20_000);
const imageBytes = fc.constantFrom(
  png,
  bomb,
  hugeGif(65_535, 65_535),
  Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
  Buffer.from('GIF89a'),
  Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  Buffer.alloc(0),
);

const createBody = fc.record(
  {
    topic: fc.oneof(hostile, fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })),
    pages: fc.oneof(
      fc.array(
        fc.record({
          type: fc.oneof(fc.constantFrom('cover', 'content', 'summary'), hostile),
          content: fc.oneof(hostile, fc.integer()),
          id: hostile,
        }),
        { maxLength: 25 },
      ),
      hostile,
    ),
    autoGenerate: fc.oneof(fc.boolean(), hostile),
    aspectRatio: fc.oneof(fc.constantFrom('3:4', '1:1', '2:1'), hostile),
    textProvider: fc.oneof(fc.constantFrom('local', 'fuzztext'), hostile),
    imageProvider: fc.oneof(fc.constantFrom('text_card', 'fuzzimg'), hostile),
    webhookUrl: fc.oneof(
      fc.constantFrom('http://127.0.0.1/x', 'http://169.254.169.254/latest', 'file:///etc/passwd'),
      hostile,
    ),
    style: hostile,
    pageCount: fc.oneof(fc.integer(), fc.double(), hostile),
    referenceImages: fc.array(
      fc.record({
        data: fc.oneof(
          imageBytes.map((b) => b.toString('base64')),
          hostile,
        ),
        mimeType: fc.oneof(fc.constantFrom('image/png', 'image/gif', 'text/html'), hostile),
      }),
      { maxLength: 8 },
    ),
    version: fc.oneof(fc.integer(), hostile),
  },
  { requiredKeys: [] },
);

// Keys that would poison prototypes if the body were merged naively; spliced in as text, since an object literal
// with a __proto__ key would set its prototype instead of carrying the key.
const POISON = '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},';

const jsonCreateBody = fc.tuple(createBody, fc.boolean()).map(([b, poison]) => {
  const json = JSON.stringify(b);
  return poison ? `{${POISON}${json.slice(1)}` : json;
});

const BIG = 'x'.repeat(3 * 1024 * 1024);
const DEEP_ARRAY = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;

/** A multipart body built from parts, or garbage dressed as one. */
const multipartArb = fc.oneof(
  fc
    .tuple(
      fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom('topic', 'pages', 'images', 'autoGenerate', '__proto__'), hostile),
          fc.oneof(
            hostile,
            imageBytes.map((b) => b.toString('latin1')),
          ),
          fc.boolean(),
        ),
        { maxLength: 8 },
      ),
      fc.boolean(),
    )
    .map(([parts, closed]) => {
      const boundary = 'fuzzboundary';
      const body = parts
        .map(([name, value, file]) => {
          const disposition = file
            ? `form-data; name="${name}"; filename="f.png"\r\nContent-Type: image/png`
            : `form-data; name="${name}"`;
          return `--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n${value}\r\n`;
        })
        .join('');
      return {
        contentType: `multipart/form-data; boundary=${boundary}`,
        body: Buffer.from(`${body}${closed ? `--${boundary}--\r\n` : ''}`, 'latin1'),
      };
    }),
  fc
    .tuple(fc.constantFrom('', '; boundary=', '; boundary=x', `; boundary=${'b'.repeat(300)}`), hostile)
    .map(([params, garbage]) => ({
      contentType: `multipart/form-data${params}`,
      body: Buffer.from(garbage),
    })),
);

const bodyArb: fc.Arbitrary<{ contentType?: string; body?: Buffer }> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  {
    weight: 4,
    arbitrary: jsonCreateBody.map((b) => ({ contentType: 'application/json', body: Buffer.from(b) })),
  },
  {
    weight: 2,
    arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(v) ?? 'null'),
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-16',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'image/png',
          '',
          'application/json, text/plain',
        ),
        fc.oneof(
          hostile,
          fc.constantFrom('{"topic":', '{"a":1}{"b":2}', '[', '{"__proto__":{"x":1}}', 'null'),
        ),
      )
      .map(([contentType, body]) => ({ contentType, body: Buffer.from(body) })),
  },
  { weight: 2, arbitrary: multipartArb },
  { weight: 1, arbitrary: headerValue(80).map((contentType) => ({ contentType, body: Buffer.from('x') })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(`"${BIG}"`, DEEP_ARRAY, DEEP_OBJECT)
      .map((body) => ({ contentType: 'application/json', body: Buffer.from(body) })),
  },
);

function requestArb(ids: Ids): fc.Arbitrary<RawRequest & { route: string }> {
  return fc
    .record({
      route: fc.constantFrom(...ROUTES),
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant('') },
        fc.constantFrom('GET', 'POST', 'PUT', 'HEAD'),
      ),
      id: segment(idArb(ids)),
      index: segment(indexArb),
      kind: segment(fc.oneof(fc.constantFrom('text', 'image'), hostile)),
      name: segment(fc.oneof(fc.constantFrom('local', 'text_card', 'fuzzimg', 'fuzztext'), hostile)),
      query: queryArb,
      auth: authArb,
      idempotencyKey: fc.option(fc.oneof(headerValue(20), headerValue(400), fc.constant('')), {
        nil: undefined,
      }),
      ifMatch: fc.option(fc.oneof(headerValue(30), fc.constantFrom('"1"', 'W/"2"', '*', '"-1"')), {
        nil: undefined,
      }),
      lastEventId: fc.option(fc.oneof(eventIdLike, hostile, headerValue(30)).map(cleanHeader), {
        nil: undefined,
      }),
      requestId: fc.option(headerValue(200), { nil: undefined }),
      body: bodyArb,
    })
    .map((r) => {
      const path =
        r.route.path
          .replace('{id}', r.id || 'x')
          .replace('{index}', r.index || '0')
          .replace('{n}', r.index || '0')
          .replace('{kind}', r.kind || 'x')
          .replace('{name}', r.name || 'x') + r.query;
      const headers: Record<string, string> = {};
      if (r.auth !== undefined) headers.authorization = r.auth;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      if (r.ifMatch !== undefined) headers['if-match'] = r.ifMatch;
      if (r.lastEventId !== undefined) headers['last-event-id'] = r.lastEventId;
      if (r.requestId !== undefined) headers['x-request-id'] = r.requestId;
      if (r.body.contentType !== undefined) headers['content-type'] = r.body.contentType;
      const method = r.method || r.route.method;
      // A HEAD answer has no body, so a body sent with one is read as the start of the next request.
      const body = method === 'HEAD' ? undefined : r.body.body;
      return { route: `${r.route.method} ${r.route.path}`, method, path, headers, body };
    });
}

/** Header values must be latin1 without control characters, or node:http refuses to send them. */
function cleanHeader(value: string): string {
  return value.replace(/[^\u0020-\u007e\u00a0-\u00ff]/gu, '?');
}

// ---- The run ----

describe('fuzz: malformed, oversized, wrong-typed and hostile requests on every route', () => {
  let stack: Stack;
  let ids: Ids;
  let secrets: string[];
  let dir: string;
  let watch: RejectionWatch;
  const create = async (key: string) => {
    const res = await stack.request(
      'POST',
      '/v1/posts',
      { topic: 'Fuzz target', pages: [{ type: 'cover', content: 'c' }] },
      { authorization: `Bearer ${key}` },
    );
    return ((await res.json()) as PostView).id;
  };

  beforeAll(async () => {
    watch = watchUnhandledRejections();
    dir = mkdtempSync(path.join(tmpdir(), 'inkpost-fuzz-'));
    const imageFile = path.join(dir, 'image_providers.yaml');
    writeFileSync(
      imageFile,
      [
        'active_provider: text_card',
        'providers:',
        '  fuzzimg:',
        '    type: image_api',
        `    api_key: ${IMAGE_KEY}`,
        '    base_url: http://127.0.0.1:9',
        '    model: m',
      ].join('\n'),
    );
    stack = await startStack({
      workers: false,
      textProvidersYaml: [
        'active_provider: local',
        'providers:',
        '  fuzztext:',
        '    type: openai_compatible',
        `    api_key: ${TEXT_KEY}`,
        '    base_url: http://127.0.0.1:9/v1',
        '    model: m',
      ].join('\n'),
      env: {
        IMAGE_PROVIDERS_FILE: imageFile,
        API_KEYS: `acme:${ACME_KEY},globex:${GLOBEX_KEY}`,
        ADMIN_USER: 'admin',
        ADMIN_PASSWORD,
        RATE_LIMIT_PER_MINUTE: '0',
        BODY_LIMIT_MB: '2',
      },
    });
    ids = { acme: await create(ACME_KEY), globex: await create(GLOBEX_KEY) };
    secrets = [IMAGE_KEY, TEXT_KEY, ACME_KEY, GLOBEX_KEY, ADMIN_PASSWORD, dir, imageFile];
  });
  afterAll(async () => {
    watch?.stop();
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${RUNS} generated requests (seed ${SEED}): 4xx in the error shape or a valid 2xx, never 5xx, nothing leaked`, async () => {
    console.log(`[fuzz] seed ${SEED}, ${RUNS} runs (FUZZ_SEED / FUZZ_RUNS to change)`);
    const statuses = new Map<number, number>();
    const routes = new Set<string>();
    try {
      await fc.assert(
        fc.asyncProperty(requestArb(ids), async (req) => {
          const sse = req.path.includes('/events');
          const sent = { ...req, path: req.path.replaceAll(TARGET, ids.acme) };
          const answer = await rawRequest(stack.url, { ...sent, readMs: sse ? 1_500 : 10_000 });
          // The fuzzer deleted its target: give it a new one, so later requests still reach a real post.
          if (answer.status === 204 && sent.path.includes(ids.acme)) ids.acme = await create(ACME_KEY);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          routes.add(req.route);
          const where = `${req.method} ${sent.path.slice(0, 120)} → ${answer.status}: ${answer.text.slice(0, 200)}`;
          expect(answer.status, where).toBeGreaterThanOrEqual(200);
          expect(answer.status, where).toBeLessThan(500);
          expect(leaksIn(answer, secrets), where).toEqual([]);
          if (req.method === 'HEAD') return;
          const type = String(answer.headers['content-type'] ?? '');
          if (answer.status >= 400) {
            expect(isErrorShape(answer.text), where).toBe(true);
          } else if (type.startsWith('text/event-stream')) {
            // A stream that opens must say something first: the snapshot, or the events the client missed.
            expect(answer.text, where).toMatch(/^(: ping\n\n)*id: \d+-\d+\nevent: [a-z.]+\ndata: /);
          } else if (type.startsWith('application/json')) {
            expect(() => JSON.parse(answer.text), where).not.toThrow();
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } catch (err) {
      console.error(`[fuzz] FAILED with seed ${SEED}: rerun with FUZZ_SEED=${SEED}`);
      throw err;
    }
    console.log(`[fuzz] statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${routes.size} routes`);
    expect(routes.size).toBe(ROUTES.length);
    // Nothing a request carried reached the prototypes of this process (the API runs in it).
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(watch.rejections.map(String)).toEqual([]);
  }, 180_000);

  it('fuzzes every route the OpenAPI document lists (a new route must join the generator)', async () => {
    const doc = (await (await stack.request('GET', '/docs/json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const fuzzed = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(documented.filter((r) => !fuzzed.includes(r))).toEqual([]);
  });

  it('answers HTTP-level garbage (bad request lines, huge headers, bad lengths) with a 4xx in the error shape', async () => {
    const cases = [
      'GARBAGE\r\n\r\n',
      `GET /v1/posts HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'POST /v1/posts HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n',
      'POST /v1/posts HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      'GET /v1/posts HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n',
      'GET /v1/posts\u0000 HTTP/1.1\r\nHost: a\r\n\r\n',
    ];
    for (const bytes of cases) {
      const out = await rawSocket(stack.url, bytes);
      const [head = '', body = ''] = out.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      expect(status, JSON.stringify(bytes.slice(0, 60))).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(isErrorShape(body), `${JSON.stringify(bytes.slice(0, 60))} → ${out.slice(0, 300)}`).toBe(true);
      expect(leaksIn({ text: out }, secrets)).toEqual([]);
    }
  });
});

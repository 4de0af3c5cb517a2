import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerError } from './__tests__/support.js';
import { providerFetch } from './http.js';

const BODY = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
const CHUNK = 64 * 1024;

/** Writes the body in several chunks, letting each go out before the next, as a large answer arrives. */
async function writeChunked(res: ServerResponse, body: Buffer): Promise<void> {
  for (let i = 0; i < body.length; i += CHUNK) {
    res.write(body.subarray(i, i + CHUNK));
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end();
}

const ROUTES: Record<string, (res: ServerResponse) => Promise<void> | void> = {
  '/sized': (res) => {
    res.writeHead(200, { 'content-length': BODY.length });
    return writeChunked(res, BODY);
  },
  '/unsized': (res) => {
    res.writeHead(200); // chunked transfer encoding: no content-length
    return writeChunked(res, BODY);
  },
  // fetch inflates the body; content-length counts the compressed bytes, far fewer than arrive.
  '/gzip': (res) => {
    const gz = gzipSync(BODY);
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': gz.length });
    return writeChunked(res, gz);
  },
  '/empty': (res) => {
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  },
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => void ROUTES[req.url ?? '']?.(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const fetchFrom = (path: string, maxBytes?: number) =>
  providerFetch({
    provider: 'relay',
    url: `${base}${path}`,
    method: 'GET',
    timeoutMs: 5_000,
    secrets: [],
    maxBytes,
  });

describe('providerFetch reads the body', () => {
  it.each(['/sized', '/unsized', '/gzip'])('whole from %s', async (path) => {
    const res = await fetchFrom(path);
    expect(res.body.equals(BODY)).toBe(true);
  });

  it('of an empty answer', async () => {
    expect((await fetchFrom('/empty')).body.length).toBe(0);
  });

  it.each(['/sized', '/unsized', '/gzip'])(
    'from %s only up to maxBytes: provider_bad_response beyond',
    async (path) => {
      const err = await providerError(fetchFrom(path, BODY.length - 1));
      expect(err).toMatchObject({ code: 'provider_bad_response', retryable: false });
      expect((await fetchFrom(path, BODY.length)).body.equals(BODY)).toBe(true);
    },
  );
});

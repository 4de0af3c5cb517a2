import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An s3rver of a test's own behind a small HTTP proxy the test controls: the proxy can refuse writes with
 * `503 SlowDown` (what S3 answers when it sheds load) while reads keep working, as a struggling S3 does.
 */
export interface FaultyS3 {
  /** The proxy: what the services under test use as S3_ENDPOINT. */
  endpoint: string;
  /** The s3rver itself, past the proxy. */
  directEndpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Answer 503 to every write (PUT, POST, DELETE) for `ms`, or until `heal()` when no duration is given. */
  refuseWrites(ms?: number): void;
  heal(): void;
  /** Whether writes are being refused right now. */
  readonly refusing: boolean;
  /** Writes refused so far, and writes passed through. */
  readonly stats: { refused: number; writes: number; reads: number };
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections?: () => void };
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const SLOW_DOWN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
  '<Message>Please reduce your request rate.</Message><RequestId>faulty-s3</RequestId></Error>';

/** Starts s3rver on a random port and a proxy in front of it (both on 127.0.0.1). */
export async function startFaultyS3(): Promise<FaultyS3> {
  const directory = await mkdtemp(join(tmpdir(), 'inkpost-faulty-s3-'));
  // s3rver ships no types; importing through a variable keeps tsc from demanding a declaration file.
  const specifier = 's3rver';
  const { default: S3rver } = (await import(specifier)) as { default: S3rverClass };
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port: upstreamPort } = await s3rver.run();

  let refuseUntil = 0;
  const stats = { refused: 0, writes: 0, reads: 0 };
  const refusing = () => Date.now() < refuseUntil;

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const proxy = createServer((req, res) => {
    const write = req.method === 'PUT' || req.method === 'POST' || req.method === 'DELETE';
    if (write && refusing()) {
      stats.refused += 1;
      // Read the body first: answering before it is consumed makes some clients see a reset, not a 503.
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', 'retry-after': '1' });
        res.end(SLOW_DOWN);
      });
      return;
    }
    if (write) stats.writes += 1;
    else stats.reads += 1;
    forward(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const proxyPort = (proxy.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    directEndpoint: `http://127.0.0.1:${upstreamPort}`,
    // s3rver checks signatures against its fixed S3RVER/S3RVER key pair.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    refuseWrites(ms) {
      refuseUntil = ms === undefined ? Number.POSITIVE_INFINITY : Date.now() + ms;
    },
    heal() {
      refuseUntil = 0;
    },
    get refusing() {
      return refusing();
    },
    stats,
    async close() {
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      proxy.closeAllConnections();
      await closed;
      s3rver.httpServer?.closeAllConnections?.();
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookDelivery {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  receivedAt: number;
  /** The status the receiver answered with. */
  status: number;
}

export interface WebhookReceiverOptions {
  /** Answer 500 to this many requests first (to exercise retries). */
  failFirst?: number;
  /** The status of every later answer; 200 by default. A 3xx also sends a `location`. */
  status?: number;
  /** Wait this long before answering (to exercise timeouts). */
  delayMs?: number;
}

export interface WebhookReceiver {
  url: string;
  deliveries: WebhookDelivery[];
  /** Resolves once at least `n` requests have been received. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A local HTTP endpoint on 127.0.0.1 that records every webhook request it receives. */
export async function startWebhookReceiver(opts: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const deliveries: WebhookDelivery[] = [];
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = deliveries.length < (opts.failFirst ?? 0) ? 500 : (opts.status ?? 200);
      deliveries.push({
        headers: { ...req.headers },
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
        status,
      });
      for (const wake of waiters) wake();
      const answer = () => {
        const location = status >= 300 && status < 400 ? { location: 'http://127.0.0.1:1/elsewhere' } : {};
        res.writeHead(status, { 'content-type': 'text/plain', ...location });
        res.end(status >= 400 ? `receiver answered ${status}` : 'ok');
      };
      if (!opts.delayMs) return answer();
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, opts.delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    waitFor: (n, timeoutMs = 5_000) => waitForCount(() => deliveries.length, n, timeoutMs, waiters),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      // Delayed answers would otherwise keep close() waiting for their sockets.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function waitForCount(
  count: () => number,
  n: number,
  timeoutMs: number,
  waiters: Set<() => void>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (count() < n) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`webhook receiver got ${count()} of ${n} requests within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    waiters.add(check);
    check();
  });
}

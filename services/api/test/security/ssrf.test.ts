import dns, { type LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PostView } from '@inkpost/shared';
import {
  encodePng,
  type FakeProvider,
  startFakeProvider,
  startWebhookReceiver,
  testEnv,
  type WebhookReceiver,
} from '@inkpost/testkit';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../harness.js';

const PUBLIC_IP = '93.184.216.34';

// ---- An injected resolver: names that look public but resolve wherever the test says ----

type Answer = string[] | ((call: number) => string[]);
const promiseAnswers = new Map<string, Answer>();
const connectAnswers = new Map<string, string>();
const calls = new Map<string, number>();
const realPromiseLookup = dns.promises.lookup;
const realLookup = dns.lookup;

function answerFor(host: string): string[] | null {
  const answer = promiseAnswers.get(host);
  if (!answer) return null;
  const n = (calls.get(host) ?? 0) + 1;
  calls.set(host, n);
  return typeof answer === 'function' ? answer(n) : answer;
}

function installResolver(): void {
  // The check (assertPublicUrl) resolves through dns.promises.lookup.
  dns.promises.lookup = (async (host: string, options?: unknown) => {
    const found = answerFor(host);
    if (!found) return realPromiseLookup(host, options as dns.LookupAllOptions);
    return found.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  }) as typeof dns.promises.lookup;
  // fetch's connection resolves through the callback dns.lookup, separately from the check.
  dns.lookup = ((host: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const opts = (typeof options === 'object' && options ? options : {}) as { all?: boolean };
    const address = connectAnswers.get(host);
    if (!address) return (realLookup as (...args: unknown[]) => void)(host, options, callback);
    const family = address.includes(':') ? 6 : 4;
    process.nextTick(() => (opts.all ? cb(null, [{ address, family }]) : cb(null, address, family)));
  }) as typeof dns.lookup;
}

function restoreResolver(): void {
  dns.promises.lookup = realPromiseLookup;
  dns.lookup = realLookup;
}

// ---- Helpers ----

/** The webhook delivery jobs of a post once they have finished (failed or delivered). */
async function finishedDeliveries(queue: Queue, postId: string, timeoutMs = 15_000): Promise<Job[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = [...(await queue.getFailed()), ...(await queue.getCompleted())].filter(
      (j) => (j.data as { postId?: string }).postId === postId,
    );
    if (jobs.length > 0) return jobs;
    if (Date.now() > deadline) throw new Error(`no finished webhook delivery for ${postId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const onePage = [{ type: 'cover', content: 'Only page' }];

describe('webhook URLs: private, loopback and link-local addresses are refused', () => {
  let receiver: WebhookReceiver;
  let stack: Stack;
  let queue: Queue;
  let redis: Redis;
  let port: string;

  beforeAll(async () => {
    installResolver();
    receiver = await startWebhookReceiver();
    port = new URL(receiver.url).port;
    stack = await startStack({
      env: {
        WEBHOOK_SECRET: 'whsec-ssrf-test',
        WEBHOOK_BACKOFF_MS: '100',
        WEBHOOK_TIMEOUT_MS: '2000',
        // A tenant default is configuration, not request input: the API does not check it, the worker must.
        WEBHOOK_URLS: `local=http://127.0.0.1:${port}/tenant-default`,
      },
    });
    redis = new Redis(testEnv().redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue('webhook', { connection: redis, prefix: `{${stack.prefix}}` });
  });
  afterEach(() => {
    promiseAnswers.clear();
    connectAnswers.clear();
    calls.clear();
  });
  afterAll(async () => {
    restoreResolver();
    await queue?.close();
    redis?.disconnect();
    await stack?.close();
    await receiver?.close();
  });

  it('the API refuses literal, encoded and resolved private addresses at creation, and never calls them', async () => {
    promiseAnswers.set('internal.example-corp.test', ['127.0.0.1']);
    promiseAnswers.set('metadata.example-corp.test', ['169.254.169.254']);
    promiseAnswers.set('mixed.example-corp.test', [PUBLIC_IP, '10.0.0.5']);
    promiseAnswers.set('v6.example-corp.test', ['::1']);
    promiseAnswers.set('mapped.example-corp.test', ['::ffff:127.0.0.1']);
    const urls = [
      `http://127.0.0.1:${port}/hook`,
      `http://localhost:${port}/hook`,
      `http://LOCALHOST:${port}/hook`,
      `http://2130706433:${port}/hook`,
      `http://0x7f000001:${port}/hook`,
      `http://0x7f.0.0.1:${port}/hook`,
      `http://0177.0.0.1:${port}/hook`,
      `http://127.1:${port}/hook`,
      `http://0:${port}/hook`,
      `http://0.0.0.0:${port}/hook`,
      `http://[::1]:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://[0:0:0:0:0:ffff:7f00:1]:${port}/hook`,
      `http://[64:ff9b::7f00:1]:${port}/hook`,
      `http://user:pass@127.0.0.1:${port}/hook`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/hook',
      'http://[fd00::1]/hook',
      'http://10.0.0.1/hook',
      'http://172.16.0.1/hook',
      'http://192.168.1.1/hook',
      'http://100.64.0.1/hook',
      `http://internal.example-corp.test:${port}/hook`,
      'http://metadata.example-corp.test/latest/meta-data/',
      `http://mixed.example-corp.test:${port}/hook`,
      `http://v6.example-corp.test:${port}/hook`,
      `http://mapped.example-corp.test:${port}/hook`,
      'file:///etc/passwd',
      `gopher://127.0.0.1:${port}/_hook`,
      'ftp://example.com/hook',
    ];
    for (const webhookUrl of urls) {
      const res = await stack.request('POST', '/v1/posts', { topic: 'Hook', pages: onePage, webhookUrl });
      const body = (await res.json()) as { error?: { code: string; message: string } };
      expect([webhookUrl, res.status]).toEqual([webhookUrl, 400]);
      expect(['invalid_webhook_url', 'invalid_request'], webhookUrl).toContain(body.error?.code);
    }
    // The control: a name resolving to a public address is accepted.
    promiseAnswers.set('hooks.example-corp.test', [PUBLIC_IP]);
    const ok = await stack.request('POST', '/v1/posts', {
      topic: 'Hook',
      pages: onePage,
      webhookUrl: 'https://hooks.example-corp.test/hook',
    });
    expect(ok.status).toBe(202);
    expect(receiver.deliveries).toEqual([]);
  });

  it('the worker refuses a private tenant default at delivery time, for good', async () => {
    const post = await stack.createPost({ topic: 'Default hook', pages: onePage, autoGenerate: true });
    expect((await stack.follow(post.id)).at(-1)?.event).toBe('post.completed');
    const [job] = await finishedDeliveries(queue, post.id);
    expect(await job!.getState()).toBe('failed');
    expect(job!.failedReason).toMatch(/resolves to 127\.0\.0\.1, a loopback/);
    // Refused once, not retried: a refused address stays refused.
    expect(job!.attemptsMade).toBe(1);
    expect(receiver.deliveries).toEqual([]);
  });

  it('the worker re-checks at delivery: a name that was public at creation and points home now is refused', async () => {
    // DNS rebinding: public while the API checks, loopback by the time the worker delivers.
    promiseAnswers.set('rebind.example-corp.test', (n) => (n === 1 ? [PUBLIC_IP] : ['127.0.0.1']));
    connectAnswers.set('rebind.example-corp.test', '127.0.0.1');
    const post = await stack.createPost({
      topic: 'Rebinding hook',
      pages: onePage,
      autoGenerate: true,
      webhookUrl: `http://rebind.example-corp.test:${port}/hook`,
    });
    expect((await stack.follow(post.id)).at(-1)?.event).toBe('post.completed');
    const [job] = await finishedDeliveries(queue, post.id);
    expect(await job!.getState()).toBe('failed');
    expect(job!.failedReason).toMatch(/resolves to 127\.0\.0\.1/);
    expect(receiver.deliveries).toEqual([]);
  });

  // A name that answers a public address to the check and a private one to the connection (DNS rebinding with TTL
  // 0) must not be delivered: the connection's own lookup is checked (services/outline-worker pinned-fetch.ts).
  it('the worker never connects to a private address the check did not see (rebinding between check and connect)', async () => {
    promiseAnswers.set('toctou.example-corp.test', [PUBLIC_IP]);
    connectAnswers.set('toctou.example-corp.test', '127.0.0.1');
    const post = await stack.createPost({
      topic: 'TOCTOU hook',
      pages: onePage,
      autoGenerate: true,
      webhookUrl: `http://toctou.example-corp.test:${port}/hook`,
    });
    expect((await stack.follow(post.id)).at(-1)?.event).toBe('post.completed');
    const [job] = await finishedDeliveries(queue, post.id);
    expect(receiver.deliveries.filter((d) => d.body.includes(post.id))).toEqual([]);
    expect(await job!.getState()).toBe('failed');
  });
});

describe('image URLs a provider answers with', () => {
  let fake: FakeProvider;
  let internal: Server;
  let hits: string[];
  let stack: Stack;

  beforeAll(async () => {
    hits = [];
    const png = encodePng(8, 8, () => [255, 0, 0, 255]);
    // Stands for an internal service (a metadata endpoint, an admin panel) the worker's network can reach.
    internal = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(png);
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', () => resolve()));
    fake = await startFakeProvider();
    stack = await startStack({
      imageProvidersYaml: [
        'active_provider: relay',
        'providers:',
        '  relay:',
        '    type: image_api',
        '    api_key: sk-relay-0000',
        `    base_url: ${fake.url}`,
        '    model: m',
        '    endpoint_type: /v1/images/generations',
        '    max_attempts: 1',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
    await new Promise<void>((resolve) => internal?.close(() => resolve()));
  });

  // A compromised or malicious relay must not make the worker fetch from its own network (loopback, private
  // ranges, 169.254.169.254) and store the answer as a page image the tenant can download: downloads go to public
  // addresses or the provider's own configured host only.
  it('the worker does not download an image from a private address the provider points it at', async () => {
    const port = (internal.address() as AddressInfo).port;
    fake.enqueue('/v1/images/generations', {
      kind: 'status',
      status: 200,
      body: { created: 1, data: [{ url: `http://127.0.0.1:${port}/latest/meta-data/iam` }] },
    });
    const created = await stack.createPost({ topic: 'Relay', pages: onePage, autoGenerate: true });
    await stack.follow(created.id);
    const post = (await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView;
    expect(hits).toEqual([]);
    expect(post.pages[0]!.image.status).toBe('failed');
  });
});

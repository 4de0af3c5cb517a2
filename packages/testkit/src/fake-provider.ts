import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ChatAnswer,
  chatCompletion,
  chatUsage,
  DEFAULT_CHAT_TEXT,
  type Endpoint,
  endpointOf,
  fakeImage,
  openAiError,
  parseBody,
  readRaw,
  refuse,
  sendBody,
  sendMalformed,
  streamChat,
} from './fake-provider-wire.js';

export { DEFAULT_CHAT_TEXT, decodeFakeImage, openAiError } from './fake-provider-wire.js';

export type FakeBehavior =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'rate-limit'; retryAfter: string }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'truncated-image' }
  | { kind: 'delay'; ms: number };

export interface RecordedRequest {
  id: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests poke into arbitrary request bodies
  json?: any;
  fields?: Record<string, string[]>;
  files?: Array<{ field: string; filename: string; mimeType: string; data: Buffer }>;
  startedAt: number;
  endedAt?: number;
  /** `image` is the first image answered; `images` all of them when the request asked for `n > 1`. */
  response?: { status: number; image?: Buffer; images?: Buffer[] };
}

export interface FakeProviderOptions {
  latencyMs?: number;
  chatText?: (req: RecordedRequest) => string;
  imageResponseFormat?: 'b64_json' | 'url';
}

export interface FakeProvider {
  url: string;
  requests: RecordedRequest[];
  inflight: number;
  maxInflight: number;
  imageInflight: number;
  maxImageInflight: number;
  enqueue(path: string, ...behaviors: FakeBehavior[]): void;
  setLatency(ms: number): void;
  hold(): void;
  release(): void;
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

interface Waiter {
  n: number;
  resolve: () => void;
}

class FakeProviderServer implements FakeProvider {
  url = '';
  readonly requests: RecordedRequest[] = [];
  inflight = 0;
  maxInflight = 0;
  imageInflight = 0;
  maxImageInflight = 0;
  private readonly server: Server;
  private readonly queues = new Map<string, FakeBehavior[]>();
  private readonly files = new Map<string, Buffer>();
  private waiters: Waiter[] = [];
  private latencyMs: number;
  private gate: { promise: Promise<void>; open: () => void } | null = null;
  private nextId = 0;
  private nextFile = 0;
  // Requests still running across a reset() must not decrement the fresh counters when they finish.
  private generation = 0;

  constructor(private readonly options: FakeProviderOptions) {
    this.latencyMs = options.latencyMs ?? 0;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        sendBody(res, 500, openAiError(500, `fake provider bug: ${String(err)}`));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  enqueue(path: string, ...behaviors: FakeBehavior[]): void {
    const key = endpointOf(path) ?? path;
    this.queues.set(key, [...(this.queues.get(key) ?? []), ...behaviors]);
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  hold(): void {
    if (this.gate) return;
    let open = () => {};
    this.gate = { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
  }

  release(): void {
    this.gate?.open();
    this.gate = null;
  }

  waitForRequests(n: number, timeoutMs = 5_000): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.requests.map((r) => `${r.method} ${r.path}`).join(', ') || 'none';
        reject(new Error(`fake provider: expected ${n} requests within ${timeoutMs}ms, got ${seen}`));
      }, timeoutMs);
      const waiter: Waiter = {
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  reset(): void {
    this.requests.length = 0;
    this.queues.clear();
    this.inflight = 0;
    this.maxInflight = 0;
    this.imageInflight = 0;
    this.maxImageInflight = 0;
    this.generation++;
  }

  async close(): Promise<void> {
    this.release();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hanging and keep-alive sockets would otherwise keep close() pending forever.
    this.server.closeAllConnections();
    await closed;
  }

  private track(endpoint: Endpoint | null, rec: RecordedRequest, res: ServerResponse): void {
    const isImage = endpoint === 'generations' || endpoint === 'edits';
    const generation = this.generation;
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    if (isImage) {
      this.imageInflight++;
      this.maxImageInflight = Math.max(this.maxImageInflight, this.imageInflight);
    }
    // 'close' on the response fires both after a normal end and when the client aborts; the request's own 'close'
    // fires as soon as its body is read, so it would miss a hung request's abort.
    res.once('close', () => {
      rec.endedAt = Date.now();
      if (generation !== this.generation) return;
      this.inflight--;
      if (isImage) this.imageInflight--;
    });
  }

  private record(rec: RecordedRequest): void {
    this.requests.push(rec);
    const ready = this.waiters.filter((w) => this.requests.length >= w.n);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path.startsWith('/files/')) return this.serveFile(path, res);
    const endpoint = endpointOf(path);
    const rec: RecordedRequest = {
      id: ++this.nextId,
      method: req.method ?? 'GET',
      path,
      headers: { ...req.headers },
      startedAt: Date.now(),
    };
    res.setHeader('x-request-id', `req_fake_${rec.id}`);
    this.track(endpoint, rec, res);
    const raw = await readRaw(req);
    if (!raw) return;
    const { invalid, ...body } = await parseBody(req.headers['content-type'] ?? '', raw);
    Object.assign(rec, body);
    this.record(rec);
    const refusal = refuse(req.headers.authorization, endpoint, rec, invalid);
    if (refusal) return this.reply(res, rec, refusal.status, refusal.body);
    if (!endpoint) return; // refuse() already answered every request to an unknown path
    await this.perform(this.queues.get(endpoint)?.shift() ?? { kind: 'ok' }, endpoint, rec, res);
  }

  private reply(
    res: ServerResponse,
    rec: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    rec.response = { status };
    sendBody(res, status, body, headers);
  }

  private async perform(
    behavior: FakeBehavior,
    endpoint: Endpoint,
    rec: RecordedRequest,
    res: ServerResponse,
  ) {
    switch (behavior.kind) {
      case 'hang':
        return; // track() settles the counters once the client gives up
      case 'status':
        return this.reply(
          res,
          rec,
          behavior.status,
          behavior.body ?? openAiError(behavior.status),
          behavior.headers,
        );
      case 'rate-limit':
        return this.reply(res, rec, 429, openAiError(429), { 'retry-after': behavior.retryAfter });
      case 'malformed':
        rec.response = { status: 200 };
        return sendMalformed(res, endpoint, rec.json?.stream === true);
      case 'delay':
        await sleep(behavior.ms);
        return this.answer(endpoint, rec, res, false);
      case 'truncated-image':
      case 'ok':
        if (this.latencyMs > 0) await sleep(this.latencyMs);
        return this.answer(endpoint, rec, res, behavior.kind === 'truncated-image');
    }
  }

  private async answer(endpoint: Endpoint, rec: RecordedRequest, res: ServerResponse, truncate: boolean) {
    while (this.gate) await this.gate.promise;
    if (res.destroyed) return;
    if (endpoint === 'chat') return this.answerChat(rec, res);
    return this.answerImages(rec, res, truncate);
  }

  private async answerChat(rec: RecordedRequest, res: ServerResponse): Promise<void> {
    const content = this.options.chatText?.(rec) ?? DEFAULT_CHAT_TEXT;
    const answer: ChatAnswer = {
      id: `chatcmpl-fake${rec.id}`,
      model: String(rec.json.model),
      content,
      usage: chatUsage(rec.json.messages, content),
    };
    if (rec.json.stream !== true) return this.reply(res, rec, 200, chatCompletion(answer));
    rec.response = { status: 200 };
    await streamChat(res, answer, rec.json.stream_options?.include_usage === true);
  }

  private answerImages(rec: RecordedRequest, res: ServerResponse, truncate: boolean): void {
    const n = Math.min(10, Math.max(1, Number(rec.json?.n ?? rec.fields?.n?.[0] ?? 1) || 1));
    const images = Array.from({ length: n }, (_, i) => {
      const png = fakeImage(rec.id, i);
      return truncate ? png.subarray(0, Math.floor(png.length / 2)) : png;
    });
    const requested = rec.json?.response_format ?? rec.fields?.response_format?.[0];
    const format = this.options.imageResponseFormat ?? (requested === 'url' ? 'url' : 'b64_json');
    const data = images.map((png) =>
      format === 'url' ? { url: this.storeFile(png) } : { b64_json: png.toString('base64') },
    );
    rec.response = { status: 200, image: images[0]!, ...(n > 1 ? { images } : {}) };
    sendBody(res, 200, { created: Math.floor(Date.now() / 1000), data });
  }

  private storeFile(png: Buffer): string {
    const name = `${++this.nextFile}.png`;
    this.files.set(name, png);
    return `${this.url}/files/${name}`;
  }

  private serveFile(path: string, res: ServerResponse): void {
    const file = this.files.get(path.slice('/files/'.length));
    if (!file) {
      sendBody(res, 404, 'not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(file.length) });
    res.end(file);
  }
}

/** Starts a fake OpenAI-compatible provider on 127.0.0.1 and a random port. */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const provider = new FakeProviderServer(options);
  await provider.listen();
  return provider;
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Answer,
  type AnswerDeps,
  chatAnswerOf,
  chatImageAnswer,
  geminiAnswer,
  imagesAnswer,
  policyAnswer,
  rateLimitAnswer,
} from './fake-provider-answers.js';
import { geminiModel, wantsImage } from './fake-provider-gemini.js';
import { type ChatImageShape, DEFAULT_MODELS, modelList } from './fake-provider-images.js';
import type {
  FakeBehavior,
  FakeProvider,
  FakeProviderOptions,
  RecordedRequest,
} from './fake-provider-types.js';
import {
  chatCompletion,
  DEFAULT_CHAT_TEXT,
  type Endpoint,
  endpointOf,
  errorBody,
  openAiError,
  parseBody,
  readRaw,
  refuse,
  sendBody,
  sendMalformed,
  streamChat,
} from './fake-provider-wire.js';

export { googleError, googleKeyInvalid } from './fake-provider-gemini.js';
export {
  CHAT_IMAGE_SHAPES,
  CHAT_REFUSAL,
  type ChatImageShape,
  DEFAULT_MODELS,
  DEFAULT_TEXT_ONLY,
} from './fake-provider-images.js';
export type {
  FakeBehavior,
  FakeProvider,
  FakeProviderOptions,
  RecordedRequest,
} from './fake-provider-types.js';
export { DEFAULT_CHAT_TEXT, decodeFakeImage, openAiError } from './fake-provider-wire.js';

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

  private track(rec: RecordedRequest, res: ServerResponse): void {
    const generation = this.generation;
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    // 'close' on the response fires both after a normal end and when the client aborts; the request's own 'close'
    // fires as soon as its body is read, so it would miss a hung request's abort.
    res.once('close', () => {
      rec.endedAt = Date.now();
      if (generation === this.generation) this.inflight--;
    });
  }

  // Whether a request draws is known only once its body is read (Gemini and chat serve text and images alike).
  private trackImage(res: ServerResponse): void {
    if (res.closed) return;
    const generation = this.generation;
    this.imageInflight++;
    this.maxImageInflight = Math.max(this.maxImageInflight, this.imageInflight);
    res.once('close', () => {
      if (generation === this.generation) this.imageInflight--;
    });
  }

  private record(rec: RecordedRequest): void {
    this.requests.push(rec);
    const ready = this.waiters.filter((w) => this.requests.length >= w.n);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path = '/', search = ''] = (req.url ?? '/').split('?');
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
    this.track(rec, res);
    const raw = await readRaw(req);
    if (!raw) return;
    const { invalid, ...body } = await parseBody(req.headers['content-type'] ?? '', raw);
    Object.assign(rec, body);
    this.record(rec);
    const refusal = refuse(req.headers, new URLSearchParams(search), endpoint, rec, invalid);
    if (refusal) return this.reply(res, rec, refusal.status, refusal.body);
    if (!endpoint) return; // refuse() already answered every request to an unknown path
    const behavior = this.queues.get(endpoint)?.shift() ?? { kind: 'ok' };
    if (this.drawing(endpoint, rec, behavior)) this.trackImage(res);
    await this.perform(behavior, endpoint, rec, res);
  }

  private drawing(endpoint: Endpoint, rec: RecordedRequest, behavior: FakeBehavior): boolean {
    if (endpoint === 'generations' || endpoint === 'edits') return true;
    if (endpoint === 'gemini-generate') return wantsImage(rec);
    return endpoint === 'chat' && this.chatShape(rec, behavior) !== null;
  }

  private chatShape(rec: RecordedRequest, behavior: FakeBehavior): ChatImageShape | null {
    if (behavior.kind === 'image-shape') return behavior.shape;
    const option = this.options.chatImageShape;
    return (typeof option === 'function' ? option(rec) : option) ?? null;
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

  private send(res: ServerResponse, rec: RecordedRequest, answer: Answer): void {
    const { status, body, headers, image, images } = answer;
    rec.response = { status, ...(image ? { image } : {}), ...(images ? { images } : {}) };
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
      case 'status': {
        const body = behavior.body ?? errorBody(endpoint, behavior.status);
        return this.reply(res, rec, behavior.status, body, behavior.headers);
      }
      case 'rate-limit':
        return this.send(res, rec, rateLimitAnswer(endpoint, behavior.retryAfter));
      case 'malformed':
        rec.response = { status: 200 };
        return sendMalformed(res, endpoint, rec.json?.stream === true);
      case 'policy':
        return this.send(res, rec, policyAnswer(endpoint, rec, behavior));
      case 'delay':
        await sleep(behavior.ms);
        return this.answer(endpoint, rec, res, behavior);
      case 'truncated-image':
      case 'image-shape':
      case 'ok':
        if (this.latencyMs > 0) await sleep(this.latencyMs);
        return this.answer(endpoint, rec, res, behavior);
    }
  }

  private async answer(
    endpoint: Endpoint,
    rec: RecordedRequest,
    res: ServerResponse,
    behavior: FakeBehavior,
  ) {
    while (this.gate) await this.gate.promise;
    if (res.destroyed) return;
    const truncate = behavior.kind === 'truncated-image';
    const shaped = behavior.kind === 'image-shape' ? behavior : null;
    const deps: AnswerDeps = { options: this.options, storeFile: (png) => this.storeFile(png) };
    switch (endpoint) {
      case 'chat': {
        const shape = this.chatShape(rec, behavior);
        if (!shape) return this.answerChat(rec, res);
        return this.send(res, rec, chatImageAnswer(rec, shape, truncate, shaped?.text, deps));
      }
      case 'models':
        return this.reply(res, rec, 200, modelList(this.options.models ?? DEFAULT_MODELS));
      case 'gemini-model':
        return this.reply(res, rec, 200, geminiModel(rec.path));
      case 'gemini-generate':
        return this.send(res, rec, geminiAnswer(rec, truncate, shaped, deps));
      default:
        return this.send(res, rec, imagesAnswer(rec, truncate, deps));
    }
  }

  private async answerChat(rec: RecordedRequest, res: ServerResponse): Promise<void> {
    const answer = chatAnswerOf(rec, this.options.chatText?.(rec) ?? DEFAULT_CHAT_TEXT);
    if (rec.json.stream !== true) return this.reply(res, rec, 200, chatCompletion(answer));
    rec.response = { status: 200 };
    await streamChat(res, answer, rec.json.stream_options?.include_usage === true);
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

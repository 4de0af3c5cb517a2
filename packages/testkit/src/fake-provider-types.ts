import type { ChatImageShape } from './fake-provider-images.js';

export type FakeBehavior =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'rate-limit'; retryAfter: string }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'truncated-image' }
  | { kind: 'delay'; ms: number }
  /** A chat completion answered with an image in this shape (Gemini image requests: `text-only` only). */
  | { kind: 'image-shape'; shape: ChatImageShape; text?: string }
  /**
   * A content-policy refusal in the endpoint's own way: a chat `refusal`, a 400 content_policy_violation from the
   * images API, Gemini's `promptFeedback.blockReason` (text; `where: 'prompt'`) or `finishReason` (images).
   */
  | { kind: 'policy'; reason?: string; where?: 'prompt' | 'candidate' };

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
  /** The text of chat completions and of Gemini text answers (whose request has `json.contents`). */
  chatText?: (req: RecordedRequest) => string;
  imageResponseFormat?: 'b64_json' | 'url';
  /** Chat completions answer an image in this shape: always, or when the function returns one. */
  chatImageShape?: ChatImageShape | ((req: RecordedRequest) => ChatImageShape | null);
  /** The model ids `GET /v1/models` lists (DEFAULT_MODELS otherwise). */
  models?: readonly string[];
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

import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTick } from 'node:timers/promises';
import { googleError, validateGemini } from './fake-provider-gemini.js';
import type { RecordedRequest } from './fake-provider-types.js';
import { decodePng, encodePng } from './png.js';

/** The OpenAI error envelope; `type`/`code` follow what api.openai.com sends for each status. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const ERRORS: Record<number, [message: string, type: string, code: string | null]> = {
  400: ['Invalid request.', 'invalid_request_error', null],
  401: ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'],
  403: [
    'Country, region, or territory not supported',
    'request_forbidden',
    'unsupported_country_region_territory',
  ],
  404: [
    'The model does not exist or you do not have access to it.',
    'invalid_request_error',
    'model_not_found',
  ],
  429: ['Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded'],
  500: ['The server had an error while processing your request. Sorry about that!', 'server_error', null],
  503: ['The engine is currently overloaded, please try again later.', 'server_error', null],
};

export function openAiError(status: number, message?: string, param: string | null = null): OpenAiErrorBody {
  const [defaultMessage, type, code] =
    ERRORS[status] ??
    (status >= 500 ? ERRORS[500]! : [`Request failed with status ${status}.`, 'invalid_request_error', null]);
  return { error: { message: message ?? defaultMessage, type, param, code } };
}

export const DEFAULT_CHAT_TEXT = [
  '[封面]\n标题：一周早餐不重样｜5 分钟快手营养搭配\n副标题：上班族也能好好吃早餐',
  '[内容]\n第一天：燕麦酸奶杯\n- 燕麦 40g + 无糖酸奶 150g\n- 加一把蓝莓和坚果，前一晚做好冷藏',
  '[内容]\n第二天：全麦鸡蛋三明治\n- 全麦吐司两片、煎蛋一个、生菜番茄\n- 平底锅 3 分钟搞定',
  '[总结]\n早餐吃好，一天都有精神！\n收藏这份清单，明天就试试吧～\n#早餐 #快手菜 #健康饮食',
].join('\n<page>\n');

export type Endpoint = 'chat' | 'generations' | 'edits' | 'models' | 'gemini-generate' | 'gemini-model';

const SUFFIXES: Array<[string, Endpoint]> = [
  ['/chat/completions', 'chat'],
  ['/images/generations', 'generations'],
  ['/images/edits', 'edits'],
  ['/models', 'models'],
];

// Providers mount the OpenAI API under different prefixes (/v1, /api/v3, none), so endpoints match by suffix;
// Gemini's are `…/models/<model>:generateContent` and `…/models/<model>`.
export function endpointOf(path: string): Endpoint | null {
  if (/\/models\/[^/]+:generateContent$/.test(path)) return 'gemini-generate';
  const suffix = SUFFIXES.find(([s]) => path.endsWith(s))?.[1];
  if (suffix) return suffix;
  return /\/models\/[^/:]+$/.test(path) ? 'gemini-model' : null;
}

export const isGemini = (endpoint: Endpoint | null): boolean =>
  endpoint === 'gemini-generate' || endpoint === 'gemini-model';

const METHODS: Record<Endpoint, string> = {
  chat: 'POST',
  generations: 'POST',
  edits: 'POST',
  models: 'GET',
  'gemini-generate': 'POST',
  'gemini-model': 'GET',
};

/** The error body of an endpoint's own API: Google's envelope on Gemini endpoints, OpenAI's elsewhere. */
export function errorBody(endpoint: Endpoint | null, status: number, message?: string): object {
  return isGemini(endpoint) ? googleError(status, message) : openAiError(status, message);
}

/** Checks the fields the real API rejects a request without, so a broken client fails here as it would there. */
function validate(
  endpoint: Endpoint,
  rec: Pick<RecordedRequest, 'json' | 'fields' | 'files'>,
): string | null {
  if (endpoint === 'chat') {
    if (typeof rec.json?.model !== 'string') return 'you must provide a model parameter';
    if (!Array.isArray(rec.json.messages) || rec.json.messages.length === 0) {
      return "Missing required parameter: 'messages'.";
    }
    return null;
  }
  if (endpoint === 'gemini-generate') return validateGemini(rec);
  if (endpoint === 'models' || endpoint === 'gemini-model') return null;
  const prompt = endpoint === 'generations' ? rec.json?.prompt : rec.fields?.prompt?.[0];
  if (typeof prompt !== 'string' || prompt === '') return "Missing required parameter: 'prompt'.";
  if (endpoint === 'edits' && !rec.files?.some((f) => f.field === 'image' || f.field === 'image[]')) {
    return "Missing required parameter: 'image'.";
  }
  return null;
}

/**
 * The error the real API answers before doing any work: missing key (401, or Google's 403), unknown URL or method
 * (404), unparseable body or missing required field (400); null when the request may proceed.
 */
export function refuse(
  headers: IncomingMessage['headers'],
  query: URLSearchParams,
  endpoint: Endpoint | null,
  rec: RecordedRequest,
  invalidBody: string | undefined,
): { status: number; body: object } | null {
  if (isGemini(endpoint)) {
    // Gemini takes the key in x-goog-api-key (or ?key=), never as a bearer token.
    if (!headers['x-goog-api-key'] && !query.get('key')) return { status: 403, body: googleError(403) };
  } else if (!headers.authorization || !/^Bearer\s+\S+/i.test(headers.authorization)) {
    const message =
      "You didn't provide an API key. You need to provide your API key in an Authorization header.";
    return { status: 401, body: openAiError(401, message) };
  }
  if (!endpoint || rec.method !== METHODS[endpoint]) {
    if (isGemini(endpoint)) return { status: 404, body: googleError(404) };
    const error = { message: `Invalid URL (${rec.method} ${rec.path})`, type: 'invalid_request_error' };
    return { status: 404, body: { error: { ...error, param: null, code: null } } };
  }
  const problem = invalidBody ?? validate(endpoint, rec);
  return problem ? { status: 400, body: errorBody(endpoint, 400, problem) } : null;
}

const MALFORMED: Record<Endpoint, string> = {
  chat: '{"id":"chatcmpl-broken","choices":[{"message":{"content":"半',
  generations: '{"data":[{"b64',
  edits: '{"data":[{"b64',
  models: '{"object":"list","data":[{"id":"gpt',
  'gemini-generate': '{"candidates":[{"content":{"parts":[{"text":"半',
  'gemini-model': '{"name":"models/',
};

/** A 200 whose body is cut mid-JSON, in the format (SSE or JSON) the client expects. */
export function sendMalformed(res: ServerResponse, endpoint: Endpoint, stream: boolean): void {
  if (endpoint === 'chat' && stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    res.end('data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"半\n\ndata: [DONE]\n\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(MALFORMED[endpoint]);
}

export interface ParsedBody {
  json?: unknown;
  fields?: Record<string, string[]>;
  files?: Array<{ field: string; filename: string; mimeType: string; data: Buffer }>;
  /** Set when the body claimed a format it did not have; answered with a 400 like the real API. */
  invalid?: string;
}

export async function readRaw(req: IncomingMessage): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  try {
    for await (const part of req) parts.push(part as Buffer);
  } catch {
    return null; // the client went away mid-body
  }
  return Buffer.concat(parts);
}

export async function parseBody(contentType: string, raw: Buffer): Promise<ParsedBody> {
  if (raw.length === 0) return {};
  if (/^application\/json\b/i.test(contentType)) {
    try {
      return { json: JSON.parse(raw.toString('utf8')) };
    } catch {
      return { invalid: 'We could not parse the JSON body of your request.' };
    }
  }
  if (!/^multipart\/form-data\b/i.test(contentType)) return {};
  try {
    // undici's multipart parser is what fetch itself uses, so this accepts exactly what a real server would.
    const form = await new Request('http://fake.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: raw,
    }).formData();
    const fields: Record<string, string[]> = {};
    const files: NonNullable<ParsedBody['files']> = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') fields[field] = [...(fields[field] ?? []), value];
      else {
        const data = Buffer.from(await value.arrayBuffer());
        files.push({ field, filename: value.name, mimeType: value.type, data });
      }
    }
    return { fields, files };
  } catch {
    return { invalid: 'Could not parse multipart form.' };
  }
}

export function sendBody(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const contentType = typeof body === 'string' || Buffer.isBuffer(body) ? 'text/plain' : 'application/json';
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(raw);
}

// Pixel (R, G, B) = (id high byte, id low byte, index << 6 | check), so a reference image sent back later can be
// traced to the request that produced it, and a random photo almost never decodes as one.
function checkBits(r: number, g: number): number {
  return (r * 7 + g * 3 + 0x15) & 0x3f;
}

/** A distinct, valid 30×40 PNG whose pixels encode the request id and the image's index in the answer. */
export function fakeImage(requestId: number, index: number): Buffer {
  const r = (requestId >> 8) & 0xff;
  const g = requestId & 0xff;
  const b = ((index & 0x3) << 6) | checkBits(r, g);
  return encodePng(30, 40, () => [r, g, b, 255]);
}

/** The request id (and index) an image from the fake provider encodes, or null when it is not one of them. */
export function decodeFakeImage(png: Buffer): { requestId: number; index: number } | null {
  const decoded = decodePng(png);
  if (!decoded) return null;
  const at = (Math.floor(decoded.height / 2) * decoded.width + Math.floor(decoded.width / 2)) * 4;
  const [r, g, b] = decoded.rgba.subarray(at, at + 3);
  if (r === undefined || g === undefined || b === undefined || (b & 0x3f) !== checkBits(r, g)) return null;
  return { requestId: (r << 8) | g, index: b >> 6 };
}

export interface ChatAnswer {
  id: string;
  model: string;
  content: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export function chatUsage(messages: unknown, content: string): ChatAnswer['usage'] {
  const prompt_tokens = Math.ceil(JSON.stringify(messages ?? []).length / 4);
  const completion_tokens = Math.ceil(content.length / 4);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

export function chatCompletion(answer: ChatAnswer): object {
  return {
    id: answer.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: answer.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: answer.usage,
    system_fingerprint: null,
  };
}

function splitText(text: string, parts: number): string[] {
  const chars = Array.from(text); // never split a surrogate pair across chunks
  const size = Math.max(1, Math.ceil(chars.length / parts));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

/** Streams like api.openai.com: a role chunk, content chunks, a finish chunk, the usage chunk, then [DONE]. */
export async function streamChat(
  res: ServerResponse,
  answer: ChatAnswer,
  includeUsage: boolean,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const created = Math.floor(Date.now() / 1000);
  const base = { id: answer.id, object: 'chat.completion.chunk', created, model: answer.model };
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (delta: object, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...usageField,
  });
  const events: object[] = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  for (const piece of splitText(answer.content, 5)) events.push(chunk({ content: piece }, null));
  events.push(chunk({}, 'stop'));
  if (includeUsage) events.push({ ...base, choices: [], usage: answer.usage });
  for (const event of events) {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(event)}\n\n`);
    await nextTick(); // separate writes, so clients really see a multi-chunk stream
  }
  res.end('data: [DONE]\n\n');
}

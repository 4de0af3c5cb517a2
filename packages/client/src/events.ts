import { type EventName, TERMINAL_EVENTS } from '@inkpost/shared/contract';
import { errorFromResponse, InkpostError, networkError } from './errors.js';
import type { Http } from './http.js';
import { isSettled } from './reduce.js';
import { type SseMessage, SseParser } from './sse.js';
import type { CallOptions, InkpostEvent, Post } from './types.js';
import { backoffMs, compareEventIds, linkSignals, sleep } from './util.js';

export interface EventsOptions {
  /**
   * Resume after this event id (a previous iteration's last `event.id`); `'0-0'` replays the whole history.
   */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Connection attempts in a row that bring no event before giving up (default 8). */
  maxReconnects?: number;
  /**
   * A connection silent this long (the server pings every 15 s) is taken as dead and reopened (default 45 s).
   */
  idleTimeoutMs?: number;
}

export interface EventsDeps {
  http: Http;
  getPost(postId: string, opts: CallOptions): Promise<Post>;
}

interface StreamState {
  last: string | null;
  failures: number;
  retryMs: number | null;
  lastError: unknown;
}

/**
 * How one connection ended: the stream is over, or open another (after checking, when it brought nothing).
 */
type Outcome = 'done' | 'reconnect' | 'verify';

const isTerminal = (event: InkpostEvent) => TERMINAL_EVENTS.includes(event.name as EventName);

/**
 * A post's events over as many connections as it takes. Each reconnect sends the last id seen, so the server
 * replays exactly what was missed; ids are also compared here, so nothing is yielded twice even if a server
 * repeats itself. Ends after a terminal event, or when the server ends the stream of a post with nothing left
 * to happen (it does so right after the snapshot of an ended post).
 */
export async function* postEvents(
  deps: EventsDeps,
  postId: string,
  opts: EventsOptions = {},
): AsyncGenerator<InkpostEvent, void, undefined> {
  const state: StreamState = { last: opts.lastEventId ?? null, failures: 0, retryMs: null, lastError: null };
  const maxReconnects = opts.maxReconnects ?? 8;
  for (;;) {
    const outcome = yield* connection(deps, postId, state, opts);
    if (outcome === 'done') return;
    if (outcome === 'verify' && (await settled(deps, postId, state, opts))) return;
    state.failures++;
    if (state.failures > maxReconnects) throw giveUp(deps.http, postId, state);
    await sleep(backoffMs(state.failures, state.retryMs ?? 250, 10_000), opts.signal);
  }
}

/**
 * After a clean end that brought nothing new: that happens when nothing is left to happen, but a server shutting
 * down ends streams cleanly too, and the post tells the two apart. A server that is down now counts as one more
 * failed attempt, not as the end.
 */
async function settled(deps: EventsDeps, postId: string, state: StreamState, opts: EventsOptions) {
  try {
    return isSettled(await deps.getPost(postId, { signal: opts.signal }));
  } catch (err) {
    if (opts.signal?.aborted || !(err instanceof InkpostError) || !isRetryableStatus(err.status)) throw err;
    state.lastError = err;
    return false;
  }
}

function giveUp(http: Http, postId: string, state: StreamState): InkpostError {
  if (state.lastError instanceof InkpostError) return state.lastError;
  const err = networkError(http.config.baseUrl, state.lastError ?? new Error('the stream kept ending'));
  return new InkpostError({
    status: 0,
    code: 'network_error',
    message: `${err.message} (event stream of ${postId}, ${state.failures} attempts)`,
    cause: err.cause,
  });
}

async function* connection(
  deps: EventsDeps,
  postId: string,
  state: StreamState,
  opts: EventsOptions,
): AsyncGenerator<InkpostEvent, Outcome, undefined> {
  const link = linkSignals(opts.signal);
  let last: InkpostEvent | null = null;
  try {
    const res = await open(deps.http, postId, state.last, link.signal);
    const parser = new SseParser();
    for await (const message of readMessages(res, parser, link, opts.idleTimeoutMs ?? 45_000)) {
      state.retryMs = parser.retryMs;
      const event = toEvent(message);
      if (state.last !== null && compareEventIds(event.id, state.last) <= 0) continue;
      state.last = event.id;
      state.failures = 0;
      last = event;
      yield event;
    }
    if (last && (isTerminal(last) || (last.name === 'snapshot' && isSettled(last.data)))) return 'done';
    return last ? 'reconnect' : 'verify';
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof InkpostError && !isRetryableStatus(err.status)) throw err;
    state.lastError = err;
    return 'reconnect';
  } finally {
    // Closes the connection when the consumer stops early (break/return) or the connection failed.
    link.abort();
    link.dispose();
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

async function open(http: Http, postId: string, last: string | null, signal: AbortSignal): Promise<Response> {
  const headers = http.headers({ accept: 'text/event-stream' });
  if (last !== null) headers['last-event-id'] = last;
  const url = http.url(`/v1/posts/${encodeURIComponent(postId)}/events`);
  const res = await http.config.fetch(url, { method: 'GET', headers, signal });
  if (!res.ok) throw await errorFromResponse(res);
  if (!res.body) {
    throw new InkpostError({
      status: res.status,
      code: 'invalid_response',
      message: 'The event stream has no body.',
    });
  }
  return res;
}

/**
 * The messages of one response. The idle timer runs only while waiting for bytes, never while the consumer
 * holds an event, so a slow consumer does not look like a dead connection.
 */
async function* readMessages(
  res: Response,
  parser: SseParser,
  link: { abort(reason?: unknown): void },
  idleTimeoutMs: number,
): AsyncGenerator<SseMessage, void, undefined> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const timer = setTimeout(() => link.abort(new Error('the event stream went silent')), idleTimeoutMs);
      const chunk = await reader.read().finally(() => clearTimeout(timer));
      if (chunk.done) return;
      yield* parser.push(chunk.value);
    }
  } finally {
    // Frees the connection when the consumer stopped early; a no-op after the stream ended.
    await reader.cancel().catch(() => {});
  }
}

function toEvent(message: SseMessage): InkpostEvent {
  if (message.id === null) {
    throw new InkpostError({
      status: 200,
      code: 'invalid_response',
      message: 'An event arrived without an id.',
    });
  }
  try {
    return { id: message.id, name: message.event, data: JSON.parse(message.data) } as InkpostEvent;
  } catch (cause) {
    throw new InkpostError({
      status: 200,
      code: 'invalid_response',
      message: `Event ${message.id} (${message.event}) does not carry JSON.`,
      cause,
    });
  }
}

import { type PostEvent, type PostRecord, type StoredEvent, TERMINAL_EVENTS } from '@inkpost/shared';
import type { Redis, Result } from 'ioredis';
import { decodePostRecord, encodePostRecord } from './post-record-codec.js';
import { keySpace } from './redis.js';
import { isWebhookEventName } from './webhooks.js';

export { UnreadablePostError } from './post-record-codec.js';

// Compare-and-set of a post plus its events in one atomic step: the record only changes if nobody else changed it
// since it was read, and every change appends its events to the post's stream and publishes them, so the stream's
// order is the order of revisions. Events that owe a webhook are also put in the webhook outbox in the same step, so
// a process dying between this commit and queueing the delivery loses nothing. KEYS: post hash, event stream, tenant
// index, webhook outbox. ARGV: expected revision (-1 = must not exist), new revision, record JSON, channel, stream
// max length, created-at score, tenant index member, then event name/data/outbox-flag triples.
const CAS_SCRIPT = `
local rev = redis.call('HGET', KEYS[1], 'rev')
if ARGV[1] == '-1' then
  if rev then return {-1} end
elseif rev ~= ARGV[1] then
  return {-1}
end
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'rev', ARGV[2])
if ARGV[1] == '-1' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7]) end
local ids = {}
for i = 8, #ARGV, 3 do
  local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'n', ARGV[i], 'd', ARGV[i + 1])
  redis.call('PUBLISH', ARGV[4], id .. '\\n' .. ARGV[i] .. '\\n' .. ARGV[i + 1])
  if ARGV[i + 2] == '1' then redis.call('ZADD', KEYS[4], tonumber(string.match(id, '^%d+')), ARGV[7] .. ' ' .. id) end
  ids[#ids + 1] = id
end
return {1, unpack(ids)}
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    inkpostCas(
      post: string,
      stream: string,
      index: string,
      outbox: string,
      ...args: (string | number)[]
    ): Result<(number | string)[], Context>;
  }
}

export class PostNotFoundError extends Error {
  override readonly name = 'PostNotFoundError';
}

/** What a mutation decides: the events to emit, and a value handed back to the caller. */
export interface MutationResult<T> {
  events?: PostEvent[];
  value?: T;
  /** Set to skip the write entirely (nothing changed). */
  unchanged?: boolean;
}

export type Mutator<T> = (post: PostRecord) => MutationResult<T> | undefined;

export interface UpdateOutcome<T> {
  post: PostRecord;
  events: StoredEvent[];
  value: T | undefined;
  changed: boolean;
}

const STREAM_MAX_LEN = 10_000;
const definedOn = new WeakSet<Redis>();
const MAX_CAS_ATTEMPTS = 50;

/** Post records and their event streams in Redis. */
export class PostStore {
  private readonly ks: string;

  /** Updates waiting for the post's write in flight, per post id (see `update`). */
  private readonly queued = new Map<string, QueuedUpdate[]>();

  /** Called after every committed change with its events (to mirror the record, to queue webhooks). */
  onCommit: ((post: PostRecord, events: StoredEvent[]) => void) | null = null;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.ks = keySpace(prefix);
    if (!definedOn.has(redis)) {
      redis.defineCommand('inkpostCas', { numberOfKeys: 4, lua: CAS_SCRIPT });
      definedOn.add(redis);
    }
  }

  postKey(id: string): string {
    return `${this.ks}:post:${id}`;
  }

  streamKey(id: string): string {
    return `${this.ks}:post:${id}:events`;
  }

  /** The pub/sub channel a post's events are published on as they are appended. */
  channel(id: string): string {
    return `${this.ks}:post:${id}:events`;
  }

  tenantIndexKey(tenant: string): string {
    return `${this.ks}:tenant:${tenant}:posts`;
  }

  async get(id: string): Promise<PostRecord | null> {
    const json = await this.redis.hget(this.postKey(id), 'json');
    return json ? decodePostRecord(id, json) : null;
  }

  /** The webhook outbox: `<postId> <eventId>` of every committed event owing a webhook not yet queued. */
  outboxKey(): string {
    return `${this.ks}:webhook-outbox`;
  }

  /** Outbox entries committed at least `minAgeMs` ago (their process had time to queue them), oldest first. */
  async outboxDue(minAgeMs: number, limit = 100): Promise<{ postId: string; eventId: string }[]> {
    const members = await this.redis.zrangebyscore(
      this.outboxKey(),
      '-inf',
      Date.now() - minAgeMs,
      'LIMIT',
      0,
      limit,
    );
    return members.map((m) => {
      const [postId = '', eventId = ''] = m.split(' ');
      return { postId, eventId };
    });
  }

  /** Marks an outbox entry done: its delivery is queued (or nothing was owed). */
  async outboxDone(postId: string, eventId: string): Promise<void> {
    await this.redis.zrem(this.outboxKey(), `${postId} ${eventId}`);
  }

  /** One stored event by id; null when the stream no longer holds it. */
  async eventById(postId: string, eventId: string): Promise<StoredEvent | null> {
    const [entry] = await this.redis.xrange(this.streamKey(postId), eventId, eventId);
    return entry ? parseEntry(entry[0], entry[1]) : null;
  }

  /** The post's current revision (one small read, without the record); null when there is no such post. */
  async revisionOf(id: string): Promise<number | null> {
    const rev = await this.redis.hget(this.postKey(id), 'rev');
    return rev === null ? null : Number(rev);
  }

  /** Stores a new post (revision 1) with its first events. Fails if the id is taken. */
  async create(
    post: PostRecord,
    events: PostEvent[] = [],
  ): Promise<{ post: PostRecord; events: StoredEvent[] }> {
    const next = encodePostRecord({ ...post, revision: 1 });
    const ids = await this.cas(next, -1, events);
    if (!ids) throw new Error(`post ${post.id} already exists`);
    const stored = withIds(events, ids);
    this.onCommit?.(next.record, stored);
    return { post: next.record, events: stored };
  }

  /**
   * Applies `mutate` to the current record and writes it if nobody changed the post meanwhile; otherwise re-reads
   * and tries again, so parallel updates (pages completing together) never lose each other's changes. `mutate`
   * must be a pure function of the record it is given: it can run more than once.
   *
   * Updates of one post from this process are committed together: while one write is in flight, the next updates
   * queue and then go as one compare-and-set, each mutator applied in turn to the result of the one before (as if
   * they had run one after another). Pages of a post finishing at the same moment in one worker would otherwise
   * collide and retry; now they cost one read and one write between them. Across processes the compare-and-set
   * keeps them apart as before.
   */
  update<T>(id: string, mutate: Mutator<T>): Promise<UpdateOutcome<T>> {
    return new Promise((resolve, reject) => {
      const waiting = this.queued.get(id);
      const update = { mutate, resolve, reject } as QueuedUpdate;
      if (waiting) {
        waiting.push(update);
        return;
      }
      this.queued.set(id, [update]);
      void this.drain(id);
    });
  }

  /** Commits the post's queued updates, batch after batch, until none is left. */
  private async drain(id: string): Promise<void> {
    for (;;) {
      const batch = this.queued.get(id)!.splice(0);
      if (batch.length === 0) break;
      await this.commitBatch(id, batch).catch((err) => {
        for (const u of batch) u.reject(err);
      });
    }
    this.queued.delete(id);
  }

  private async commitBatch(id: string, batch: QueuedUpdate[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      if (!current) throw new PostNotFoundError(`post ${id} not found`);
      const applied = applyInTurn(current, pending);
      // A mutator that throws fails its own update only, as it would have alone; it changed nothing.
      for (const { update, error } of applied.failed) update.reject(error);
      pending = pending.filter((u) => !applied.failed.some((f) => f.update === u));
      if (applied.changed.length === 0) {
        for (const { update, result } of applied.unchanged)
          update.resolve({ post: current, events: [], value: result.value, changed: false });
        return;
      }
      let next: { record: PostRecord; json: string };
      try {
        next = encodePostRecord({
          ...applied.draft,
          revision: current.revision + 1,
          updatedAt: new Date().toISOString(),
        });
      } catch (err) {
        // The combined record is invalid: commit them one by one, so only the update that broke it fails.
        if (pending.length === 1) throw err;
        for (const u of pending) await this.commitBatch(id, [u]).catch((e) => u.reject(e));
        return;
      }
      const events = applied.changed.flatMap((c) => c.result.events ?? []);
      const ids = await this.cas(next, current.revision, events);
      if (ids) {
        const stored = withIds(events, ids);
        this.onCommit?.(next.record, stored);
        let offset = 0;
        for (const { update, result } of applied.changed) {
          const count = result.events?.length ?? 0;
          const own = stored.slice(offset, offset + count);
          offset += count;
          update.resolve({ post: next.record, events: own, value: result.value, changed: true });
        }
        for (const { update, result } of applied.unchanged)
          update.resolve({ post: next.record, events: [], value: result.value, changed: false });
        return;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
    }
    throw new Error(`post ${id}: too many concurrent updates`);
  }

  private async cas(
    { record, json }: { record: PostRecord; json: string },
    expected: number,
    events: PostEvent[],
  ): Promise<string[] | null> {
    const args: (string | number)[] = [
      String(expected),
      String(record.revision),
      json,
      this.channel(record.id),
      STREAM_MAX_LEN,
      Date.parse(record.createdAt),
      record.id,
    ];
    for (const e of events) args.push(e.name, JSON.stringify(e.data), isWebhookEventName(e.name) ? '1' : '0');
    const reply = await this.redis.inkpostCas(
      this.postKey(record.id),
      this.streamKey(record.id),
      this.tenantIndexKey(record.tenant),
      this.outboxKey(),
      ...args,
    );
    if (reply[0] !== 1) return null;
    return reply.slice(1).map(String);
  }

  /**
   * The post together with the id of the last event already reflected in it, read atomically, so a client that
   * starts from this snapshot and then follows the stream after that id misses nothing and sees nothing twice.
   */
  async snapshot(id: string): Promise<{ post: PostRecord; lastEventId: string } | null> {
    const [[, json], [, last]] = (await this.redis
      .multi()
      .hget(this.postKey(id), 'json')
      .xrevrange(this.streamKey(id), '+', '-', 'COUNT', 1)
      .exec()) as [[null, string | null], [null, [string, string[]][]]];
    if (!json) return null;
    return { post: decodePostRecord(id, json), lastEventId: last[0]?.[0] ?? '0-0' };
  }

  /** Events after `afterId` (exclusive), oldest first. */
  async eventsAfter(id: string, afterId: string, count = 1000): Promise<StoredEvent[]> {
    const entries = await this.redis.xrange(this.streamKey(id), `(${afterId}`, '+', 'COUNT', count);
    return entries.map(([eventId, fields]) => parseEntry(eventId, fields));
  }

  /** Several posts at once (missing ones are skipped). */
  async getMany(ids: string[]): Promise<PostRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.postKey(id), 'json');
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([, json], i) =>
      typeof json === 'string' ? [decodePostRecord(ids[i]!, json)] : [],
    );
  }

  /**
   * A tenant's post ids, newest first, strictly after the `after` position (created-at score, then id, both
   * descending), so pages stay correct while new posts are created.
   */
  async listIds(
    tenant: string,
    after: { score: number; id: string } | null,
    count: number,
  ): Promise<{ id: string; score: number }[]> {
    const max = after ? String(after.score) : '+inf';
    const raw = await this.redis.zrevrangebyscore(
      this.tenantIndexKey(tenant),
      max,
      '-inf',
      'WITHSCORES',
      'LIMIT',
      0,
      count + 50,
    );
    const out: { id: string; score: number }[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const id = raw[i]!;
      const score = Number(raw[i + 1]);
      // Same-score members come in reverse lexicographic order; skip those at or before the cursor.
      if (after && score === after.score && id >= after.id) continue;
      out.push({ id, score });
      if (out.length === count) break;
    }
    return out;
  }

  /** Removes a post's record, its events and its place in the tenant's history. */
  async delete(post: Pick<PostRecord, 'id' | 'tenant'>): Promise<void> {
    await this.redis
      .multi()
      .del(this.postKey(post.id), this.streamKey(post.id))
      .zrem(this.tenantIndexKey(post.tenant), post.id)
      .exec();
  }

  /** Writes a record as it is (revision included), for rebuilding Redis from manifests. */
  async restore(post: PostRecord): Promise<'restored' | 'kept'> {
    const current = await this.redis.hget(this.postKey(post.id), 'rev');
    if (current !== null && Number(current) >= post.revision) return 'kept';
    const { json } = encodePostRecord(post);
    await this.redis
      .multi()
      .hset(this.postKey(post.id), 'json', json, 'rev', String(post.revision))
      .zadd(this.tenantIndexKey(post.tenant), Date.parse(post.createdAt), post.id)
      .exec();
    return 'restored';
  }

  /**
   * Whether every event after `afterId` is still in the stream. The stream is capped, so an id older than the
   * oldest kept event may have missed trimmed events — unless the stream never reached its cap. An id newer than
   * the last event cannot be replayed from either.
   */
  async canReplayFrom(id: string, afterId: string): Promise<boolean> {
    const [[, length], [, first], [, last]] = (await this.redis
      .multi()
      .xlen(this.streamKey(id))
      .xrange(this.streamKey(id), '-', '+', 'COUNT', 1)
      .xrevrange(this.streamKey(id), '+', '-', 'COUNT', 1)
      .exec()) as [[null, number], [null, [string, string[]][]], [null, [string, string[]][]]];
    const firstId = first[0]?.[0];
    const lastId = last[0]?.[0];
    if (!firstId || !lastId) return false;
    // An id past the last event was never sent from this stream (made up, or another deployment's): replaying from
    // it would send nothing now and drop every event to come, whose ids are all smaller.
    if (compareEventIds(afterId, lastId) > 0) return false;
    return length < STREAM_MAX_LEN || compareEventIds(afterId, firstId) >= 0;
  }
}

interface QueuedUpdate {
  mutate: Mutator<unknown>;
  resolve: (outcome: UpdateOutcome<unknown>) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs each update's mutator on a copy of the record as the ones before it left it. A mutator works on its own
 * copy, so one that throws or leaves the post unchanged has no effect on the others.
 */
function applyInTurn(current: PostRecord, updates: QueuedUpdate[]) {
  let draft = current;
  const changed: { update: QueuedUpdate; result: MutationResult<unknown> }[] = [];
  const unchanged: { update: QueuedUpdate; result: MutationResult<unknown> }[] = [];
  const failed: { update: QueuedUpdate; error: unknown }[] = [];
  for (const update of updates) {
    const copy = structuredClone(draft);
    let result: MutationResult<unknown>;
    try {
      result = update.mutate(copy) ?? {};
    } catch (error) {
      failed.push({ update, error });
      continue;
    }
    if (result.unchanged) {
      unchanged.push({ update, result });
      continue;
    }
    draft = copy;
    changed.push({ update, result });
  }
  return { draft, changed, unchanged, failed };
}

function withIds(events: PostEvent[], ids: string[]): StoredEvent[] {
  return events.map((e, i) => ({ ...e, id: ids[i] ?? '' }) as StoredEvent);
}

function parseEntry(id: string, fields: string[]): StoredEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return { id, name: map.get('n'), data: JSON.parse(map.get('d') ?? '{}') } as StoredEvent;
}

/** Parses a message published by the CAS script: `<id>\n<name>\n<data>`. */
export function parsePublished(message: string): StoredEvent | null {
  const first = message.indexOf('\n');
  const second = message.indexOf('\n', first + 1);
  if (first < 0 || second < 0) return null;
  return {
    id: message.slice(0, first),
    name: message.slice(first + 1, second),
    data: JSON.parse(message.slice(second + 1)),
  } as StoredEvent;
}

/** Whether an event ends a post's stream. */
export function isTerminalEvent(event: Pick<StoredEvent, 'name'>): boolean {
  return TERMINAL_EVENTS.includes(event.name);
}

/**
 * Compares two stream ids (`<ms>-<seq>`, a missing seq counts as 0), such as a client's Last-Event-ID against the
 * stream's ends. It reads the digits in place rather than parsing numbers, so it is exact for any number of digits
 * (Redis ids are two 64-bit numbers, beyond what a JS number holds). SSE fan-out compares pre-parsed positions
 * instead (services/api event-hub.ts).
 */
export function compareEventIds(a: string, b: string): number {
  const aDash = dashOrEnd(a);
  const bDash = dashOrEnd(b);
  return (
    compareDigits(a, 0, aDash, b, 0, bDash) ||
    compareDigits(a, Math.min(aDash + 1, a.length), a.length, b, Math.min(bDash + 1, b.length), b.length)
  );
}

function dashOrEnd(id: string): number {
  const dash = id.indexOf('-');
  return dash < 0 ? id.length : dash;
}

/** Compares the decimal numbers `a[aFrom, aTo)` and `b[bFrom, bTo)`: leading zeros aside, longer is larger. */
function compareDigits(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): number {
  const aStart = skipZeros(a, aFrom, aTo);
  const bStart = skipZeros(b, bFrom, bTo);
  const length = aTo - aStart;
  if (length !== bTo - bStart) return length - (bTo - bStart);
  for (let i = 0; i < length; i++) {
    const diff = a.charCodeAt(aStart + i) - b.charCodeAt(bStart + i);
    if (diff !== 0) return diff;
  }
  return 0;
}

function skipZeros(s: string, from: number, to: number): number {
  let i = from;
  while (i < to && s.charCodeAt(i) === 48) i++;
  return i;
}

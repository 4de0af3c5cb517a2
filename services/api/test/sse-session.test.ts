import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { compareEventIds, createRedis, newPostRecord, PostStore } from '@inkpost/core';
import { type PostRecord, postEvent, type StoredEvent, toPostView } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import type { ApiContext } from '../src/context.js';
import { EventHub, publishedFrame } from '../src/event-hub.js';
import { MAX_BEHIND_CHARS, SseSession } from '../src/sse-session.js';

const POST_ID = 'post_sse_unit';

/** The calls a session makes on its response, in order: what a client would read, and when the stream ended. */
class FakeResponse extends EventEmitter {
  readonly writes: string[] = [];
  ended = false;
  destroyed = false;
  /** What `write` answers: false plays a client whose socket buffer is full. */
  accepts = true;

  writeHead(): this {
    return this;
  }

  write(text: string): boolean {
    if (this.ended) throw new Error('write after end');
    this.writes.push(text);
    return this.accepts;
  }

  end(text?: string): this {
    if (this.ended) throw new Error('end twice');
    if (text) this.writes.push(text);
    this.ended = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }

  /** Event ids and names as a client parses them from everything written. */
  received(): string[] {
    return this.writes
      .join('')
      .split('\n\n')
      .filter((block) => block.startsWith('id: '))
      .map((block) => {
        const [id, event] = block.split('\n');
        return `${id!.slice(4)} ${event!.slice(7)}`;
      });
  }
}

class FakeSubscriber extends EventEmitter {
  async subscribe(): Promise<number> {
    return 1;
  }
  async unsubscribe(): Promise<number> {
    return 0;
  }
  /** What the CAS script publishes: `<id>\n<name>\n<data JSON>`. */
  publish(id: string, name: string, data: unknown = {}): void {
    this.emit('message', `ch:${POST_ID}`, `${id}\n${name}\n${JSON.stringify(data)}`);
  }
}

function samplePost(status: PostRecord['status']): PostRecord {
  return newPostRecord({
    id: POST_ID,
    tenant: 'local',
    topic: 't',
    status,
    textProvider: 'local',
    imageProvider: 'text_card',
  });
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/**
 * A post's stream in memory, read two events at a time. The snapshot is held until `release`, to publish while a
 * session starts; `holdReads` holds reads of events the same way.
 */
function fakeStore(opts: { events?: StoredEvent[]; status?: PostRecord['status']; lastEventId?: string }) {
  const events = opts.events ?? [];
  const post = samplePost(opts.status ?? 'generating');
  const snapshotGate = gate();
  let readsGate = Promise.resolve();
  const store = {
    channel: (id: string) => `ch:${id}`,
    canReplayFrom: async () => true,
    snapshot: async () => {
      await snapshotGate.wait;
      return { post, lastEventId: opts.lastEventId ?? '0-0' };
    },
    eventsAfter: async (_id: string, afterId: string) => {
      await readsGate;
      return events.filter((e) => compareEventIds(e.id, afterId) > 0).slice(0, 2);
    },
  };
  const holdReads = () => {
    const held = gate();
    readsGate = held.wait;
    return held.open;
  };
  return { store: store as unknown as PostStore, release: snapshotGate.open, holdReads, events, post };
}

function stored(id: string, name: StoredEvent['name']): StoredEvent {
  return { id, name, data: {} } as StoredEvent;
}

function setup(store: PostStore, subscriber: EventEmitter = new FakeSubscriber(), pingMs = 60_000) {
  const log = { warn: () => {}, error: () => {}, info: () => {} };
  const hub = new EventHub(subscriber as unknown as Redis, store, log as never);
  const ctx = { hub, store, log, env: { SSE_PING_MS: pingMs } } as unknown as ApiContext;
  const res = new FakeResponse();
  const session = new SseSession(ctx, POST_ID, res as unknown as ServerResponse, 'req-1');
  return { subscriber: subscriber as FakeSubscriber, hub, res, session };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SSE frames', () => {
  it('are built once per published event, with the data exactly as published', () => {
    const frame = publishedFrame('1700000000000-12\npage.completed\n{"index": 1,"x":"a\\nb"}');
    expect(frame?.text).toBe(
      'id: 1700000000000-12\nevent: page.completed\ndata: {"index": 1,"x":"a\\nb"}\n\n',
    );
    expect(frame?.position).toEqual({ id: '1700000000000-12', ms: 1700000000000, seq: 12 });
    expect(frame?.terminal).toBe(false);
    expect(publishedFrame('1-0\npost.completed\n{}')?.terminal).toBe(true);
    expect(publishedFrame('1-0 no separators')).toBeNull();
  });

  it('hands every listener the same frame', () => {
    const { store } = fakeStore({});
    const subscriber = new FakeSubscriber();
    const hub = new EventHub(subscriber as unknown as Redis, store, {} as never);
    const got: unknown[] = [];
    for (let i = 0; i < 3; i++)
      hub.subscribe(
        POST_ID,
        (frame) => got.push(frame),
        () => {},
      );
    subscriber.publish('5-0', 'page.started');
    expect(got).toHaveLength(3);
    expect(new Set(got).size).toBe(1);
  });
});

describe('SseSession writing', () => {
  it('sends the snapshot, then the events published while it was read, past its cursor, in stream order', async () => {
    const { store, release, post } = fakeStore({ lastEventId: '10-1' });
    const { subscriber, res, session } = setup(store);
    const running = session.run(null);
    await tick();
    // Published while the snapshot is read: 10-0 and 10-1 are in the snapshot already, and they arrive unordered.
    subscriber.publish('10-2', 'page.started');
    subscriber.publish('10-0', 'page.queued');
    subscriber.publish('10-1', 'page.queued');
    subscriber.publish('9-5', 'page.queued');
    release();
    await running;
    await tick();
    expect(res.received()).toEqual(['10-1 snapshot', '10-2 page.started']);
    expect(res.writes.join('')).toContain(`data: ${JSON.stringify(toPostView(post))}\n\n`);
  });

  it('writes a burst of live events with one write per tick', async () => {
    const { store, release } = fakeStore({ lastEventId: '1-0' });
    release();
    const { subscriber, res, session } = setup(store);
    await session.run(null);
    await tick();
    expect(res.writes).toHaveLength(1);
    const names = ['page.started', 'page.completed', 'post.status', 'page.started', 'page.completed'];
    for (const [i, name] of names.entries()) subscriber.publish(`2-${i}`, name);
    subscriber.publish('2-1', 'page.completed'); // a duplicate is dropped
    await tick();
    expect(res.writes).toHaveLength(2);
    expect(res.received().slice(1)).toEqual(names.map((name, i) => `2-${i} ${name}`));
  });

  it('replays from Last-Event-ID through the same queue, and live events it already replayed are not sent again', async () => {
    const events = ['5-0', '5-1', '5-2', '5-3', '5-4'].map((id) => stored(id, 'page.completed'));
    const { store, release } = fakeStore({ events, lastEventId: '5-4' });
    const { subscriber, res, session } = setup(store);
    const subscribedAndRun = session.run('5-0');
    await tick();
    subscriber.publish('5-3', 'page.completed');
    subscriber.publish('5-5', 'page.started');
    release();
    await subscribedAndRun;
    await tick();
    expect(res.received()).toEqual(
      ['5-1', '5-2', '5-3', '5-4', '5-5'].map((id) => expect.stringContaining(id)),
    );
  });

  it('writes the terminal event, and whatever came before it in the tick, before ending the stream', async () => {
    const { store, release } = fakeStore({ lastEventId: '1-0' });
    release();
    const { subscriber, res, hub, session } = setup(store);
    await session.run(null);
    await tick();
    subscriber.publish('3-0', 'page.completed');
    subscriber.publish('3-1', 'post.completed');
    subscriber.publish('3-2', 'page.started');
    expect(res.ended).toBe(true);
    expect(res.received().slice(1)).toEqual(['3-0 page.completed', '3-1 post.completed']);
    expect(hub.size).toBe(0);
    await tick();
  });

  it('ends right after the snapshot of a post with nothing left to happen', async () => {
    const { store, release } = fakeStore({ status: 'completed', lastEventId: '4-0' });
    release();
    const { res, session } = setup(store);
    await session.run(null);
    expect(res.ended).toBe(true);
    expect(res.received()).toEqual(['4-0 snapshot']);
  });

  it('after the subscriber reconnected, sends what pub/sub missed before the live events that came meanwhile', async () => {
    const { store, release, holdReads, events } = fakeStore({ lastEventId: '1-0' });
    release();
    const { subscriber, res, session } = setup(store);
    await session.run(null);
    subscriber.publish('2-0', 'page.started');
    // Redis came back: 2-1 and 2-2 were published while the subscriber was away, 2-3 arrives during the catch-up.
    events.push(
      stored('2-0', 'page.started'),
      stored('2-1', 'page.completed'),
      stored('2-2', 'page.started'),
    );
    const open = holdReads();
    subscriber.emit('ready');
    subscriber.publish('2-3', 'page.completed');
    events.push(stored('2-3', 'page.completed'));
    open();
    await vi.waitFor(() => expect(res.received()).toHaveLength(5));
    await tick();
    expect(res.received()).toEqual([
      '1-0 snapshot',
      '2-0 page.started',
      '2-1 page.completed',
      '2-2 page.started',
      '2-3 page.completed',
    ]);
  });

  it('a reconnect while the session starts catches up after the snapshot, not before', async () => {
    const { store, release, events } = fakeStore({ lastEventId: '1-1' });
    events.push(stored('1-0', 'post.status'), stored('1-1', 'post.status'));
    const { subscriber, res, session } = setup(store);
    const running = session.run(null);
    subscriber.emit('ready');
    await tick();
    release();
    await running;
    await tick();
    expect(res.received()).toEqual(['1-1 snapshot']);
  });

  it('pings through the same queue', async () => {
    const { store, release } = fakeStore({ lastEventId: '1-0' });
    release();
    const { res, session } = setup(store, new FakeSubscriber(), 20);
    await session.run(null);
    await new Promise((resolve) => setTimeout(resolve, 70));
    session.end();
    expect(res.writes[0]).toMatch(/^id: 1-0\nevent: snapshot\n/);
    expect(res.writes.slice(1).every((w) => w === ': ping\n\n')).toBe(true);
    expect(res.writes.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps a slow client’s events until its socket drains, then writes them at once', async () => {
    const { store, release } = fakeStore({ lastEventId: '1-0' });
    release();
    const { subscriber, res, session } = setup(store);
    res.accepts = false;
    await session.run(null);
    await tick();
    subscriber.publish('2-0', 'page.started');
    await tick();
    subscriber.publish('2-1', 'page.completed');
    await tick();
    expect(res.writes).toHaveLength(1);
    res.accepts = true;
    res.emit('drain');
    expect(res.writes).toHaveLength(2);
    expect(res.received()).toEqual(['1-0 snapshot', '2-0 page.started', '2-1 page.completed']);
  });

  it('cuts off a client that falls too far behind, so it reconnects and replays instead', async () => {
    const { store, release } = fakeStore({ lastEventId: '1-0' });
    release();
    const { subscriber, res, hub, session } = setup(store);
    res.accepts = false;
    await session.run(null);
    await tick();
    const big = { text: 'x'.repeat(64 * 1024) };
    for (let i = 0; !res.destroyed && i < 100; i++) subscriber.publish(`2-${i}`, 'page.completed', big);
    expect(res.destroyed).toBe(true);
    expect(res.writes.join('').length).toBeLessThan(MAX_BEHIND_CHARS);
    expect(res.received()).toEqual(['1-0 snapshot']);
    expect(hub.size).toBe(0);
  });
});

describe('SseSession on a real Redis', () => {
  it('writes the events of one commit to a client in one write, data as committed, and ends after the terminal one', async () => {
    const prefix = randomPrefix();
    const redis = createRedis(testEnv().redisUrl, 'request');
    const subscriber = createRedis(testEnv().redisUrl, 'subscriber');
    try {
      const store = new PostStore(redis, prefix);
      const { post } = await store.create(samplePost('generating'), [
        postEvent('post.status', { status: 'generating' }),
      ]);
      const { res, session } = setup(store, subscriber);
      await session.run(null);
      await tick();
      const commit = [
        ...Array.from({ length: 8 }, (_, index) =>
          postEvent('page.queued', { index, pageId: `pg_${index}` }),
        ),
        postEvent('post.completed', { status: 'completed', completed: 8, failed: 0 }),
      ];
      await store.update(post.id, () => ({ events: commit }));
      await vi.waitFor(() => expect(res.ended).toBe(true));
      const stored = await store.eventsAfter(post.id, '0-0');
      expect(res.received()).toEqual([
        `${stored[0]!.id} snapshot`,
        ...stored.slice(1).map((e) => `${e.id} ${e.name}`),
      ]);
      expect(res.writes.join('')).toContain(`data: ${JSON.stringify({ index: 3, pageId: 'pg_3' })}\n\n`);
      // The snapshot, then the whole commit at once: Redis sends a script's messages together.
      expect(res.writes).toHaveLength(2);
    } finally {
      subscriber.disconnect();
      await cleanupRedisPrefix(testEnv().redisUrl, prefix);
      await redis.quit();
    }
  });
});

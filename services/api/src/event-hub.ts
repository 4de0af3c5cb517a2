import { isTerminalEvent, type Logger, type PostStore } from '@inkpost/core';
import type { EventName, StoredEvent } from '@inkpost/shared';
import type { Redis } from 'ioredis';

/**
 * A stream id (`<ms>-<seq>`) read into its two numbers once per event: every session following the post compares
 * it with its cursor, and with thousands of sessions parsing per comparison was a measurable share of the fan-out.
 * Redis makes the ms part from the clock and the route accepts at most 15 digits, so both fit a JS number exactly.
 */
export interface EventPosition {
  readonly id: string;
  readonly ms: number;
  readonly seq: number;
}

/**
 * One event as SSE sends it. The hub builds it once per published event and hands the same object to every
 * listener: the frame text is shared, and `name`/`terminal` answer the sessions' checks without parsing the data.
 */
export interface SseFrame {
  readonly position: EventPosition;
  readonly name: string;
  /** Whether the stream ends after this event (`post.completed`, `post.failed`, `post.cancelled`). */
  readonly terminal: boolean;
  /** `id: …\nevent: …\ndata: …\n\n`, ready for `res.write`. */
  readonly text: string;
}

type Listener = (frame: SseFrame) => void;

interface Channel {
  listeners: Set<Listener>;
  subscribed: Promise<void>;
}

export function eventPosition(id: string): EventPosition {
  const dash = id.indexOf('-');
  if (dash < 0) return { id, ms: Number(id), seq: 0 };
  return { id, ms: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)) };
}

export function comparePositions(a: EventPosition, b: EventPosition): number {
  return a.ms - b.ms || a.seq - b.seq;
}

/** The frame of an event whose data is already JSON. JSON text never holds a raw line break, so it is one data line. */
export function sseFrame(id: string, name: string, dataJson: string): SseFrame {
  return {
    position: eventPosition(id),
    name,
    terminal: isTerminalEvent({ name: name as EventName }),
    text: `id: ${id}\nevent: ${name}\ndata: ${dataJson}\n\n`,
  };
}

/** The frame of an event read back from the stream (a replay): its data was parsed on the way, so it is serialised. */
export function storedFrame(event: StoredEvent): SseFrame {
  return sseFrame(event.id, event.name, JSON.stringify(event.data));
}

/**
 * The frame of a message published by the CAS script (`<id>\n<name>\n<data JSON>`, see `parsePublished` in
 * @inkpost/core). The data goes out exactly as published, never parsed and serialised again: the script publishes
 * what `JSON.stringify` made.
 */
export function publishedFrame(message: string): SseFrame | null {
  const first = message.indexOf('\n');
  const second = message.indexOf('\n', first + 1);
  if (first < 0 || second < 0) return null;
  return sseFrame(message.slice(0, first), message.slice(first + 1, second), message.slice(second + 1));
}

/**
 * Fans out post events to the SSE connections of this process over one Redis subscriber connection: a channel is
 * subscribed while at least one client follows that post. Pub/sub is at-most-once, so after a reconnect every
 * listener is asked to catch up from the stream (`onResync`).
 */
export class EventHub {
  private readonly channels = new Map<string, Channel>();
  private readonly resyncers = new Set<() => void>();

  constructor(
    private readonly subscriber: Redis,
    private readonly store: PostStore,
    private readonly log: Logger,
  ) {
    subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    // ioredis re-subscribes by itself after a reconnect; whatever was published meanwhile is read from the stream.
    subscriber.on('ready', () => {
      for (const resync of this.resyncers) resync();
    });
  }

  get size(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.listeners.size;
    return n;
  }

  /** Follows a post. `ready` resolves once Redis confirmed the subscription: read the snapshot after it. */
  subscribe(
    postId: string,
    listener: Listener,
    onResync: () => void,
  ): { ready: Promise<void>; close: () => void } {
    const name = this.store.channel(postId);
    let channel = this.channels.get(name);
    if (!channel) {
      const subscribed = this.subscriber.subscribe(name).then(() => undefined);
      channel = { listeners: new Set(), subscribed };
      this.channels.set(name, channel);
    }
    channel.listeners.add(listener);
    this.resyncers.add(onResync);
    const close = () => {
      this.resyncers.delete(onResync);
      const current = this.channels.get(name);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size === 0) {
        this.channels.delete(name);
        this.subscriber.unsubscribe(name).catch((err) => this.log.warn({ err }, 'unsubscribe failed'));
      }
    };
    return { ready: channel.subscribed, close };
  }

  /** Builds the event's frame once, whatever the number of listeners. */
  private dispatch(channel: string, message: string): void {
    const listeners = this.channels.get(channel)?.listeners;
    if (!listeners) return;
    const frame = publishedFrame(message);
    if (!frame) return;
    for (const listener of listeners) listener(frame);
  }

  async close(): Promise<void> {
    this.channels.clear();
    this.resyncers.clear();
  }
}

import { compareEventIds, type Logger, type PostStore, parsePublished } from '@inkpost/core';
import type { StoredEvent } from '@inkpost/shared';
import type { Redis } from 'ioredis';

type Listener = (event: StoredEvent) => void;

interface Channel {
  listeners: Set<Listener>;
  subscribed: Promise<void>;
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

  private dispatch(channel: string, message: string): void {
    const listeners = this.channels.get(channel)?.listeners;
    if (!listeners) return;
    const event = parsePublished(message);
    if (!event) return;
    for (const listener of listeners) listener(event);
  }

  async close(): Promise<void> {
    this.channels.clear();
    this.resyncers.clear();
  }
}

/** Orders live events after a replay: keeps those newer than the cursor, oldest first. */
export function newerThan(events: StoredEvent[], cursor: string): StoredEvent[] {
  return events.filter((e) => compareEventIds(e.id, cursor) > 0).sort((a, b) => compareEventIds(a.id, b.id));
}

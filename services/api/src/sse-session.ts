import type { ServerResponse } from 'node:http';
import { compareEventIds, isTerminalEvent } from '@inkpost/core';
import { type PostRecord, type PostStatus, type StoredEvent, toPostView } from '@inkpost/shared';
import type { ApiContext } from './context.js';

const ENDED: readonly PostStatus[] = ['completed', 'partial', 'failed', 'cancelled'];

/**
 * One client's event stream. Order of operations is what makes it lossless: subscribe first (live events are
 * buffered), then send the replay or the snapshot, then flush the buffer past the cursor, then go live. Every event
 * goes out at most once, in stream order, and the stream ends after a terminal event.
 */
export class SseSession {
  private cursor = '0-0';
  private live = false;
  private ended = false;
  private readonly buffered: StoredEvent[] = [];
  private ping: NodeJS.Timeout | undefined;
  private subscription: { ready: Promise<void>; close: () => void } | undefined;

  constructor(
    private readonly ctx: ApiContext,
    private readonly postId: string,
    private readonly res: ServerResponse,
    requestId: string,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': requestId,
    });
    res.on('close', () => this.end());
  }

  async run(lastEventId: string | null): Promise<void> {
    this.subscription = this.ctx.hub.subscribe(
      this.postId,
      (event) => (this.live ? this.send([event]) : this.buffered.push(event)),
      () =>
        void this.catchUp().catch((err) =>
          this.ctx.log.warn({ err, postId: this.postId }, 'event catch-up failed'),
        ),
    );
    this.ping = setInterval(() => this.res.write(': ping\n\n'), this.ctx.env.SSE_PING_MS);
    try {
      await this.subscription.ready;
      await this.start(lastEventId);
      this.live = true;
      this.send(this.buffered.splice(0).sort((a, b) => compareEventIds(a.id, b.id)));
    } catch (err) {
      this.ctx.log.error({ err, postId: this.postId }, 'event stream failed');
      this.end();
    }
  }

  private async start(lastEventId: string | null): Promise<void> {
    // A Last-Event-ID older than what the stream still keeps cannot be replayed: the snapshot replaces it.
    const replay = lastEventId !== null && (await this.ctx.store.canReplayFrom(this.postId, lastEventId));
    if (replay) {
      this.cursor = lastEventId;
      await this.catchUp();
    }
    const snap = await this.ctx.store.snapshot(this.postId);
    if (!snap) return this.end();
    if (!replay) {
      this.cursor = snap.lastEventId;
      this.write(snap.lastEventId, 'snapshot', toPostView(snap.post));
    }
    this.endIfSettled(snap.post, snap.lastEventId);
  }

  /** Ends the stream of a post with nothing running and nothing left to send (no terminal event will come). */
  private endIfSettled(post: PostRecord, lastEventId: string): void {
    const copying = post.copyState.status === 'queued' || post.copyState.status === 'writing';
    const settled = ENDED.includes(post.status) && !post.pages.some((p) => p.image.pending) && !copying;
    if (settled && compareEventIds(this.cursor, lastEventId) >= 0) this.end();
  }

  /** After work that ends without a terminal event (copy on a finished post), check whether anything still runs. */
  private async checkSettled(): Promise<void> {
    const snap = await this.ctx.store.snapshot(this.postId);
    if (snap) this.endIfSettled(snap.post, snap.lastEventId);
  }

  /**
   * Sends what the stream holds after the cursor. A terminal event in the middle of a replay (a post that
   * completed, then got copy or a regenerated page) does not end it; the stream ends when the last event is one.
   */
  private async catchUp(): Promise<void> {
    let last: StoredEvent | undefined;
    for (;;) {
      if (this.ended) return;
      const batch = await this.ctx.store.eventsAfter(this.postId, this.cursor);
      if (batch.length === 0) break;
      this.send(batch, false);
      last = batch.at(-1);
    }
    if (last && isTerminalEvent(last)) this.end();
  }

  private send(events: StoredEvent[], endOnTerminal = true): void {
    for (const e of events) {
      if (this.ended || compareEventIds(e.id, this.cursor) <= 0) continue;
      this.cursor = e.id;
      this.write(e.id, e.name, e.data);
      if (endOnTerminal && isTerminalEvent(e)) {
        this.end();
        return;
      }
      if (endOnTerminal && (e.name === 'copy.completed' || e.name === 'copy.failed')) {
        void this.checkSettled().catch((err) => this.ctx.log.warn({ err }, 'settled check failed'));
      }
    }
  }

  private write(id: string, event: string, data: unknown): void {
    if (!this.ended) this.res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the stream (idempotent): after a terminal event, on client disconnect, or at shutdown. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ping);
    this.subscription?.close();
    this.res.end();
  }
}

import type { ServerResponse } from 'node:http';
import { type PostRecord, type PostStatus, toPostView } from '@inkpost/shared';
import type { ApiContext } from './context.js';
import {
  comparePositions,
  type EventPosition,
  eventPosition,
  type SseFrame,
  sseFrame,
  storedFrame,
} from './event-hub.js';

const ENDED: readonly PostStatus[] = ['completed', 'partial', 'failed', 'cancelled'];
const PING = ': ping\n\n';

/**
 * How much may wait for a client whose socket does not drain (in characters, about bytes) before it is ended. A
 * whole post's events are a few tens of kilobytes, so a client this far behind is stalled, not slow.
 */
export const MAX_BEHIND_CHARS = 1 << 20;

/**
 * Runs a session's flush after the current task. One Redis socket read dispatches all of a commit's events (ioredis
 * emits them synchronously), so a microtask coalesces them into one write without delaying any. `setImmediate`,
 * which could also merge events from several reads, made 1% fewer writes in the SSE bench and no difference in CPU
 * beyond noise.
 */
const scheduleFlush: (flush: () => void) => void = queueMicrotask;

/**
 * One client's event stream. Order of operations is what makes it lossless: subscribe first (live events are
 * buffered), then send the replay or the snapshot, then flush the buffer past the cursor, then go live; a catch-up
 * after the subscriber reconnected buffers live events the same way. Every event goes out at most once, in stream
 * order, and the stream ends right after a terminal event.
 *
 * Writing is batched: everything sent (snapshot, replay, live events, pings) is appended to one queue in order, and
 * the queue goes out in a single `res.write` per tick, so a commit's burst of events costs one socket write per
 * client. When the socket's buffer is full (`res.write` returned false) the queue waits for `drain`; a client that
 * falls `MAX_BEHIND_CHARS` behind is cut off. Every frame it got is whole, so it reconnects with Last-Event-ID and
 * replays the rest from the post's stream, instead of this process holding an unbounded backlog for it.
 */
export class SseSession {
  private cursor: EventPosition = eventPosition('0-0');
  private ended = false;
  /** Reads of the stream started and not finished (see `readStream`); live events wait in `buffered` meanwhile. */
  private reading = 0;
  private reads: Promise<void> = Promise.resolve();
  private readonly buffered: SseFrame[] = [];
  /** Frames (and pings) sent but not yet written, in order. */
  private queued = '';
  private flushScheduled = false;
  /** Set while the socket's buffer is full, until it drains. */
  private blocked = false;
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
    res.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
  }

  async run(lastEventId: string | null): Promise<void> {
    const subscription = this.ctx.hub.subscribe(
      this.postId,
      (frame) => (this.reading > 0 ? this.buffered.push(frame) : this.send(frame)),
      () => void this.readStream(() => this.catchUp()),
    );
    this.subscription = subscription;
    this.ping = setInterval(() => this.enqueue(PING), this.ctx.env.SSE_PING_MS);
    await this.readStream(async () => {
      await subscription.ready;
      await this.start(lastEventId);
    });
  }

  /**
   * Runs a read of the post's stream (the start, or a catch-up after the subscriber reconnected) after the reads
   * before it, holding live events in the buffer meanwhile; when the last read is done, the buffer goes out past
   * the cursor. Without the hold, a live event sent while a catch-up awaits Redis would move the cursor past the
   * events the catch-up is about to send, and they would be skipped; without the order, a catch-up could send
   * events before the snapshot. A read that fails ends the stream: the client reconnects with Last-Event-ID
   * rather than go on with a gap.
   */
  private readStream(read: () => Promise<void>): Promise<void> {
    this.reading++;
    this.reads = this.reads.then(read).then(
      () => {
        this.reading--;
        if (this.reading === 0) this.sendBuffered();
      },
      (err) => {
        this.reading--;
        this.ctx.log.error({ err, postId: this.postId }, 'event stream failed');
        this.end();
      },
    );
    return this.reads;
  }

  private sendBuffered(): void {
    const buffered = this.buffered.splice(0).sort((a, b) => comparePositions(a.position, b.position));
    for (const frame of buffered) this.send(frame);
  }

  private async start(lastEventId: string | null): Promise<void> {
    // A Last-Event-ID older than what the stream still keeps cannot be replayed: the snapshot replaces it.
    const replay = lastEventId !== null && (await this.ctx.store.canReplayFrom(this.postId, lastEventId));
    if (replay) {
      this.cursor = eventPosition(lastEventId);
      await this.catchUp();
    }
    const snap = await this.ctx.store.snapshot(this.postId);
    if (!snap) return this.end();
    if (!replay) {
      const frame = sseFrame(snap.lastEventId, 'snapshot', JSON.stringify(toPostView(snap.post)));
      this.cursor = frame.position;
      this.enqueue(frame.text);
    }
    this.endIfSettled(snap.post, snap.lastEventId);
  }

  /** Ends the stream of a post with nothing running and nothing left to send (no terminal event will come). */
  private endIfSettled(post: PostRecord, lastEventId: string): void {
    const copying = post.copyState.status === 'queued' || post.copyState.status === 'writing';
    const settled = ENDED.includes(post.status) && !post.pages.some((p) => p.image.pending) && !copying;
    if (settled && comparePositions(this.cursor, eventPosition(lastEventId)) >= 0) this.end();
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
    let last: SseFrame | undefined;
    for (;;) {
      if (this.ended) return;
      const batch = await this.ctx.store.eventsAfter(this.postId, this.cursor.id);
      if (batch.length === 0) break;
      for (const event of batch) {
        last = storedFrame(event);
        this.send(last, false);
      }
    }
    if (last?.terminal) this.end();
  }

  /** Queues an event the client does not have yet; after a terminal event (when live) the stream ends. */
  private send(frame: SseFrame, endOnTerminal = true): void {
    if (this.ended || comparePositions(frame.position, this.cursor) <= 0) return;
    this.cursor = frame.position;
    this.enqueue(frame.text);
    if (!endOnTerminal) return;
    if (frame.terminal) this.end();
    else if (frame.name === 'copy.completed' || frame.name === 'copy.failed') {
      void this.checkSettled().catch((err) => this.ctx.log.warn({ err }, 'settled check failed'));
    }
  }

  /** The one way to the client, so snapshot, replay, live events and pings keep their order. */
  private enqueue(text: string): void {
    if (this.ended) return;
    this.queued += text;
    if (this.blocked) {
      if (this.queued.length > MAX_BEHIND_CHARS) this.dropStalledClient();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleFlush(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.ended || this.blocked || this.queued === '') return;
    const text = this.queued;
    this.queued = '';
    this.blocked = !this.res.write(text);
  }

  private dropStalledClient(): void {
    this.ctx.log.warn(
      { postId: this.postId, behindChars: this.queued.length },
      'SSE client stalled; cut off',
    );
    this.queued = '';
    this.end();
    this.res.destroy();
  }

  /**
   * Ends the stream (idempotent): after a terminal event, on client disconnect, or at shutdown. What is still
   * queued (the terminal event above all) is written first, whether or not the socket has drained.
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ping);
    this.subscription?.close();
    this.res.end(this.queued);
    this.queued = '';
  }
}

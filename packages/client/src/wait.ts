import { InkpostError } from './errors.js';
import type { EventsOptions } from './events.js';
import { applyEvent, isFinished } from './reduce.js';
import type { CallOptions, InkpostEvent, Post } from './types.js';
import { linkSignals } from './util.js';

export interface WaitForOptions {
  /**
   * Resolve once this holds for the post (default: its generation ended: completed/partial/failed/cancelled).
   */
  until?: (post: Post) => boolean;
  signal?: AbortSignal;
  /** Give up with an InkpostError `timeout` after this long. */
  timeoutMs?: number;
}

export interface WaitDeps {
  events(postId: string, opts: EventsOptions): AsyncIterable<InkpostEvent>;
  getPost(postId: string, opts: CallOptions): Promise<Post>;
}

class TimedOut extends Error {}

/**
 * Follows the post's events, keeping a live copy of it, until `until` holds; the copy is then confirmed by a
 * GET (events do not carry everything a Post has), and the fresh Post is what resolves.
 */
export async function waitForPost(deps: WaitDeps, postId: string, opts: WaitForOptions = {}): Promise<Post> {
  const until = opts.until ?? isFinished;
  const link = linkSignals(opts.signal);
  const timer =
    opts.timeoutMs === undefined ? undefined : setTimeout(() => link.abort(new TimedOut()), opts.timeoutMs);
  const call = { signal: link.signal };
  try {
    let post: Post | null = null;
    for await (const event of deps.events(postId, call)) {
      post = event.name === 'snapshot' ? event.data : post && applyEvent(post, event);
      if (!post || !until(post)) continue;
      const fresh = await deps.getPost(postId, call);
      if (until(fresh)) return fresh;
      post = fresh;
    }
    // The stream ended: nothing more will happen to the post unless someone asks for more work.
    const fresh = await deps.getPost(postId, call);
    if (until(fresh)) return fresh;
    throw new InkpostError({
      status: 0,
      code: 'wait_ended',
      message: `Post ${postId} settled as ${fresh.status} without reaching the awaited state.`,
    });
  } catch (err) {
    if (link.signal.reason instanceof TimedOut && !opts.signal?.aborted) {
      throw new InkpostError({
        status: 0,
        code: 'timeout',
        message: `Post ${postId} did not reach the awaited state within ${opts.timeoutMs} ms.`,
      });
    }
    throw err;
  } finally {
    clearTimeout(timer);
    link.dispose();
  }
}

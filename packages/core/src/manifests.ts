import {
  type PostRecord,
  PostRecord as PostRecordSchema,
  SETTLED_POST_STATUSES,
  storageKeys,
} from '@inkpost/shared';
import type { Logger } from 'pino';
import type { PostStore } from './post-store.js';
import type { Storage } from './storage.js';

/** A post with nothing running: its record will not change until someone asks for more. */
function atRest(post: PostRecord): boolean {
  const copying = post.copyState.status === 'queued' || post.copyState.status === 'writing';
  return SETTLED_POST_STATUSES.includes(post.status) && !copying && !post.pages.some((p) => p.image.pending);
}

/**
 * Mirrors every post record to storage as `posts/<id>/post.json`, so losing Redis loses no post. While a post is
 * being worked on, its changes are gathered for `delayMs` and written once (a page finishing is 2–3 commits; writing
 * each would be most of a page's storage and Redis traffic); a post coming to rest is written at once. Each write
 * reads the record from Redis and then checks the stored revision again, repeating until the manifest is the
 * current revision: several processes writing for the same post converge on the newest, never leave an older one
 * last.
 */
export class ManifestWriter {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly waiting = new Map<string, NodeJS.Timeout>();
  /** The newest record this process committed per post waiting to be written: written without reading it back. */
  private readonly latest = new Map<string, PostRecord>();

  constructor(
    private readonly store: PostStore,
    private readonly storage: Storage,
    private readonly log: Logger,
    private readonly delayMs = 1_000,
  ) {}

  /**
   * Schedules a write of the post's manifest after a commit (fire and forget; failures are logged and retried
   * with the next change): at once when the post is at rest, else within `delayMs`.
   */
  committed(post: PostRecord): void {
    const known = this.latest.get(post.id);
    if (!known || known.revision < post.revision) this.latest.set(post.id, post);
    if (atRest(post) || this.delayMs === 0) {
      this.writeNow(post.id);
      return;
    }
    if (this.waiting.has(post.id)) return;
    const timer = setTimeout(() => this.writeNow(post.id), this.delayMs);
    timer.unref();
    this.waiting.set(post.id, timer);
  }

  /** Writes the post's manifest now (coalesced with a write already running for it). */
  writeNow(postId: string): void {
    clearTimeout(this.waiting.get(postId));
    this.waiting.delete(postId);
    if (this.running.has(postId)) {
      this.again.add(postId);
      return;
    }
    const run = this.writeUntilCurrent(postId)
      .catch((err) => this.log.warn({ err, postId }, 'manifest write failed'))
      .finally(() => {
        this.running.delete(postId);
        if (this.again.delete(postId)) this.writeNow(postId);
      });
    this.running.set(postId, run);
  }

  /** Writes everything gathered and resolves when every write has finished (for shutdown and tests). */
  async flush(): Promise<void> {
    for (const postId of [...this.waiting.keys()]) this.writeNow(postId);
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private async writeUntilCurrent(postId: string): Promise<void> {
    for (let i = 0; i < 10; i++) {
      // First the record this process committed; if another process changed the post since, the one in Redis.
      const committed = i === 0 ? this.latest.get(postId) : undefined;
      this.latest.delete(postId);
      const post = committed ?? (await this.store.get(postId));
      if (!post) return;
      await this.storage.put(
        storageKeys.manifest(postId),
        Buffer.from(JSON.stringify(post)),
        'application/json',
      );
      const revision = await this.store.revisionOf(postId);
      if (revision === null) {
        // Deleted meanwhile: a manifest left behind would bring the post back on a rebuild.
        await this.storage.deletePrefix(storageKeys.manifest(postId));
        return;
      }
      if (revision === post.revision) return;
    }
  }
}

/** Reads a manifest; null when it is missing or not a post record. */
export async function readManifest(storage: Storage, key: string): Promise<PostRecord | null> {
  const bytes = await storage.getBuffer(key);
  if (!bytes) return null;
  const parsed = PostRecordSchema.safeParse(JSON.parse(bytes.toString('utf8')));
  return parsed.success ? parsed.data : null;
}

/** Rebuilds Redis's post records from the manifests in storage; a newer record already in Redis is kept. */
export async function rebuildFromManifests(
  store: PostStore,
  storage: Storage,
): Promise<{ restored: number; kept: number; unreadable: number }> {
  const result = { restored: 0, kept: 0, unreadable: 0 };
  for await (const key of storage.listKeys('posts/')) {
    if (!key.endsWith('/post.json')) continue;
    const post = await readManifest(storage, key).catch(() => null);
    if (!post) {
      result.unreadable += 1;
      continue;
    }
    result[await store.restore(post)] += 1;
  }
  return result;
}

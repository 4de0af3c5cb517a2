import { type PostRecord, PostRecord as PostRecordSchema, storageKeys } from '@inkpost/shared';
import type { Logger } from 'pino';
import type { PostStore } from './post-store.js';
import type { Storage } from './storage.js';

/**
 * Mirrors every post record to storage as `posts/<id>/post.json`, so losing Redis loses no post. Writes are
 * coalesced per post and always re-read the record from Redis, repeating until the stored manifest is the current
 * revision: several processes writing for the same post converge on the newest, never leave an older one last.
 */
export class ManifestWriter {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();

  constructor(
    private readonly store: PostStore,
    private readonly storage: Storage,
    private readonly log: Logger,
  ) {}

  /** Schedules a write of the post's manifest (fire and forget; failures are logged and retried next change). */
  schedule(postId: string): void {
    if (this.running.has(postId)) {
      this.again.add(postId);
      return;
    }
    const run = this.writeUntilCurrent(postId)
      .catch((err) => this.log.warn({ err, postId }, 'manifest write failed'))
      .finally(() => {
        this.running.delete(postId);
        if (this.again.delete(postId)) this.schedule(postId);
      });
    this.running.set(postId, run);
  }

  /** Resolves when every scheduled write has finished (for shutdown and tests). */
  async flush(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private async writeUntilCurrent(postId: string): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const post = await this.store.get(postId);
      if (!post) return;
      await this.storage.put(
        storageKeys.manifest(postId),
        Buffer.from(JSON.stringify(post)),
        'application/json',
      );
      const after = await this.store.get(postId);
      if (!after) {
        // Deleted meanwhile: a manifest left behind would bring the post back on a rebuild.
        await this.storage.deletePrefix(storageKeys.manifest(postId));
        return;
      }
      if (after.revision === post.revision) return;
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

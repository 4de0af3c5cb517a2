import type { Readable } from 'node:stream';
import type { Logger, Storage } from '@inkpost/core';
import { makeThumbnail } from './thumbnail.js';

/**
 * Thumbnails made at once, per process. sharp works on libuv's threadpool (4 threads by default, shared with file
 * reads and DNS lookups): a history page asking for 50 thumbnails nobody asked for before must not take all of them.
 */
export const THUMBNAIL_RENDERS = 2;

/** Bytes to answer with: a stored object's stream, or a thumbnail just made. */
export interface Servable {
  body: Readable | Buffer;
  contentType: string;
  contentLength: number | null;
}

/**
 * Page thumbnails made on demand: the image worker records where a version's thumbnail belongs (its deterministic
 * key) and the first request for it makes it, stores it there and serves it; later requests are served the stored
 * one. Requests for one thumbnail while it is being made wait for that render instead of starting their own; two
 * API processes may both make it, which is harmless, as both write the same bytes to the same key.
 */
export class ThumbnailStore {
  private readonly rendering = new Map<string, Promise<Buffer | null>>();
  private readonly slots: Slots;

  constructor(
    private readonly storage: Storage,
    private readonly log: Logger,
    concurrency = THUMBNAIL_RENDERS,
  ) {
    this.slots = new Slots(concurrency);
  }

  /**
   * The thumbnail stored at `thumbKey`, made from the image at `imageKey` when there is none yet. Null when no
   * thumbnail can be made: the image is not one sharp reads (the caller serves the image itself), or it is gone.
   */
  async get(thumbKey: string, imageKey: string): Promise<Servable | null> {
    // A render under way is joined at once: its thumbnail is not in storage yet.
    if (!this.rendering.has(thumbKey)) {
      const stored = await this.storage.get(thumbKey);
      if (stored) return stored;
    }
    const bytes = await this.render(thumbKey, imageKey);
    return bytes && { body: bytes, contentType: 'image/webp', contentLength: bytes.length };
  }

  /** The render of one thumbnail, shared by every request that asks for it while it runs. */
  private render(thumbKey: string, imageKey: string): Promise<Buffer | null> {
    let render = this.rendering.get(thumbKey);
    if (!render) {
      render = this.slots.run(() => this.make(thumbKey, imageKey));
      this.rendering.set(thumbKey, render);
      const forget = () => this.rendering.delete(thumbKey);
      render.then(forget, forget);
    }
    return render;
  }

  /** Reads the image (within the slot, so waiting renders hold no image in memory), shrinks it, stores it. */
  private async make(thumbKey: string, imageKey: string): Promise<Buffer | null> {
    const image = await this.storage.getBuffer(imageKey);
    if (!image) return null;
    const thumb = await makeThumbnail(image).catch((err: unknown) => {
      this.log.warn({ err, key: imageKey }, 'no thumbnail for this image; serving it full size');
      return null;
    });
    if (!thumb) return null;
    await this.storage.put(thumbKey, thumb.bytes, thumb.mimeType);
    return thumb.bytes;
  }
}

/** At most `limit` tasks run at once; the others wait their turn, first come first served. */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // A finished task hands its slot straight to the next in line, so `running` only drops when nobody waits.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import type { Storage, StoredObject } from '@inkpost/core';
import { type Copy, type PageRecord, PostRecord } from '@inkpost/shared';
import { describe, expect, it, vi } from 'vitest';
import { type Entry, fromBuffer, type ZipFile } from 'yauzl';
import { archiveEntries, copyMarkdown, outlineMarkdown, streamArchive } from './archive.js';

// ---- fakes ----

type Opener = () => Promise<Readable | null>;

/** In-memory `Storage`; `openers` replace `get` for single keys (lazy, failing or counted streams). */
class MemoryStorage implements Storage {
  readonly kind = 'fs' as const;
  readonly objects = new Map<string, Buffer>();
  readonly openers = new Map<string, Opener>();

  async put(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, body);
  }
  async get(key: string): Promise<StoredObject | null> {
    const opener = this.openers.get(key);
    const obj = this.objects.get(key);
    const body = opener ? await opener() : obj ? Readable.from(obj, { objectMode: false }) : null;
    return body
      ? { body, contentType: 'application/octet-stream', contentLength: obj?.length ?? null }
      : null;
  }
  async getBuffer(key: string): Promise<Buffer | null> {
    return this.objects.get(key) ?? null;
  }
  async exists(key: string): Promise<boolean> {
    return this.objects.has(key) || this.openers.has(key);
  }
  async *listKeys(prefix: string): AsyncIterable<string> {
    yield* [...this.objects.keys()].filter((k) => k.startsWith(prefix));
  }
  async findFirst(prefix: string): Promise<string | null> {
    return [...this.objects.keys()].sort().find((k) => k.startsWith(prefix)) ?? null;
  }
  async deletePrefix(): Promise<number> {
    throw new Error('not used by the archive');
  }
  async ensureReady(): Promise<void> {}
  close(): void {}
}

const AT = '2025-01-02T03:04:05.000Z';
const imageKey = (pageId: string, ext: string) => `posts/p1/pages/${pageId}/v1.${ext}`;

/** A page whose current image (version 1) has the given type, or a page without an image (null). */
function page(id: string, mimeType: string | null, content = `content of ${id}`): PageRecord {
  const key = imageKey(id, mimeType === 'image/jpeg' ? 'jpg' : 'png');
  const versions = mimeType
    ? [{ version: 1, key, mimeType, thumbKey: null, createdAt: AT, provider: 'fake', model: null }]
    : [];
  const version = mimeType ? 1 : 0;
  const status = mimeType ? 'completed' : 'pending';
  return {
    id,
    type: 'content',
    content,
    image: { status, version, lastVersion: version, pending: null, error: null, versions },
  };
}

/** A stored post; parsed, so fields with defaults can be left out and a malformed fixture fails loudly. */
function post(pages: PageRecord[], copy: Copy | null = null): PostRecord {
  return PostRecord.parse({
    id: 'p1',
    tenant: 't1',
    topic: 'Weekend in Hangzhou',
    status: 'completed',
    aspectRatio: '3:4',
    style: null,
    pageCountHint: null,
    autoGenerate: true,
    textProvider: 'fake',
    imageProvider: 'fake',
    webhookUrl: null,
    referenceImages: [],
    pages,
    copy,
    usage: {
      textTokensIn: 0,
      textTokensOut: 0,
      imagesGenerated: 0,
      providerCalls: 0,
      cost: null,
      currency: null,
    },
    estimate: null,
    error: null,
    outlineAttempt: 0,
    requestId: null,
    createdAt: AT,
    updatedAt: AT,
    revision: 1,
  });
}

const COPY: Copy = {
  titles: ['48 hours in Hangzhou', 'West Lake, slowly'],
  body: 'Go early.',
  tags: ['travel', '#hangzhou'],
};

// ---- zip reading ----

interface ZipEntry {
  name: string;
  data: Buffer;
  compressionMethod: number;
}

async function readZip(zip: Buffer): Promise<ZipEntry[]> {
  const file = await new Promise<ZipFile>((resolve, reject) =>
    fromBuffer(zip, { lazyEntries: true }, (err, f) => (err ? reject(err) : resolve(f))),
  );
  const entries: ZipEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    file.on('error', reject);
    file.on('end', resolve);
    file.on('entry', (entry: Entry) => {
      file.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        buffer(stream).then((data) => {
          entries.push({ name: entry.fileName, data, compressionMethod: entry.compressionMethod });
          file.readEntry();
        }, reject);
      });
    });
    file.readEntry();
  });
  return entries;
}

async function archive(p: PostRecord, storage: Storage): Promise<ZipEntry[]> {
  return readZip(await buffer(streamArchive(p, storage)));
}

/** Three pages with images (png, png, jpeg) stored in a fresh storage, with the bytes of each. */
function storedPost(copy: Copy | null = COPY) {
  const storage = new MemoryStorage();
  const p = post([page('a', 'image/png'), page('b', 'image/png'), page('c', 'image/jpeg')], copy);
  const images = [randomBytes(5000), randomBytes(70_000), randomBytes(123)];
  for (const [i, pg] of p.pages.entries()) storage.objects.set(pg.image.versions[0]!.key, images[i]!);
  return { storage, images, post: p };
}

// ---- tests ----

describe('markdown', () => {
  it('writes the outline with the topic as title and one section per page', () => {
    const p = post([{ ...page('a', null, 'Hook line'), type: 'cover' }, page('b', null, ' Body text \n')]);
    expect(outlineMarkdown(p)).toBe(
      '# Weekend in Hangzhou\n\n## 1. cover\n\nHook line\n\n## 2. content\n\nBody text\n',
    );
  });

  it('writes the copy with titles as a list, the body and a line of tags', () => {
    expect(copyMarkdown(post([], COPY))).toBe(
      '## Titles\n\n- 48 hours in Hangzhou\n- West Lake, slowly\n\n## Body\n\nGo early.\n\n## Tags\n\n#travel #hangzhou\n',
    );
    expect(copyMarkdown(post([], null))).toBeNull();
  });
});

describe('archiveEntries', () => {
  it('uses three digits from 100 pages on', () => {
    const pages = Array.from({ length: 100 }, (_, i) =>
      page(`p${i}`, i === 0 || i === 99 ? 'image/webp' : null),
    );
    const names = archiveEntries(post(pages), new MemoryStorage()).map((e) => e.name);
    expect(names).toEqual(['001.webp', '100.webp', 'outline.md']);
  });
});

describe('streamArchive', () => {
  it('holds the images in page order, byte for byte, then outline.md and copy.md', async () => {
    const { storage, images, post: p } = storedPost();
    const entries = await archive(p, storage);
    expect(entries.map((e) => e.name)).toEqual(['01.png', '02.png', '03.jpg', 'outline.md', 'copy.md']);
    expect(entries.slice(0, 3).map((e) => e.data)).toEqual(images);
    expect(entries[3]!.data.toString('utf8')).toBe(outlineMarkdown(p));
    expect(entries[4]!.data.toString('utf8')).toBe(copyMarkdown(p));
    // Images are stored as they are (method 0), the markdown is deflated (method 8).
    expect(entries.map((e) => e.compressionMethod)).toEqual([0, 0, 0, 8, 8]);
  });

  it('numbers images by page position, so a page without an image leaves a gap', async () => {
    const { storage, post: p } = storedPost();
    const pages = [p.pages[0]!, page('x', null), p.pages[2]!];
    const entries = await archive({ ...p, pages }, storage);
    expect(entries.map((e) => e.name)).toEqual(['01.png', '03.jpg', 'outline.md', 'copy.md']);
  });

  it('has no copy.md when the post has no copy', async () => {
    const { storage, post: p } = storedPost(null);
    const entries = await archive(p, storage);
    expect(entries.map((e) => e.name)).toEqual(['01.png', '02.png', '03.jpg', 'outline.md']);
  });

  it('skips an image missing from storage', async () => {
    const { storage, images, post: p } = storedPost();
    storage.objects.delete(imageKey('b', 'png'));
    const entries = await archive(p, storage);
    expect(entries.map((e) => e.name)).toEqual(['01.png', '03.jpg', 'outline.md', 'copy.md']);
    expect(entries[1]!.data).toEqual(images[2]);
  });

  it('errors the stream when storage throws', async () => {
    const { storage, post: p } = storedPost();
    storage.openers.set(imageKey('b', 'png'), () => Promise.reject(new Error('S3 is down')));
    await expect(buffer(streamArchive(p, storage))).rejects.toThrow('S3 is down');
  });

  it('errors the stream when an object fails mid-stream', async () => {
    const { storage, post: p } = storedPost();
    storage.openers.set(imageKey('b', 'png'), async () =>
      failingStream(64 * 1024, new Error('connection reset')),
    );
    await expect(buffer(streamArchive(p, storage))).rejects.toThrow('connection reset');
  });

  it('opens at most two objects at once and never buffers a whole image (40 × 3 MB)', async () => {
    const { storage, stats, post: p } = generatedPost(40);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        stats.consumed += chunk.length;
        setImmediate(callback); // a slowish client, so backpressure has to hold the producer back
      },
    });
    await pipeline(streamArchive(p, storage), sink);
    expect(stats.opened).toBe(40);
    expect(stats.open).toBe(0);
    expect(stats.maxOpen).toBeGreaterThanOrEqual(1);
    expect(stats.maxOpen).toBeLessThanOrEqual(2);
    expect(stats.produced).toBe(40 * ENTRY_SIZE);
    expect(stats.consumed).toBeGreaterThan(40 * ENTRY_SIZE);
    // Objects are read only about as fast as the client reads: far less than one image waits in buffers.
    expect(stats.maxAhead).toBeLessThan(1024 * 1024);
  });

  it('closes the open object and opens no more when the client goes away', async () => {
    const { storage, stats, post: p } = generatedPost(10);
    const output = streamArchive(p, storage);
    for await (const chunk of output) {
      stats.consumed += (chunk as Buffer).length;
      if (stats.consumed > ENTRY_SIZE + ENTRY_SIZE / 2) break; // for-await destroys the stream on break
    }
    await vi.waitFor(() => expect(stats.open).toBe(0));
    expect(stats.opened).toBe(2);
  });
});

// ---- generated objects ----

const ENTRY_SIZE = 3 * 1024 * 1024;

/** Objects opened so far and open now (and the most at once); bytes made and received, most made ahead. */
type StreamStats = Record<'opened' | 'open' | 'maxOpen' | 'produced' | 'consumed' | 'maxAhead', number>;

/** A post of `count` pages whose images are made on demand (ENTRY_SIZE bytes each), counting opens and closes. */
function generatedPost(count: number) {
  const storage = new MemoryStorage();
  const stats: StreamStats = { opened: 0, open: 0, maxOpen: 0, produced: 0, consumed: 0, maxAhead: 0 };
  const pages = Array.from({ length: count }, (_, i) => page(`p${i}`, 'image/png'));
  for (const pg of pages) {
    storage.openers.set(pg.image.versions[0]!.key, async () => generatedStream(ENTRY_SIZE, stats));
  }
  return { storage, stats, post: post(pages) };
}

/** A stream of `size` bytes made on demand, counted open from creation until it closes. */
function generatedStream(size: number, stats: StreamStats): Readable {
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let left = size;
  stats.opened += 1;
  stats.open += 1;
  stats.maxOpen = Math.max(stats.maxOpen, stats.open);
  const stream = new Readable({
    highWaterMark: chunk.length,
    read() {
      if (left <= 0) return void this.push(null);
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      stats.produced += part.length;
      stats.maxAhead = Math.max(stats.maxAhead, stats.produced - stats.consumed);
      this.push(part);
    },
  });
  stream.once('close', () => {
    stats.open -= 1;
  });
  return stream;
}

/** Sends `size` bytes, then fails like a dropped connection. */
function failingStream(size: number, error: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return void this.destroy(error);
      sent = true;
      this.push(Buffer.alloc(size, 1));
    },
  });
}

import { PassThrough, pipeline, Readable } from 'node:stream';
import type { Storage } from '@inkpost/core';
import { extensionForMime, type PageRecord, type PostRecord } from '@inkpost/shared';
import { ZipArchive } from 'archiver';

/** One file of a post's archive; `open` resolves null when the object is gone, so the entry is left out. */
export interface ArchiveEntrySource {
  name: string;
  open: () => Promise<Readable | null>;
}

/** The archive's files in order: the page images by page number, then `outline.md` and `copy.md`. */
export function archiveEntries(post: PostRecord, storage: Storage): ArchiveEntrySource[] {
  // Three digits from 100 pages on, so names still sort in page order.
  const width = post.pages.length >= 100 ? 3 : 2;
  const images = post.pages.flatMap((page, index): ArchiveEntrySource[] => {
    const current = currentImage(page);
    if (!current) return [];
    // Numbered by the page's position (not by which images exist), so `03.png` is always page 3.
    const name = `${String(index + 1).padStart(width, '0')}.${extensionForMime(current.mimeType)}`;
    return [{ name, open: async () => (await storage.get(current.key))?.body ?? null }];
  });
  const texts = [textEntry('outline.md', outlineMarkdown(post))];
  const copy = copyMarkdown(post);
  if (copy !== null) texts.push(textEntry('copy.md', copy));
  return [...images, ...texts];
}

function currentImage(page: PageRecord) {
  if (page.image.version <= 0) return null;
  return page.image.versions.find((v) => v.version === page.image.version) ?? null;
}

function textEntry(name: string, text: string): ArchiveEntrySource {
  // Readable.from() defaults to object mode; the zip writer wants a plain byte stream.
  return { name, open: async () => Readable.from(Buffer.from(text, 'utf8'), { objectMode: false }) };
}

/** The post's outline: the topic as title, then each page as `## <n>. <type>` and its content. */
export function outlineMarkdown(post: PostRecord): string {
  const pages = post.pages.map((page, index) => `## ${index + 1}. ${page.type}\n\n${page.content.trim()}`);
  return `${[`# ${post.topic.trim()}`, ...pages].join('\n\n')}\n`;
}

/** The post's copy (title options, body, tags), or null when the post has none. */
export function copyMarkdown(post: PostRecord): string | null {
  if (!post.copy) return null;
  const { titles, body, tags } = post.copy;
  // A tag is one `#word` on RED: drop a `#` the model already wrote and any whitespace that would split it.
  const hashTags = tags.map((t) => t.replace(/^#+/, '').replace(/\s+/g, '')).filter((t) => t.length > 0);
  const sections = [
    titles.length > 0 ? `## Titles\n\n${titles.map((t) => `- ${t.trim()}`).join('\n')}` : null,
    body.trim().length > 0 ? `## Body\n\n${body.trim()}` : null,
    hashTags.length > 0 ? `## Tags\n\n${hashTags.map((t) => `#${t}`).join(' ')}` : null,
  ].filter((s): s is string => s !== null);
  return `${sections.join('\n\n')}\n`;
}

/** Already-compressed images are stored as they are; deflating them costs CPU and saves nothing. */
function shouldDeflate(name: string): boolean {
  return name.endsWith('.md');
}

function entryDate(iso: string): Date {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? new Date() : date;
}

/**
 * The post as a ZIP, streamed: each object is opened only once the previous entry is in the archive, and piped
 * through, so memory stays bounded whatever the number and size of the images.
 */
export function streamArchive(post: PostRecord, storage: Storage): Readable {
  // archiver buffers up to 1 MB per stream stage by default (several MB per download); 64 KB keeps a download
  // to a few hundred KB in flight and is still large enough for S3-sized reads.
  const archive = new ZipArchive({ highWaterMark: 64 * 1024 });
  // A core PassThrough in front of archiver's userland stream: callers get a real `Readable`, and pipeline()
  // carries errors out to the caller and a gone client back in to the archive.
  const output = new PassThrough();
  pipeline(archive, output, () => {});
  // Every entry gets the post's timestamp, so the same post always yields the same bytes.
  const date = entryDate(post.updatedAt);
  appendEntries(archive, archiveEntries(post, storage), date).then(
    () => {
      // finalize() also rejects with an error the archive emits, which pipeline() has already passed on.
      if (!archive.destroyed) archive.finalize().catch(() => {});
    },
    (err: unknown) => output.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return output;
}

async function appendEntries(archive: ZipArchive, sources: ArchiveEntrySource[], date: Date): Promise<void> {
  for (const source of sources) {
    if (archive.destroyed) return;
    const body = await source.open();
    if (!body) continue; // deleted since the post was read: a partial archive beats none
    if (archive.destroyed) {
      body.destroy();
      return;
    }
    const appended = untilAppended(archive, body);
    archive.append(body, { name: source.name, date, store: !shouldDeflate(source.name) });
    await appended;
  }
}

/**
 * Resolves once archiver has written the entry; rejects when the object's stream fails, which archiver does not
 * watch (it would just stall). When the archive is torn down (the client went away) the object's stream is
 * destroyed, so an S3 socket is not left open.
 */
function untilAppended(archive: ZipArchive, body: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      archive.off('entry', onEntry);
      archive.off('close', onClose);
      body.off('error', settle);
      if (err) reject(err);
      else resolve();
    };
    const onEntry = () => settle();
    const onClose = () => {
      body.destroy();
      settle(new Error('archive closed before the entry was written'));
    };
    archive.on('entry', onEntry);
    archive.on('close', onClose);
    body.on('error', settle);
  });
}

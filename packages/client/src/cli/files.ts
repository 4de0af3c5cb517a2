import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { InkpostClient } from '../client.js';
import type { ImageFile, Post } from '../types.js';
import { UsageError } from './usage.js';

const MIME_BY_EXT: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

export const IMAGE_FILE = /\.(png|jpe?g|webp|gif)$/i;

/** Reads `--images` files; a missing or unsupported file is a usage error, caught before anything is sent. */
export async function readImages(files: string[], cwd: string): Promise<ImageFile[]> {
  return Promise.all(
    files.map(async (file) => {
      const mimeType = MIME_BY_EXT[path.extname(file).toLowerCase()];
      if (!mimeType) throw new UsageError(`--images ${file}: use a .png, .jpg, .webp or .gif file`);
      const bytes = await readFile(path.resolve(cwd, file)).catch(() => {
        throw new UsageError(`--images ${file}: file not found or not readable`);
      });
      return { bytes: new Uint8Array(bytes), mimeType, filename: path.basename(file) };
    }),
  );
}

/** The image's own format, from its first bytes (the archive names files the same way). */
export function imageExtension(bytes: Uint8Array): string {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45) return 'webp';
  return 'png';
}

/** `01`, `02`, … by page position; three digits from 100 pages on, so names still sort in page order. */
export function pageNumber(index: number, total: number): string {
  return String(index + 1).padStart(total >= 100 ? 3 : 2, '0');
}

/**
 * The outline as the API's archive writes it: the topic as title, then `## <n>. <type>` and the page text.
 */
export function outlineMarkdown(post: Post): string {
  const pages = post.pages.map((page, i) => `## ${i + 1}. ${page.type}\n\n${page.content.trim()}`);
  return `${[`# ${post.topic.trim()}`, ...pages].join('\n\n')}\n`;
}

/** The copy as the archive writes it: title options, body, and tags as RED `#tags`. */
export function copyMarkdown(copy: NonNullable<Post['copy']>): string {
  const tags = copy.tags.map((t) => t.replace(/^#+/, '').replace(/\s+/g, '')).filter((t) => t.length > 0);
  const sections = [
    copy.titles.length > 0 ? `## Titles\n\n${copy.titles.map((t) => `- ${t.trim()}`).join('\n')}` : null,
    copy.body.trim() ? `## Body\n\n${copy.body.trim()}` : null,
    tags.length > 0 ? `## Tags\n\n${tags.map((t) => `#${t}`).join(' ')}` : null,
  ].filter((s): s is string => s !== null);
  return `${sections.join('\n\n')}\n`;
}

/** Downloads one page's current image into `dir` as `NN.<ext>`; returns the file's path. */
export async function writePageImage(
  client: InkpostClient,
  post: Post,
  index: number,
  dir: string,
  signal: AbortSignal,
): Promise<string> {
  const page = post.pages[index]!;
  // The numbered version, not "the current one": the file is exactly the version the post shows.
  const bytes = await client.pageImage(post.id, index, { version: page.image.version, signal });
  const file = path.join(dir, `${pageNumber(index, post.pages.length)}.${imageExtension(bytes)}`);
  await writeFile(file, bytes);
  return file;
}

/**
 * Writes every rendered page, `outline.md`, and `copy.md` when asked and present; returns the files written.
 */
export async function writePostFiles(
  client: InkpostClient,
  post: Post,
  dir: string,
  opts: { copy: boolean; signal: AbortSignal },
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [index, page] of post.pages.entries()) {
    // A page whose newest render failed still has its previous image; the archive includes it too.
    if (page.image.version > 0) {
      files.push(await writePageImage(client, post, index, dir, opts.signal));
    }
  }
  const outline = path.join(dir, 'outline.md');
  await writeFile(outline, outlineMarkdown(post));
  files.push(outline);
  if (opts.copy && post.copy) {
    const copy = path.join(dir, 'copy.md');
    await writeFile(copy, copyMarkdown(post.copy));
    files.push(copy);
  }
  return files;
}

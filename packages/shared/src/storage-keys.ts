/**
 * Storage object keys. Everything of a post lives under `posts/<postId>/` so lifecycle rules and deletes work by
 * prefix; page images are keyed by the page's stable id and version, so a retried render overwrites rather than
 * duplicates.
 */
export const storageKeys = {
  postPrefix: (postId: string) => `posts/${postId}/`,
  manifest: (postId: string) => `posts/${postId}/post.json`,
  pageImage: (postId: string, pageId: string, version: number, ext: string) =>
    `posts/${postId}/pages/${pageId}/v${version}.${ext}`,
  /** Every stored image of one page version starts with this (whatever its extension). */
  pageImagePrefix: (postId: string, pageId: string, version: number) =>
    `posts/${postId}/pages/${pageId}/v${version}.`,
  pageThumb: (postId: string, pageId: string, version: number) =>
    `posts/${postId}/pages/${pageId}/thumbs/v${version}.webp`,
  referenceImage: (postId: string, n: number, ext: string) => `posts/${postId}/refs/${n}.${ext}`,
};

const EXT_BY_MIME: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/** The file extension for an image MIME type (`png` when unknown). */
export function extensionForMime(mimeType: string): string {
  return EXT_BY_MIME[mimeType] ?? 'png';
}

/** The MIME type of an image file extension (`image/png` when unknown). */
export function mimeForExtension(ext: string): string {
  return Object.entries(EXT_BY_MIME).find(([, e]) => e === ext)?.[0] ?? 'image/png';
}

/** The image MIME type of some bytes, read from their magic number, or null when they are not a supported image. */
export function sniffImageMime(bytes: Uint8Array): string | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'image/webp';
  if (b.length >= 6 && ascii(b, 0, 4) === 'GIF8') return 'image/gif';
  return null;
}

function ascii(b: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...b.subarray(start, end));
}

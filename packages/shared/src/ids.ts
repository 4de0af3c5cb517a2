import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random string over [a-zA-Z0-9]; never contains `:` so it is safe inside BullMQ job ids and Redis keys. */
export function randomId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/** A new post id: `post_` + 22 url-safe characters. */
export function newPostId(): string {
  return `post_${randomId(22)}`;
}

/** A new stable page id (survives reordering, unlike the index). */
export function newPageId(): string {
  return `pg_${randomId(12)}`;
}

export const POST_ID_PATTERN = /^post_[A-Za-z0-9_-]{20,64}$/;
export const PAGE_ID_PATTERN = /^pg_[A-Za-z0-9]{6,32}$/;

/**
 * The BullMQ job id of one page render. Deterministic, so enqueueing the same page version twice is a no-op, and
 * built only from `-`/`_`/alphanumerics because BullMQ rejects ids containing `:`.
 */
export function pageJobId(postId: string, pageId: string, version: number): string {
  return `page-${postId}-${pageId}-v${version}`;
}

/** The BullMQ job id of a post's outline job. One per outline attempt of the post. */
export function outlineJobId(postId: string, attempt: number): string {
  return `outline-${postId}-a${attempt}`;
}

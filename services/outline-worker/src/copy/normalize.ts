/**
 * Normalisation shared by the parser and the offline writer, so that both hand out copy with the same shape.
 * Every function here is idempotent: normalising already-normal copy returns it unchanged.
 */

export const TITLE_COUNT = 3;
export const MIN_BODY_CHARS = 200;
export const MAX_BODY_CHARS = 500;
export const MIN_TAGS = 5;
export const MAX_TAGS = 8;

const TITLE_DECOR_RE =
  /^(?:[-*•·>]\s*|#{1,6}\s+|\(?\d{1,2}[.)、:：](?!\d)\s*|[（(]\d{1,2}[）)]\s*|[①-⑩]\s*|(?:标题|title)\s*\d{0,2}\s*[:：]\s*)/iu;
const QUOTE_PAIRS: readonly [string, string][] = [
  ['"', '"'],
  ['“', '”'],
  ['「', '」'],
  ['『', '』'],
  ["'", "'"],
  ['‘', '’'],
];
const SENTENCE_ENDS = '。！？!?.';
const CLOSING_MARKS = '”’」』)）"\'';
const TAG_SPLIT_RE = /[,，、;；|｜\n]+/;
const TAG_EDGE_RE = /^[\p{P}~～\s]+|[\p{P}~～\s]+$/gu;
const HASHTAG_LINE_RE = /^#[^#\s]+#?(?:\s*#[^#\s]+#?)*$/u;

function unquote(text: string): string {
  for (const [open, close] of QUOTE_PAIRS) {
    if (text.length >= 2 && text.startsWith(open) && text.endsWith(close)) return text.slice(1, -1).trim();
  }
  return text;
}

export function cleanTitle(title: string): string {
  let text = title
    .replace(/\*\*|__/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = unquote(text.replace(TITLE_DECOR_RE, '').trim());
  }
  return text;
}

export function normalizeTitles(titles: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const title of titles.map(cleanTitle)) {
    const key = title.toLowerCase();
    if (!title || seen.has(key)) continue;
    seen.add(key);
    out.push(title);
  }
  return out.slice(0, TITLE_COUNT);
}

function cleanTag(tag: string): string {
  return tag
    .replace(/\[话题\]/g, '')
    .replace(/#/g, '')
    .replace(/\s+/g, '')
    .replace(TAG_EDGE_RE, '');
}

/**
 * Splits free text into tags. Hashtags end at whitespace; without them a list is split on commas or 、, and only
 * a list with no separators at all is split on spaces ("早睡 自律 健康").
 */
export function splitTags(text: string): string[] {
  const pieces = text.split(TAG_SPLIT_RE);
  const multiple = pieces.length > 1 || text.includes('#');
  return pieces.flatMap((piece) => {
    if (piece.includes('#')) return piece.split(/[#\s]+/);
    return multiple ? [piece] : piece.split(/\s+/);
  });
}

/** Array items are single tags unless they obviously hold several ("#a #b", "a、b"). */
export function normalizeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    const pieces = raw.includes('#') || TAG_SPLIT_RE.test(raw) ? splitTags(raw) : [raw];
    for (const tag of pieces.map(cleanTag)) {
      const key = tag.normalize('NFKC').toLowerCase();
      if (!tag || seen.has(key)) continue;
      seen.add(key);
      out.push(tag);
    }
  }
  return out.slice(0, MAX_TAGS);
}

/** Hashtag-only lines at the end of a body are the model's tags in the wrong place: they move to the tags. */
export function takeTrailingHashtags(body: string): { body: string; tags: string[] } {
  const lines = body.trimEnd().split('\n');
  const tags: string[] = [];
  while (lines.length > 0) {
    const last = lines[lines.length - 1]!.trim();
    if (last && !HASHTAG_LINE_RE.test(last)) break;
    if (last) tags.unshift(...splitTags(last));
    lines.pop();
  }
  return { body: lines.join('\n'), tags };
}

function isSentenceEnd(chars: readonly string[], i: number): boolean {
  const char = chars[i]!;
  if (!SENTENCE_ENDS.includes(char)) return false;
  // "3.5 km" or "e.g.x" are not sentence ends; a period needs a space, a line end or the text end after it.
  return char !== '.' || !/[\p{L}\p{N}]/u.test(chars[i + 1] ?? ' ');
}

/**
 * Cuts at the last sentence end that still leaves the minimum body length; an earlier one would throw away most
 * of the copy, so the text is then hard-cut with an ellipsis instead.
 */
function cutBody(body: string): string {
  const chars = [...body];
  if (chars.length <= MAX_BODY_CHARS) return body;
  for (let i = MAX_BODY_CHARS - 1; i >= MIN_BODY_CHARS - 1; i--) {
    if (!isSentenceEnd(chars, i)) continue;
    let end = i + 1;
    while (end < MAX_BODY_CHARS && CLOSING_MARKS.includes(chars[end]!)) end++;
    return chars.slice(0, end).join('').trimEnd();
  }
  return `${chars
    .slice(0, MAX_BODY_CHARS - 1)
    .join('')
    .trimEnd()}…`;
}

/** Everything but the length cut, so that hashtags can be moved out before the body is measured. */
export function tidyBody(body: string): string {
  let text = body.replace(/\r\n?/g, '\n');
  // Some models double-escape line breaks inside JSON, leaving a literal backslash-n and no real line break.
  if (!text.includes('\n') && text.includes('\\n')) text = text.replace(/\\n/g, '\n');
  return text
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function normalizeBody(body: string): string {
  return cutBody(tidyBody(body));
}

import { readLenientJson } from './lenient-json.js';
import {
  normalizeBody,
  normalizeTags,
  normalizeTitles,
  splitTags,
  takeTrailingHashtags,
  tidyBody,
} from './normalize.js';
import { parseSections, type RawCopy, sectionOf } from './sections.js';

export interface PostCopy {
  titles: string[];
  body: string;
  tags: string[];
}

export class CopyParseError extends Error {
  readonly code = 'copy_unparseable';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CopyParseError';
  }
}

const KEYS: Record<string, keyof RawCopy> = {
  titles: 'titles',
  title: 'titles',
  headlines: 'titles',
  headline: 'titles',
  标题: 'titles',
  备选标题: 'titles',
  body: 'body',
  content: 'body',
  text: 'body',
  copy: 'body',
  caption: 'body',
  正文: 'body',
  文案: 'body',
  内容: 'body',
  tags: 'tags',
  tag: 'tags',
  hashtags: 'tags',
  topics: 'tags',
  标签: 'tags',
  话题: 'tags',
  话题标签: 'tags',
};
// Scanning every brace of a long answer is cheap, but a pathological one should not turn into quadratic work.
const MAX_JSON_ATTEMPTS = 50;
const THINK_PAIR_RE = /<(think|thinking|reasoning)>[\s\S]*?<\/\1\s*>/gi;
const THINK_CLOSE_RE = /<\/(?:think|thinking|reasoning)\s*>/gi;
const THINK_OPEN_RE = /<(?:think|thinking|reasoning)>/i;
const REFUSAL_RES = [
  /^(?:抱歉|对不起|很抱歉|非常抱歉|不好意思)[\s\S]{0,40}(?:无法|不能|不可以|没办法|不便)/,
  /^(?:i'm sorry|i am sorry|sorry|i apologi[sz]e)\b[\s\S]{0,120}\b(?:cannot|can't|unable|won't|not able)\b/i,
  /^i (?:cannot|can't|won't|am unable to|'m unable to)\b/i,
  /^as an ai\b/i,
];

function fail(reason: string, raw: string): CopyParseError {
  const chars = Array.from(raw.trim());
  const excerpt = chars.slice(0, 120).join('') + (chars.length > 120 ? '…' : '');
  return new CopyParseError(
    `Could not parse the post copy: ${reason}. Output began with: ${JSON.stringify(excerpt)}`,
  );
}

function normalizeText(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(/[\uFEFF\u200B-\u200D\u2060]/g, '')
    .replace(/\u00A0/g, ' ');
}

function startsAnswer(line: string): boolean {
  return /^\s*(?:\{|`{3,})/.test(line) || sectionOf(line)?.section === 'titles';
}

/**
 * Closed reasoning blocks are removed, and a lone closing tag means the opening one was stripped by a gateway.
 * An unclosed <think> is a model that forgot to close it: the answer is taken from the last line inside it that
 * opens JSON, a fence or a titles section; without one the whole tail is reasoning.
 */
function stripThinking(text: string): string {
  let out = text.replace(THINK_PAIR_RE, '');
  const closes = [...out.matchAll(THINK_CLOSE_RE)];
  const lastClose = closes[closes.length - 1];
  if (lastClose) out = out.slice(lastClose.index + lastClose[0].length);
  const open = THINK_OPEN_RE.exec(out);
  if (!open) return out;
  const lines = out.slice(open.index + open[0].length).split('\n');
  const start = lines.findLastIndex(startsAnswer);
  return `${out.slice(0, open.index)}\n${start < 0 ? '' : lines.slice(start).join('\n')}`;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number') return [String(value)];
  return Array.isArray(value) ? value.flatMap(strings) : [];
}

function toRawCopy(value: unknown): RawCopy | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const found: Partial<Record<keyof RawCopy, unknown>> = {};
  for (const [key, item] of Object.entries(value)) {
    const section = KEYS[key.trim().toLowerCase()];
    // Objects are skipped so that a wrapper like {"copy": {...}} is not taken for the body; the scan in
    // findJsonCopy reaches the inner object next.
    const usable = typeof item === 'string' || Array.isArray(item);
    if (section && usable && !(section in found)) found[section] = item;
  }
  if (!('titles' in found) && !('body' in found)) return null;
  return {
    titles: strings(found.titles).flatMap((t) => t.split('\n')),
    body: strings(found.body).join('\n\n'),
    tags: typeof found.tags === 'string' ? splitTags(found.tags) : strings(found.tags),
  };
}

// Every "{" is a possible start: chatter, fences and wrappers such as {"result": {...}} are simply skipped.
function findJsonCopy(text: string): RawCopy | null {
  let attempts = 0;
  for (let i = text.indexOf('{'); i >= 0 && attempts < MAX_JSON_ATTEMPTS; i = text.indexOf('{', i + 1)) {
    attempts++;
    const copy = toRawCopy(readLenientJson(text, i)?.value);
    if (copy) return copy;
  }
  return null;
}

function isRefusal(text: string): boolean {
  const head = text.replace(/\*\*/g, '').replace(/[’‘]/g, "'").trim();
  return REFUSAL_RES.some((re) => re.test(head));
}

function finish(found: RawCopy, raw: string): PostCopy {
  const moved = takeTrailingHashtags(tidyBody(found.body));
  const titles = normalizeTitles(found.titles);
  const body = normalizeBody(moved.body);
  const tags = normalizeTags([...found.tags, ...moved.tags]);
  if (titles.length === 0) throw fail('the answer has no titles', raw);
  if (!body) throw fail('the answer has no body text', raw);
  if (tags.length === 0) throw fail('the answer has no tags', raw);
  return { titles, body, tags };
}

export function parseCopy(raw: string): PostCopy {
  if (!raw.trim()) throw fail('the model returned an empty response', raw);
  const text = stripThinking(normalizeText(raw)).trim();
  if (!text) {
    const thought = /<\/?(?:think|thinking|reasoning)\s*>/i.test(raw);
    throw fail(thought ? 'the model returned only its reasoning (<think>) and no copy' : 'no copy text', raw);
  }
  const found = findJsonCopy(text) ?? parseSections(text);
  if (!found) {
    throw fail(
      isRefusal(text)
        ? 'the model declined to write the copy'
        : 'no JSON object and no 标题/正文/标签 (Titles/Body/Tags) sections found',
      raw,
    );
  }
  return finish(found, raw);
}

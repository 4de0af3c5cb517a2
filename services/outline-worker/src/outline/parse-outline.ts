export type OutlinePageType = 'cover' | 'content' | 'summary';

export interface OutlinePage {
  type: OutlinePageType;
  content: string;
}

export class OutlineParseError extends Error {
  readonly code = 'outline_unparseable';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutlineParseError';
  }
}

interface Marker {
  type?: OutlinePageType;
  rest: string;
  /** Strong markers (bracketed tags, page numbers) are unambiguous enough to start a page anywhere. */
  strong: boolean;
}

interface Block {
  type?: OutlinePageType;
  marked: boolean;
  lines: string[];
}

const TYPE_WORDS: Record<OutlinePageType, string[]> = {
  cover: ['封面', 'cover'],
  content: ['内容', '正文', 'content', 'body'],
  summary: ['总结', '小结', '结尾', 'summary', 'conclusion', 'recap'],
};
const TYPE_BY_WORD = new Map(
  Object.entries(TYPE_WORDS).flatMap(([type, words]) =>
    words.map((w) => [w, type as OutlinePageType] as const),
  ),
);
const WORDS = [...TYPE_BY_WORD.keys()].join('|');
const SUFFIX = '(?:页|\\s*page|\\s*slide)?';
const ORDINAL = '(?:\\s*[#-]?\\s*\\d+)?';
const BRACKET_RE = new RegExp(`^[\\[【(（「]\\s*(${WORDS})${SUFFIX}${ORDINAL}\\s*[\\]】)）」]`, 'iu');
// A bare word counts only when punctuation or the line end follows, so "内容丰富" or "Coverage" stay text.
const BARE_RE = new RegExp(`^(${WORDS})${SUFFIX}${ORDINAL}(?=$|\\s*[:：|｜\\-—–])`, 'iu');
const BARE_AFTER_NUMBER_RE = new RegExp(`^(${WORDS})${SUFFIX}${ORDINAL}(?=$|[\\s:：|｜\\-—–·,，(（])`, 'iu');
const NUMBER_RE =
  /^(?:第\s*[0-9０-９一二三四五六七八九十]+\s*[页张]|(?:page|slide|p)\s*[.#]?\s*\d+(?![\p{L}\p{N}]))[\s:：.、|｜·\-—–]*/iu;
const DECOR_RE = /^(?:#{1,6}\s*|>\s*|[-*•]\s+|\d{1,2}[.)、]\s*)/;
const LEAD_PUNCT_RE = /^[\s:：|｜·\-—–.、]+/;
const PAGE_TAG_RE = /<\s*\/?\s*page\s*\/?\s*>/gi;
const RULE_RE = /^\s*([-*=_—])(?:\s*\1){2,}\s*$/;
const FENCE_LINE_RE = /^[ \t]*(?:`{3,}|~{3,}).*$/gm;
const FENCE_BLOCK_RE = /^[ \t]*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n[ \t]*\1[ \t]*$/gm;
const THINK_PAIR_RE = /<(think|thinking|reasoning)>[\s\S]*?<\/\1\s*>/gi;
const THINK_CLOSE_RE = /<\/(?:think|thinking|reasoning)\s*>/gi;
const THINK_OPEN_RE = /<(?:think|thinking|reasoning)>/i;
const SEP = '\u241E';

// Preamble and sign-off patterns aim at the assistant talking about the outline, not at post copy: a cover may
// well start with "好的习惯" and a summary may end with "评论区告诉我".
const PREAMBLE_RES = [
  /^(?:好的|好呀|好滴|当然|没问题|收到|sure|certainly|of course|okay|ok|absolutely)(?:[，,。.!！~～]|$)/i,
  /^(?:以下|下面|这是|这里|根据|我为|为你|here|below|i(?:'ve| have))[\s\S]*(?:大纲|outline|为你|给你|for you)/i,
];
const CLOSER_RES = [
  /希望(?:这份|以上|这些|这个|本)?(?:大纲|内容|方案)?[^。\n]{0,6}(?:对你|能帮|有帮助|有所帮助)/,
  /大纲|页数|随时[^。\n]{0,4}(?:告诉我|找我|联系我)|需要我|要不要我|我可以再|我也可以/,
  /^(?:注|备注|说明|note)\s*[:：]/i,
  /\b(?:hope (?:this|it|that) helps|let me know if|feel free to|would you like me|happy to help|i can also)\b/i,
  /\boutline\b/i,
];
const REFUSAL_RES = [
  /^(?:抱歉|对不起|很抱歉|非常抱歉|不好意思)[\s\S]{0,40}(?:无法|不能|不可以|没办法|不便)/,
  /^(?:i'?m sorry|i am sorry|sorry|i apologi[sz]e)\b[\s\S]{0,120}\b(?:can(?:no|')t|unable|won'?t|not able)\b/i,
  /^i (?:can(?:no|')t|won'?t|am unable to|'m unable to)\b/i,
  /^as an ai\b/i,
];

function fail(reason: string, raw: string): OutlineParseError {
  const chars = Array.from(raw.trim());
  const excerpt = chars.slice(0, 120).join('') + (chars.length > 120 ? '…' : '');
  return new OutlineParseError(
    `Could not parse the outline: ${reason}. Output began with: ${JSON.stringify(excerpt)}`,
  );
}

function parseMarker(line: string): Marker | null {
  let s = line.replace(/\*\*|__/g, '').trim();
  s = s.replace(DECOR_RE, '');
  const num = NUMBER_RE.exec(s);
  if (num) s = s.slice(num[0].length);
  const bracket = BRACKET_RE.exec(s);
  const tag = bracket ?? (num ? BARE_AFTER_NUMBER_RE : BARE_RE).exec(s);
  if (!num && !tag) return null;
  const word = tag?.[1]?.toLowerCase();
  const rest = (tag ? s.slice(tag[0].length) : s).replace(LEAD_PUNCT_RE, '').trim();
  return { type: word ? TYPE_BY_WORD.get(word) : undefined, rest, strong: Boolean(num || bracket) };
}

function normalize(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(/[\uFEFF\u200B-\u200D\u2060\u241E]/g, '')
    .replace(/\u00A0/g, ' ');
}

/**
 * Closed <think> blocks are removed. A lone </think> means the opening tag was swallowed (some gateways strip
 * it), so everything before it is reasoning. An unclosed <think> is usually a model that forgot the close tag
 * before answering, so the outline is taken from the last cover-tag line inside it; without one, the whole
 * tail is reasoning (typically a run cut off by the token limit).
 */
function stripThinking(text: string): string {
  let out = text.replace(THINK_PAIR_RE, '');
  const closes = [...out.matchAll(THINK_CLOSE_RE)];
  const lastClose = closes[closes.length - 1];
  if (lastClose) out = out.slice(lastClose.index + lastClose[0].length);
  const open = THINK_OPEN_RE.exec(out);
  if (!open) return out;
  const lines = out.slice(open.index + open[0].length).split('\n');
  let start = lines.length;
  for (let i = lines.length - 1; i >= 0 && start === lines.length; i--) {
    const marker = parseMarker(lines[i]!);
    if (marker?.strong && marker.type === 'cover') start = i;
  }
  return `${out.slice(0, open.index)}\n${lines.slice(start).join('\n')}`;
}

function hasStructure(text: string): boolean {
  return (
    /<\s*\/?\s*page\s*\/?\s*>/i.test(text) ||
    text.split('\n').some((l) => RULE_RE.test(l) || parseMarker(l)?.strong)
  );
}

// Only a single fenced outline is unwrapped (dropping the chatter around it); anything else just loses the
// fence lines so that pages fenced one by one still survive.
function unwrapFence(text: string): string {
  const fences = [...text.matchAll(FENCE_BLOCK_RE)];
  const only = fences.length === 1 ? fences[0] : undefined;
  if (only?.[2] && hasStructure(only[2]) && !hasStructure(text.replace(only[0], ''))) return only[2];
  return text.replace(FENCE_LINE_RE, '');
}

type StartTest = (line: string) => { hasText: boolean } | null;

// A start line only opens a new block once the current one has body text, so "第1页" followed by "[封面]"
// (or a tag followed by a heading that itself looks like a tag) stays one page.
function splitAt(lines: string[], isStart: StartTest): string[][] {
  const blocks: string[][] = [];
  let current: string[] = [];
  let hasBody = false;
  for (const line of lines) {
    const start = line.trim() ? isStart(line) : null;
    if (start && hasBody) {
      blocks.push(current);
      current = [];
      hasBody = false;
    }
    current.push(line);
    if (line.trim() && (!start || start.hasText)) hasBody = true;
  }
  blocks.push(current);
  return blocks;
}

function toBlocks(text: string): string[][] | null {
  const withSeps = text.replace(PAGE_TAG_RE, `\n${SEP}\n`);
  const lines = withSeps.split('\n').map((l) => (RULE_RE.test(l) ? SEP : l));
  const hasSep = lines.includes(SEP);
  const markers = lines.map((l) => (l === SEP ? null : parseMarker(l)));
  const hasStrong = markers.some((m) => m?.strong);
  // Bare "内容：" is also a common field label inside a page, so it splits pages only when nothing better exists.
  const allowWeak = !hasSep && !hasStrong;
  if (allowWeak && !markers.some(Boolean)) {
    const isHeading = (l: string) => /^#{1,6}\s+\S/.test(l);
    if (lines.filter(isHeading).length < 2) return null;
    return splitAt(lines, (l) => (isHeading(l) ? { hasText: true } : null));
  }
  const segments = lines.join('\n').split(SEP);
  return segments.flatMap((segment) =>
    splitAt(segment.split('\n'), (l) => {
      const m = parseMarker(l);
      return m && (m.strong || allowWeak) ? { hasText: m.rest !== '' } : null;
    }),
  );
}

function isPreambleLine(line: string): boolean {
  const text = line.replace(/\*\*/g, '').trim();
  if (parseMarker(text)) return false;
  return (
    (/[:：]$/.test(text) && text.length <= 60) ||
    (text.length <= 80 && PREAMBLE_RES.some((re) => re.test(text)))
  );
}

// Chatter sharing the first block with the cover (no separator in between) is removed line by line.
function stripPreamble(lines: string[]): string[] {
  let i = 0;
  while (i < lines.length && (!lines[i]!.trim() || isPreambleLine(lines[i]!))) i++;
  return lines.slice(i);
}

function parseBlock(lines: string[]): Block {
  const body: string[] = [];
  let type: OutlinePageType | undefined;
  let marked = false;
  let i = 0;
  for (; i < lines.length && !type; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const marker = parseMarker(line);
    if (!marker) break;
    marked = true;
    type = marker.type;
    if (marker.rest) body.push(marker.rest);
  }
  const cleaned = [...body, ...lines.slice(i)].map((l) =>
    l
      .replace(/\*\*/g, '')
      .trim()
      .replace(/^#{1,6}\s+/, ''),
  );
  return { type, marked, lines: cleaned };
}

function bodyLines(block: Block): number {
  return block.lines.filter((l) => l.trim()).length;
}

function isCloser(paragraph: string[]): boolean {
  const text = paragraph.join('\n').trim();
  return text.length <= 240 && CLOSER_RES.some((re) => re.test(text));
}

// Sign-offs are only removed when a blank line separates them from the page, so a closing sentence written as
// part of the summary itself stays.
function stripTrailingChatter(block: Block): Block {
  const lines = [...block.lines];
  while (lines.length > 0) {
    while (lines.length > 0 && !lines[lines.length - 1]!.trim()) lines.pop();
    const blank = lines.findLastIndex((l) => !l.trim());
    if (blank < 0 && block.marked) break;
    if (!isCloser(lines.slice(blank + 1))) break;
    lines.splice(Math.max(blank, 0));
  }
  return { ...block, lines };
}

/**
 * When the model tagged its pages, untagged text before the tagged cover, or a short untagged block around
 * otherwise tagged pages, is talk about the outline rather than a page. An untagged block after a tagged
 * summary (sign-offs, a stray hashtag line) is dropped for the same reason.
 */
function dropChatter(input: Block[]): Block[] {
  let blocks = input.filter((b) => bodyLines(b) > 0);
  const firstCover = blocks.findIndex((b) => b.type === 'cover');
  if (firstCover > 0) blocks = blocks.filter((b, i) => i >= firstCover || b.marked);
  const onlyFirstUnmarked = (list: Block[]) => list.length > 1 && list.slice(1).every((b) => b.marked);
  const first = blocks[0];
  if (first && !first.marked && onlyFirstUnmarked(blocks) && bodyLines(first) <= 2) blocks = blocks.slice(1);
  const last = blocks[blocks.length - 1];
  const prev = blocks[blocks.length - 2];
  if (last && prev && !last.marked) {
    const othersMarked = blocks.slice(0, -1).every((b) => b.marked);
    if (prev.type === 'summary' || (othersMarked && bodyLines(last) <= 2)) blocks = blocks.slice(0, -1);
  }
  const tail = blocks[blocks.length - 1];
  if (tail) blocks[blocks.length - 1] = stripTrailingChatter(tail);
  return blocks.filter((b) => bodyLines(b) > 0);
}

function joinContent(lines: string[]): string {
  return lines
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function keepWithinLimit(blocks: Block[], maxPages: number): Block[] {
  if (blocks.length <= maxPages) return blocks;
  if (maxPages === 1) return blocks.slice(0, 1);
  return [...blocks.slice(0, maxPages - 1), blocks[blocks.length - 1]!];
}

/**
 * Untagged pages are typed by position: first is the cover, last is the summary when there are at least three
 * pages. Two untagged pages become cover + content: a summary right after the cover would have nothing to sum
 * up. Whatever the tags say, exactly one cover leads and a summary can only close the post.
 */
function assignTypes(blocks: Block[]): OutlinePage[] {
  const n = blocks.length;
  return blocks.map((block, i) => {
    const isLast = i === n - 1;
    let type: OutlinePageType = block.type ?? (i === 0 ? 'cover' : isLast && n >= 3 ? 'summary' : 'content');
    if (i === 0) type = 'cover';
    else if (type === 'cover' || (type === 'summary' && !isLast)) type = 'content';
    return { type, content: joinContent(block.lines) };
  });
}

function isRefusal(text: string): boolean {
  const head = text.replace(/\*\*/g, '').trim();
  return REFUSAL_RES.some((re) => re.test(head));
}

export function parseOutline(raw: string, opts: { maxPages?: number } = {}): OutlinePage[] {
  const requested = Math.floor(opts.maxPages ?? 20);
  const maxPages = Number.isFinite(requested) ? Math.max(1, requested) : 20;
  if (!raw.trim()) throw fail('the model returned an empty response', raw);
  const text = unwrapFence(stripThinking(normalize(raw))).trim();
  if (!text) {
    const thought = /<\/?(?:think|thinking|reasoning)\s*>/i.test(raw);
    throw fail(
      thought ? 'the model returned only its reasoning (<think>) and no outline' : 'no outline text',
      raw,
    );
  }
  // An apology followed by a real outline ("抱歉，我看不到图片，但…[封面]…") is still an outline.
  if (isRefusal(text) && !text.split('\n').some((l) => parseMarker(l)?.strong)) {
    throw fail('the model declined to write the outline', raw);
  }
  const raws = toBlocks(text);
  if (!raws) {
    throw fail(
      'no page structure found (no [封面]/[内容]/[总结] tags, page numbers or <page> separators)',
      raw,
    );
  }
  const [head, ...others] = raws;
  const parsedHead = head && !parseMarker(head.find((l) => l.trim()) ?? '') ? stripPreamble(head) : head;
  const blocks = dropChatter([parsedHead ?? [], ...others].map(parseBlock));
  if (blocks.length === 0) throw fail('no pages were left after removing chatter', raw);
  return assignTypes(keepWithinLimit(blocks, maxPages));
}

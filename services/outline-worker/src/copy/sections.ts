import { splitTags } from './normalize.js';

/** Copy as the model wrote it, before normalisation. */
export interface RawCopy {
  titles: string[];
  body: string;
  tags: string[];
}

type Section = keyof RawCopy;

// Plain words (they are also map keys), longer ones first so that "标题候选" is not read as "标题" followed by text.
const WORDS: Record<Section, string> = {
  titles: '备选标题|候选标题|标题备选|标题候选|标题|title options|headlines|headline|titles|title',
  body: '笔记正文|正文内容|正文|文案|内容|post copy|caption|body|copy|content|post',
  tags: '话题标签|推荐标签|标签|话题|hashtags|hashtag|tags|tag|topics',
};
const SECTION_BY_WORD = new Map<string, Section>(
  (Object.entries(WORDS) as [Section, string][]).flatMap(([section, words]) =>
    words.split('|').map((word) => [word, section] as const),
  ),
);
const ALL_WORDS = Object.values(WORDS).join('|');
const NUMBER = '(?:\\s*(?:\\d{1,2}|[一二三四五]))?';
const NOTE = '(?:\\s*[（(][^）)\\n]{0,20}[）)])?';
const BRACKETED_RE = new RegExp(`^[【\\[]\\s*(${ALL_WORDS})${NUMBER}\\s*[】\\]]\\s*[:：]?\\s*(.*)$`, 'iu');
const PLAIN_RE = new RegExp(`^(${ALL_WORDS})${NUMBER}${NOTE}\\s*(?:[:：]\\s*(.*))?$`, 'iu');
const LINE_DECOR_RE = /^(?:#{1,6}\s+|>\s*|[-*•]\s+|\p{Extended_Pictographic}\uFE0F?\s*)+/u;
const LIST_DECOR_RE = /^(?:[-*•]\s+|\d{1,2}[.)、]\s*)/;
const FENCE_RE = /^\s*(?:`{3,}|~{3,})/;
// Talk about the copy itself ("希望这份文案…", "let me know…"), as opposed to the post's own sign-off.
const CLOSER_RE =
  /(?:这份|以上|这篇|这些)(?:文案|内容|标题)|如(?:需|果需要|有需要)[^。\n]{0,12}(?:调整|修改)|需要我|要不要我|随时告诉我|let me know|hope (?:this|it|that) helps|feel free to|would you like|happy to (?:help|adjust)/i;

export function sectionOf(line: string): { section: Section; rest: string } | null {
  const text = line
    .replace(/\*\*|__/g, '')
    .trim()
    .replace(LINE_DECOR_RE, '');
  const match = BRACKETED_RE.exec(text) ?? PLAIN_RE.exec(text);
  const section = match?.[1] ? SECTION_BY_WORD.get(match[1].toLowerCase()) : undefined;
  return section ? { section, rest: (match?.[2] ?? '').trim() } : null;
}

function isTagChatter(line: string): boolean {
  return !line.includes('#') && /[。！？.!?]$/.test(line) && line.length > 8;
}

function collectTags(lines: readonly string[]): string[] {
  const tags: string[] = [];
  let started = false;
  for (const line of lines.map((l) => l.trim())) {
    // A blank line or a sentence after the tags is the model signing off, not more tags.
    if (!line ? started : isTagChatter(line)) break;
    if (!line) continue;
    started = true;
    tags.push(...splitTags(line.replace(LIST_DECOR_RE, '')));
  }
  return tags;
}

function stripCloser(body: string): string {
  const paragraphs = body.trimEnd().split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  if (paragraphs.length > 1 && last.length <= 120 && CLOSER_RE.test(last)) paragraphs.pop();
  return paragraphs.join('\n\n');
}

/**
 * Reads answers laid out as "标题：… 正文：… 标签：…" (or Titles/Body/Tags). Text before the first heading is
 * chatter. Returns null when no heading is found.
 */
export function parseSections(text: string): RawCopy | null {
  const parts: Record<Section, string[]> = { titles: [], body: [], tags: [] };
  let current: Section | null = null;
  let found = false;
  for (const line of text.split('\n')) {
    if (FENCE_RE.test(line)) continue;
    const heading = sectionOf(line);
    if (heading) {
      current = heading.section;
      found = true;
      if (heading.rest) parts[current].push(heading.rest);
    } else if (current) parts[current].push(line);
  }
  if (!found) return null;
  const last = current === 'body';
  const body = parts.body.join('\n');
  return {
    titles: parts.titles.map((l) => l.trim()).filter(Boolean),
    body: last ? stripCloser(body) : body,
    tags: collectTags(parts.tags),
  };
}

import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';

export type AspectRatio = '3:4' | '1:1' | '4:3' | '9:16' | '16:9';
export type PageType = 'cover' | 'content' | 'summary';

export interface TextCardInput {
  topic: string;
  pageType: PageType;
  content: string;
  pageNumber: number;
  pageCount: number;
  aspectRatio: AspectRatio;
  style?: string;
}

export interface TextCardTheme {
  /** Top and bottom stops of a vertical gradient. */
  background: readonly [string, string];
  cover?: { background: readonly [string, string]; ink: string };
  ink: string;
  muted: string;
  /** Bars, rules or highlighter colour, depending on the ornament. */
  accent: string;
  /** Bullets, list numbers and labels. */
  marker: string;
  badge: readonly [fill: string, ink: string];
  ornament: 'bar' | 'notebook' | 'editorial' | 'bubbles';
}

export const TEXT_CARD_THEMES: Record<string, TextCardTheme> = {
  minimal: {
    background: ['#FAFAF7', '#FAFAF7'],
    ink: '#1C1C1E',
    muted: '#8E8E93',
    accent: '#FF2442',
    marker: '#FF2442',
    badge: ['#EFEFEC', '#5A5A5F'],
    ornament: 'bar',
  },
  notebook: {
    background: ['#FBF5E6', '#F6ECD2'],
    ink: '#2E3A4F',
    muted: '#8C7F66',
    accent: 'rgba(246, 196, 67, 0.55)',
    marker: '#D9534F',
    badge: ['#2E3A4F', '#FBF5E6'],
    ornament: 'notebook',
  },
  magazine: {
    background: ['#F3EFE7', '#F3EFE7'],
    cover: { background: ['#151515', '#151515'], ink: '#F3EFE7' },
    ink: '#111111',
    muted: '#6E6A62',
    accent: '#E0301E',
    marker: '#E0301E',
    badge: ['#111111', '#F3EFE7'],
    ornament: 'editorial',
  },
  pastel: {
    background: ['#FFE3EE', '#E4E8FF'],
    ink: '#4B3F5C',
    muted: '#A395B3',
    accent: 'rgba(255, 143, 182, 0.35)',
    marker: '#FF7FA8',
    badge: ['#FFE3EE', '#E0588A'],
    ornament: 'bubbles',
  },
};

const HEIGHTS: Record<AspectRatio, number> = {
  '3:4': 1440,
  '1:1': 1080,
  '4:3': 810,
  '9:16': 1920,
  '16:9': 608,
};

export function textCardSize(aspectRatio: AspectRatio): { width: number; height: number } {
  return { width: 1080, height: HEIGHTS[aspectRatio] };
}

// ---------------------------------------------------------------- fonts and content

export const TEXT_CARD_FONT_FAMILY = 'Inkpost Noto Sans SC';
const FONT_PACKAGE = '@expo-google-fonts/noto-sans-sc';
let coverage: Uint32Array | undefined;

function fontFile(file: string): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve(`${FONT_PACKAGE}/${file}`);
  } catch {
    // An `exports` map added upstream could hide the TTFs; they still sit next to package.json.
    return join(dirname(require.resolve(`${FONT_PACKAGE}/package.json`)), file);
  }
}

/** The font's format-12 cmap as sorted [start, end] pairs, so undrawable characters can be dropped, not tofu'd. */
function readCoverage(path: string): Uint32Array {
  const fd = openSync(path, 'r');
  const read = (pos: number, len: number) => {
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, pos);
    return buf;
  };
  try {
    const dir = read(12, read(0, 12).readUInt16BE(4) * 16);
    for (let t = 0; t < dir.length; t += 16) {
      if (dir.toString('latin1', t, t + 4) !== 'cmap') continue;
      const cmap = read(dir.readUInt32BE(t + 8), dir.readUInt32BE(t + 12));
      for (let s = 0; s < cmap.readUInt16BE(2); s++) {
        const sub = cmap.readUInt32BE(8 + s * 8);
        if (cmap.readUInt16BE(sub) !== 12) continue;
        const ranges = new Uint32Array(cmap.readUInt32BE(sub + 12) * 2);
        for (let i = 0; i < ranges.length; i++) {
          ranges[i] = cmap.readUInt32BE(sub + 16 + (i >> 1) * 12 + (i & 1) * 4);
        }
        return ranges;
      }
    }
  } finally {
    closeSync(fd);
  }
  throw new Error(`text-card: ${path} has no format 12 cmap`);
}

function ensureFonts(): Uint32Array {
  if (coverage) return coverage;
  const regular = fontFile('400Regular/NotoSansSC_400Regular.ttf');
  for (const file of [regular, fontFile('700Bold/NotoSansSC_700Bold.ttf')]) {
    if (!GlobalFonts.registerFromPath(file, TEXT_CARD_FONT_FAMILY)) {
      throw new Error(`text-card: cannot load ${file}`);
    }
  }
  coverage = readCoverage(regular);
  return coverage;
}

function hasGlyph(ranges: Uint32Array, cp: number): boolean {
  let [lo, hi] = [0, ranges.length / 2 - 1];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[mid * 2]!) hi = mid - 1;
    else if (cp > ranges[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** marker: '' for a paragraph, '•' for a bullet, otherwise the list number as written ('1.', '①'). */
export interface TextCardBlock {
  text: string;
  marker: string;
}

const KEYCAP_LIST = /^((?:\d\uFE0F?\u20E3)+)\s*/u;
const EMOJI =
  /\p{Extended_Pictographic}\uFE0F|\p{Emoji_Presentation}|\p{Regional_Indicator}|\p{Emoji_Modifier}/gu;
const INVISIBLE = /[\u200B-\u200D\u2060]|\p{Variation_Selector}|\u20E3|[\u{E0000}-\u{E007F}]/gu;
const TAG = /^\s*[[【](?:封面|内容|正文|总结|cover|content|summary)页?[\]】]\s*/iu;
const BULLET = /^(?:[-*+]\s+|[•·●▪◦]\s*)/u;
const NUMBERED = /^(?:(\d{1,2})(?:[.)]\s+|[、）]\s*)|([\u2460-\u2473\u2776-\u2793])\s*)/u;

function cleanLine(raw: string, ranges: Uint32Array): string {
  const line = raw.replace(KEYCAP_LIST, (_, keys: string) => `${keys.replace(/\D/g, '')}. `);
  const drawable = [...line.replace(EMOJI, '').replace(INVISIBLE, '').replace(/\t/g, ' ')]
    .filter((ch) => ch === ' ' || hasGlyph(ranges, ch.codePointAt(0)!))
    .join('');
  return drawable
    .replace(TAG, '')
    .replace(/^\s*(?:#{1,6}|>)\s+|^[-*_=]{3,}$/, '')
    .replace(/\*\*/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Splits outline text into a heading (first non-empty line) and body blocks, keeping only drawable characters. */
export function parseTextCardContent(content: string): { heading: string; blocks: TextCardBlock[] } {
  const ranges = ensureFonts();
  const blocks: TextCardBlock[] = [];
  for (const raw of content.split(/\r?\n/)) {
    const line = cleanLine(raw, ranges);
    const numbered = NUMBERED.exec(line);
    const bullet = numbered ? null : BULLET.exec(line);
    const marker = numbered ? (numbered[2] ?? `${numbered[1]}.`) : bullet ? '•' : '';
    const text = line.slice((numbered ?? bullet)?.[0].length ?? 0).trim();
    if (text) blocks.push({ text, marker });
  }
  return { heading: blocks.shift()?.text ?? '', blocks };
}

// ---------------------------------------------------------------- line breaking

type Measure = (text: string) => number;
const CLOSING = new Set([...'，。！？、；：”’）》」』】〕〉…,.!?;:)]}%～']);
const OPENING = new Set([...'“‘（《「『【〔〈([{']);
const fontSpec = (size: number, bold: boolean) => `${bold ? 700 : 400} ${size}px "${TEXT_CARD_FONT_FAMILY}"`;
const isChar = (token: string | undefined) => token !== undefined && token !== ' ' && [...token].length === 1;

function measurer(ctx: SKRSContext2D, size: number, bold: boolean): Measure {
  const cache = new Map<string, number>();
  return (text) => {
    const cached = cache.get(text);
    if (cached !== undefined) return cached;
    ctx.font = fontSpec(size, bold);
    const width = ctx.measureText(text).width;
    cache.set(text, width);
    return width;
  };
}

const UNITS = / |[\u2e80-\u{10ffff}]|[^ \u2e80-\u{10ffff}]+/gu;

/** Lazily yields break units (spaces, CJK characters, Latin words), so wrapping long text can stop early. */
function* tokenize(text: string, m: Measure, maxW: number): Generator<string> {
  for (const [unit] of text.matchAll(UNITS)) {
    if (m(unit) <= maxW) {
      yield unit;
      continue;
    }
    // A word wider than the line is split wherever it overflows.
    let [part, width] = ['', 0];
    for (const ch of unit) {
      if (part && width + m(ch) > maxW) {
        yield part;
        [part, width] = ['', 0];
      }
      part += ch;
      width += m(ch);
    }
    yield part;
  }
}

/** Greedy wrap with light kinsoku; stops after `limit` lines so oversized text costs only what can be shown. */
function wrap(text: string, m: Measure, maxW: number, limit: number): string[] {
  const lines: string[][] = [];
  let line: string[] = [];
  const width = (tokens: string[]) => tokens.reduce((sum, t) => sum + m(t), 0);
  for (const token of tokenize(text, m, maxW)) {
    if (line.length === 0 && token === ' ') continue;
    if (line.length === 0 || width(line) + m(token) <= maxW) {
      line.push(token);
      continue;
    }
    const next = token === ' ' ? [] : [token];
    if (CLOSING.has(token[0]!) && line.length > 1 && isChar(line.at(-1))) next.unshift(line.pop()!);
    while (line.length > 1 && OPENING.has(line.at(-1)!)) next.unshift(line.pop()!);
    lines.push(line);
    if (lines.length >= limit) break;
    line = next;
  }
  const prev = lines.at(-1);
  // A lone trailing CJK character reads as an orphan; borrow one from the line above.
  if (
    lines.length < limit &&
    line.length === 1 &&
    isChar(line[0]) &&
    prev &&
    prev.length > 2 &&
    isChar(prev.at(-1))
  ) {
    line.unshift(prev.pop()!);
  }
  if (line.length && lines.length < limit) lines.push(line);
  return lines.map((tokens) => tokens.join('').trimEnd());
}

/** Narrowest width that keeps the same line count, so multi-line titles do not end in a stub. */
function balance(text: string, m: Measure, maxW: number, limit: number): string[] {
  const lines = wrap(text, m, maxW, limit);
  if (lines.length < 2 || lines.length >= limit) return lines;
  let [lo, hi] = [maxW / lines.length, maxW];
  while (hi - lo > 4) {
    const mid = (lo + hi) / 2;
    if (wrap(text, m, mid, limit).length > lines.length) lo = mid;
    else hi = mid;
  }
  return wrap(text, m, hi, limit);
}

function ellipsize(text: string, m: Measure, maxW: number, force = true): string {
  if (!force && m(text) <= maxW) return text;
  const chars = [...text];
  while (chars.length && m(`${chars.join('')}…`) > maxW) chars.pop();
  return `${chars.join('').replace(/[\s，、；：,;:…]+$/u, '')}…`;
}

// ---------------------------------------------------------------- layout

/** A line of text placed by its left edge and vertical centre, or a fully rounded shape (dot, pill). */
export type TextCardItem =
  | {
      kind: 'text';
      text: string;
      x: number;
      y: number;
      width: number;
      size: number;
      bold: boolean;
      color: string;
    }
  | { kind: 'pill'; x: number; y: number; width: number; height: number; color: string };
type TextLine = Extract<TextCardItem, { kind: 'text' }>;

export interface TextCardLayout {
  input: TextCardInput;
  theme: TextCardTheme;
  width: number;
  height: number;
  /** `u` is the scale unit (1 on a 1080×1080 card); the edges bound all text. */
  frame: { u: number; left: number; right: number; top: number; bottom: number };
  items: TextCardItem[];
  /** The heading or cover title lines, which ornaments decorate. */
  heading: TextLine[];
  /** The body line grid, which the notebook ruling follows. */
  grid: { top: number; step: number };
  /** False when text was cut short with an ellipsis. */
  complete: boolean;
}

type Frame = TextCardLayout['frame'];
type Page = Pick<TextCardLayout, 'items' | 'heading' | 'grid' | 'complete'>;
type Font = { size: number; bold: boolean; color: string };
interface Flow extends Font {
  lineHeight: number;
  top: number;
  bottom: number;
  gap?: number;
  marker?: string;
  center?: boolean;
  balanced?: boolean;
}
interface Parsed {
  topic: string;
  heading: string;
  blocks: TextCardBlock[];
}

function frameFor(theme: TextCardTheme, height: number): Frame {
  const u = Math.sqrt(1080 * height) / 1080;
  const pad = Math.round(80 * u);
  const inset = theme.ornament === 'bubbles' ? Math.round(28 * u) : 0;
  const left = theme.ornament === 'notebook' ? Math.round(pad + 56 * u) : pad + inset;
  return { u, left, right: 1080 - pad - inset, top: pad + inset, bottom: height - pad - inset };
}

const line = (text: string, x: number, y: number, width: number, { size, bold, color }: Font): TextLine => {
  return { kind: 'text', text, x, y, width, size, bold, color };
};
const pill = (x: number, y: number, width: number, height: number, color: string): TextCardItem => {
  return { kind: 'pill', x, y, width, height, color };
};
const single = (text: string): TextCardBlock[] => [{ text, marker: '' }];

function marker(f: Flow, text: string, x: number, y: number, width: number): TextCardItem {
  const d = Math.round(f.size * 0.3);
  const color = f.marker ?? f.color;
  return text === '•'
    ? pill(x + f.size * 0.25, y - d / 2, d, d, color)
    : line(text, x, y, width, { ...f, color, bold: true });
}

/** Places blocks top-down; when room runs out, the last visible line ends in an ellipsis. */
function flow(ctx: SKRSContext2D, fr: Frame, f: Flow, blocks: TextCardBlock[], out: TextCardItem[]) {
  const [m, mb] = [measurer(ctx, f.size, f.bold), measurer(ctx, f.size, true)];
  const align = (item: TextLine, maxW: number) => {
    if (f.center) item.x = fr.left + (maxW - item.width) / 2;
    return item;
  };
  let y = f.top;
  let last: { item: TextLine; maxW: number } | undefined;
  for (const [i, block] of blocks.entries()) {
    y += i > 0 ? (f.gap ?? 0) : 0;
    const indent = block.marker && !f.center ? Math.max(f.size * 1.5, mb(block.marker) + f.size * 0.5) : 0;
    const maxW = fr.right - fr.left - indent;
    const room = Math.max(0, Math.floor((f.bottom - y) / f.lineHeight));
    const lines = (f.balanced ? balance : wrap)(block.text, m, maxW, room + 1);
    for (const [j, text] of lines.slice(0, room).entries()) {
      const cy = y + f.lineHeight / 2;
      if (j === 0 && indent) out.push(marker(f, block.marker, fr.left, cy, mb(block.marker)));
      last = { item: align(line(text, fr.left + indent, cy, m(text), f), maxW), maxW };
      out.push(last.item);
      y += f.lineHeight;
    }
    if (lines.length <= room) continue;
    if (last) last.item.text = ellipsize(last.item.text, m, last.maxW);
    if (last) align(Object.assign(last.item, { width: m(last.item.text) }), last.maxW);
    return { y, fits: false };
  }
  return { y, fits: true };
}

function badge(ctx: SKRSContext2D, fr: Frame, label: string, right: boolean, [fill, ink]: readonly string[]) {
  const font = { size: Math.round(24 * fr.u), bold: true, color: ink ?? '' };
  const [width, height] = [measurer(ctx, font.size, true)(label), Math.round(46 * fr.u)];
  const boxW = Math.round(width + 36 * fr.u);
  const x = right ? fr.right - boxW : fr.left;
  return [
    pill(x, fr.top, boxW, height, fill ?? ''),
    line(label, x + (boxW - width) / 2, fr.top + height / 2, width, font),
  ];
}

/** A heading of at most three lines; it shrinks on its own before it is allowed to make the body smaller. */
function placeHeading(
  ctx: SKRSContext2D,
  fr: Frame,
  text: string,
  sizes: { from: number; to: number },
  top: number,
  color: string,
) {
  for (let size = sizes.from; ; size -= 2) {
    const lineHeight = Math.round(size * 1.3);
    const heading: TextLine[] = [];
    const f = { size, bold: true, color, lineHeight, top, bottom: top + 3 * lineHeight, balanced: true };
    const result = flow(ctx, fr, f, single(text), heading);
    if (result.fits || size - 2 < sizes.to) return { ...result, heading };
  }
}

/** The page badge, the summary label and the topic footer, with the footer's centre line. */
function pageChrome(ctx: SKRSContext2D, { input, theme, frame: fr }: TextCardLayout, parsed: Parsed) {
  const items = badge(ctx, fr, `${input.pageNumber} / ${input.pageCount}`, true, theme.badge);
  if (input.pageType === 'summary') {
    const label = /\p{Script=Han}/u.test(parsed.heading + parsed.topic) ? '总结' : 'SUMMARY';
    items.push(...badge(ctx, fr, label, false, [theme.marker, '#FFFFFF']));
  }
  const footer = { size: Math.round(24 * fr.u), bold: false, color: theme.muted };
  const footerY = fr.bottom - Math.round(12 * fr.u);
  const mf = measurer(ctx, footer.size, false);
  const topic = ellipsize(parsed.topic, mf, fr.right - fr.left - 90 * fr.u, false);
  items.push(line(topic, fr.left, footerY, mf(topic), footer));
  return { items, footerY };
}

/** Heading and body for a body type size of `size`; the heading scales with it. */
function planContent(ctx: SKRSContext2D, layout: TextCardLayout, parsed: Parsed, size: number): Page {
  const { theme, frame: fr } = layout;
  const { items, footerY } = pageChrome(ctx, layout, parsed);
  const editorial = theme.ornament === 'editorial';
  const from = Math.min(
    Math.round(size * (editorial ? 1.75 : 1.5)),
    Math.round((editorial ? 68 : 60) * fr.u),
  );
  const hTop = fr.top + Math.round(86 * fr.u);
  const head = placeHeading(ctx, fr, parsed.heading, { from, to: Math.round(size * 1.15) }, hTop, theme.ink);

  const lineHeight = Math.round(size * 1.65);
  const top = head.y + Math.round(size * (editorial ? 1.5 : 1.2));
  const bottom = footerY - Math.round(48 * fr.u);
  const gap = theme.ornament === 'notebook' ? 0 : Math.round(size * 0.5);
  const body = { size, bold: false, color: theme.ink, lineHeight, top, bottom, gap, marker: theme.marker };
  const fits = flow(ctx, fr, body, parsed.blocks, items).fits && head.fits;
  const grid = { top, step: lineHeight };
  return { items: [...head.heading, ...items], heading: head.heading, grid, complete: fits };
}

/** Lays the cover out from y = 0, then centres the block a little above the middle of the card. */
function planCover(
  ctx: SKRSContext2D,
  { theme, frame: fr }: TextCardLayout,
  parsed: Parsed,
  titleSize: number,
): Page {
  const [center, avail] = [theme.ornament === 'bubbles', fr.bottom - fr.top];
  const items: TextCardItem[] = [];
  let top = 0;
  if (parsed.topic && parsed.topic !== parsed.heading) {
    const size = Math.round(30 * fr.u);
    const label = { size, bold: true, color: theme.marker, lineHeight: size, top, bottom: size, center };
    top = flow(ctx, fr, label, single(`# ${parsed.topic}`), items).y + Math.round(36 * fr.u);
  }
  const lineHeight = Math.round(titleSize * 1.22);
  const heading: TextLine[] = [];
  const color = theme.cover?.ink ?? theme.ink;
  const tFlow = { size: titleSize, bold: true, color, lineHeight, top, bottom: top + 4 * lineHeight, center };
  const title = flow(ctx, fr, { ...tFlow, balanced: true }, single(parsed.heading), heading);

  const size = Math.max(Math.round(titleSize * 0.34), Math.round(26 * fr.u));
  const subTop = title.y + Math.round(titleSize * 0.6);
  const sFlow = { size, bold: false, color: theme.muted, lineHeight: Math.round(size * 1.6), top: subTop };
  const sub = flow(ctx, fr, { ...sFlow, bottom: avail, marker: theme.marker, center }, parsed.blocks, items);
  const dy = fr.top + Math.max(0, Math.round((avail - (parsed.blocks.length ? sub.y : title.y)) * 0.42));
  for (const item of [...heading, ...items]) item.y += dy;
  const grid = { top: sFlow.top + dy, step: sFlow.lineHeight };
  return { items: [...heading, ...items], heading, grid, complete: title.fits && sub.fits };
}

let measureCtx: SKRSContext2D | undefined;

/** Shrinks the type step by step until everything fits; if nothing does, the smallest size is kept, truncated. */
export function layoutTextCard(input: TextCardInput): TextCardLayout {
  const ranges = ensureFonts();
  const style = input.style && Object.hasOwn(TEXT_CARD_THEMES, input.style) ? input.style : 'minimal';
  const theme = TEXT_CARD_THEMES[style]!;
  const { width, height } = textCardSize(input.aspectRatio);
  const frame = frameFor(theme, height);
  const { heading, blocks } = parseTextCardContent(input.content);
  const topic = cleanLine(input.topic, ranges);
  const parsed = { topic, heading: heading || topic, blocks };
  const base = {
    input,
    theme,
    width,
    height,
    frame,
    items: [],
    heading: [],
    grid: { top: 0, step: 1 },
    complete: true,
  };
  measureCtx ??= createCanvas(1, 1).getContext('2d');
  const cover = input.pageType === 'cover';
  const u = frame.u;
  const [from, to, by] = cover ? [104 * u, 56 * u, 4] : [40 * u, Math.max(22, 26 * u), 2];
  for (let size = Math.round(from); ; size = Math.max(Math.round(to), size - by)) {
    const page = (cover ? planCover : planContent)(measureCtx, base, parsed, size);
    if (page.complete || size <= Math.round(to)) return { ...base, ...page };
  }
}

// ---------------------------------------------------------------- painting

function highlight(ctx: SKRSContext2D, layout: TextCardLayout): void {
  ctx.fillStyle = layout.theme.accent;
  for (const line of layout.heading) {
    const pad = line.size * 0.12;
    ctx.beginPath();
    ctx.roundRect(line.x - pad, line.y, line.width + pad * 2, line.size * 0.42, line.size * 0.08);
    ctx.fill();
  }
}

function circle(ctx: SKRSContext2D, x: number, y: number, r: number, color: string): void {
  ctx.fillStyle = color;
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fill();
}

const ORNAMENTS: Record<TextCardTheme['ornament'], (ctx: SKRSContext2D, layout: TextCardLayout) => void> = {
  bar: (ctx, { input, heading, frame: { u }, theme }) => {
    const line = input.pageType === 'cover' ? heading.at(-1) : heading[0];
    // On summary pages the label pill already sits where the bar would go.
    if (!line || input.pageType === 'summary') return;
    const below = input.pageType === 'cover';
    ctx.fillStyle = theme.accent;
    ctx.beginPath();
    ctx.roundRect(line.x, line.y + (below ? 1 : -1) * (line.size * 0.7 + 20 * u), 64 * u, 10 * u, 5 * u);
    ctx.fill();
  },
  notebook: (ctx, layout) => {
    const {
      width,
      height,
      grid,
      frame: { u },
    } = layout;
    ctx.fillStyle = '#D3DFE8';
    const first = grid.top - Math.floor((grid.top - 40 * u) / grid.step) * grid.step;
    for (let y = first; y < height - 20 * u; y += grid.step) {
      ctx.fillRect(0, Math.round(y), width, Math.max(1, 2 * u));
    }
    ctx.fillStyle = '#EBA6A0';
    ctx.fillRect(Math.round(116 * u), 0, Math.max(2, 3 * u), height);
    const holeGap = 150 * u;
    for (let y = (height / 2) % holeGap; y < height; y += holeGap) circle(ctx, 52 * u, y, 15 * u, '#E6DAC0');
    ctx.save();
    ctx.translate(width / 2, 18 * u);
    ctx.rotate(-0.05);
    ctx.fillStyle = 'rgba(255, 170, 180, 0.55)';
    ctx.fillRect(-120 * u, -28 * u, 240 * u, 56 * u);
    ctx.restore();
    highlight(ctx, layout);
  },
  editorial: (ctx, { input, width, height, heading, frame, theme }) => {
    const { u, right } = frame;
    if (input.pageType === 'cover') {
      ctx.fillStyle = theme.accent;
      ctx.fillRect(0, 0, Math.round(26 * u), height);
    } else {
      ctx.fillStyle = theme.ink;
      ctx.fillRect(0, 0, width, Math.round(14 * u));
      ctx.font = fontSpec(Math.round(320 * u), true);
      ctx.fillStyle = 'rgba(17, 17, 17, 0.05)';
      const number = String(input.pageNumber).padStart(2, '0');
      ctx.textBaseline = 'alphabetic';
      ctx.fillText(number, right - ctx.measureText(number).width, frame.bottom - 60 * u);
    }
    const last = heading.at(-1);
    if (!last) return;
    ctx.fillStyle = theme.accent;
    ctx.fillRect(
      last.x,
      Math.round(last.y + last.size * 0.75 + 16 * u),
      Math.round(96 * u),
      Math.round(10 * u),
    );
  },
  bubbles: (ctx, layout) => {
    const { width: w, height: h, frame } = layout;
    const u = frame.u;
    circle(ctx, 0.92 * w, 0.04 * h, 190 * u, '#FFF1BF');
    circle(ctx, 0.04 * w, 0.95 * h, 230 * u, '#CDF3E4');
    circle(ctx, 0.98 * w, 0.72 * h, 110 * u, '#E6DAFF');
    const inset = Math.round(36 * u);
    ctx.save();
    Object.assign(ctx, {
      shadowColor: 'rgba(170, 120, 190, 0.2)',
      shadowBlur: 40 * u,
      shadowOffsetY: 10 * u,
    });
    ctx.fillStyle = '#FFFFFF';
    ctx.beginPath();
    ctx.roundRect(inset, inset, w - inset * 2, h - inset * 2, Math.round(44 * u));
    ctx.fill();
    ctx.restore();
    const dotsX = layout.input.pageType === 'cover' ? w / 2 - 22 * u : frame.right - 52 * u;
    const dotsY = frame.bottom - 12 * u;
    for (const [i, color] of ['#FFB5CD', '#FFE08A', '#A8E3CC'].entries()) {
      circle(ctx, dotsX + i * 22 * u, dotsY, 7 * u, color);
    }
    highlight(ctx, layout);
  },
};

function paint(ctx: SKRSContext2D, layout: TextCardLayout): void {
  const { width, height, theme } = layout;
  const [top, bottom] = (layout.input.pageType === 'cover' && theme.cover?.background) || theme.background;
  const gradient = ctx.createLinearGradient(0, 0, 0, height);
  gradient.addColorStop(0, top);
  gradient.addColorStop(1, bottom);
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, width, height);
  ORNAMENTS[theme.ornament](ctx, layout);
  ctx.textBaseline = 'middle';
  for (const item of layout.items) {
    ctx.fillStyle = item.color;
    if (item.kind === 'text') {
      ctx.font = fontSpec(item.size, item.bold);
      ctx.fillText(item.text, item.x, item.y);
      continue;
    }
    ctx.beginPath();
    ctx.roundRect(item.x, item.y, item.width, item.height, Math.min(item.width, item.height) / 2);
    ctx.fill();
  }
}

export async function renderTextCard(input: TextCardInput): Promise<Buffer> {
  const layout = layoutTextCard(input);
  const canvas = createCanvas(layout.width, layout.height);
  paint(canvas.getContext('2d'), layout);
  return canvas.encode('png');
}

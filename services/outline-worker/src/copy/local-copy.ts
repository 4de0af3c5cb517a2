import { detectLanguage } from '../outline/prompt.js';
import { localTags } from './local-tags.js';
import {
  MAX_BODY_CHARS,
  MIN_BODY_CHARS,
  normalizeBody,
  normalizeTags,
  normalizeTitles,
} from './normalize.js';
import type { PostCopy } from './parse-copy.js';

type Language = 'zh' | 'en';

export interface LocalCopyInput {
  topic: string;
  pages: { type: 'cover' | 'content' | 'summary'; content: string }[];
  language?: 'zh' | 'en';
}

const TITLE_LIMIT: Record<Language, number> = { zh: 20, en: 60 };
// The topic is repeated in the intro; a long one is shortened there so it does not crowd out the outline.
const BODY_TOPIC_LIMIT: Record<Language, number> = { zh: 16, en: 40 };
const HEADING_CAP: Record<Language, number> = { zh: 14, en: 36 };

/** Three hook families (promise, personal, save-worthy): one title from each keeps the three distinct. */
const TITLES: Record<Language, readonly (readonly string[])[]> = {
  zh: [
    ['{t}｜新手照着做就行✨', '{t}，一篇讲明白📌', '{t}｜看完少走弯路👀'],
    ['{t}，我是这样做的🙌', '关于{t}，说点实在的', '{t}｜踩过坑才懂的事'],
    ['{t}｜建议先收藏🔖', '{t}｜这几点一定要知道', '一篇搞懂{t}，建议收藏'],
  ],
  en: [
    ['{T}: a beginner-friendly guide ✨', '{T}, made simple', '{T}: everything you need to know 📌'],
    ['{T}: what actually worked for me 💡', 'My honest take on {t}', '{T}: lessons I learned the hard way'],
    ['{T}: save this for later 🔖', 'Bookmark this: {t} in one post', '{T}: the only checklist you need'],
  ],
};

const TEXT = {
  zh: {
    intros: [
      '最近好多朋友问我「{t}」，今天干脆一次整理好。全是我自己试过、觉得真的有用的做法，没有空话🙌',
      '关于「{t}」，我一开始也走了不少弯路。后来慢慢摸索出一套适合自己的方法，今天认真写下来分享给你✨',
      '一直想好好聊聊「{t}」这件事。这篇是我反复实践之后的真心总结，不绕弯子，看完就能用上📝',
    ],
    leads: [
      '这篇一共 {n} 个重点，按顺序来👇',
      '我把要点整理成了 {n} 部分，照着顺序看就好👇',
      '先看看这篇都讲了什么👇',
    ],
    more: '……还有 {m} 点，都在图里',
    noOutline:
      '我的做法其实很简单：先想清楚为什么要做，再从最小的一步开始，每天留一点时间给它，坚持记录、定期回看。慢慢地，你会发现改变真的在发生。',
    middles: [
      '每一点都不难，真正难的是开始。别想着一次做到完美，先挑最容易的一条试一周，感受会完全不一样。',
      '我的经验是不用一下子全部照搬，先从最有感觉的那一点做起，慢慢找到自己的节奏就好💪',
      '图里每一页都写了具体做法，建议对照着看。遇到卡住的地方别着急，回头再看一遍，往往就想通了。',
      '说实话，我也是一点点试出来的，中间还放弃过好几次。所以别焦虑，慢一点也没关系，能坚持下来就已经很棒了🌷',
    ],
    closings: [
      '觉得有用就先收藏⭐，免得下次找不到～关注我，持续分享更多实用经验，有问题评论区见👇',
      '如果这篇对你有一点点帮助，记得点个收藏🌟，也欢迎关注我，我们一起慢慢变好呀～',
      '建议先收藏📌，实践的时候对照着看。关注我，下一篇继续分享干货！',
    ],
    detail: '：',
  },
  en: {
    intros: [
      'So many of you asked me about "{t}", so here is everything I have learned: only things I actually tried, no fluff 🙌',
      'I struggled with "{t}" for ages before I found what works for me. Here is my honest, practical take ✨',
      'I have wanted to write about "{t}" for a while. This is what I wish someone had told me at the start 📝',
    ],
    leads: [
      'Here is what is inside, in order 👇',
      'I broke it down into {n} parts, in order 👇',
      '{n} things this post covers 👇',
    ],
    more: '…plus {m} more in the images',
    noOutline:
      'My approach is simple: get clear on why you want it, start with the smallest possible step, give it a little time every day and write down how it goes. Change shows up sooner than you think.',
    middles: [
      'None of this is hard; starting is the hard part. Pick the easiest point and try it for one week.',
      'You do not have to copy everything at once. Start with the point that clicks and find your own rhythm 💪',
      'Every image in this post has the details, so go through them side by side with your own plan.',
      'Honestly, I figured this out bit by bit and gave up more than once. Go slow; showing up is what counts 🌷',
    ],
    closings: [
      'Save this so you can find it later ⭐ and follow me for more practical tips. Questions? See you in the comments 👇',
      'If this helped even a little, save it 🌟 and follow along for more. We will keep getting better together.',
      'Save this for when you start 📌 and follow me for the next one!',
    ],
    detail: ': ',
  },
} as const;

const CIRCLED = '①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳';
const LINE_DECOR_RE = /^(?:[-*•·>]|#{1,6}|\d{1,2}[.)、]|[①-⑳]|[✓✗]|\p{Extended_Pictographic}\uFE0F?)\s*/u;
const VISUAL_RE = /^(?:画面|配图|visual|image)\s*[:：]/i;
const SEPARATOR_RE = /^[\s｜|:：,，\-—–·]+/;
const TRAILING_PUNCT_RE = /[\s。.!！?？:：;；,，、]+$/u;

function hash(text: string): number {
  let value = 0x811c9dc5;
  for (const char of text) value = Math.imul(value ^ char.codePointAt(0)!, 0x01000193) >>> 0;
  return value;
}

// mulberry32: a tiny seeded generator so that the same topic always gets the same picks.
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

// A rotation rather than a shuffle: extra paragraphs are added in order, and every order reads naturally.
function rotate<T>(items: readonly T[], random: () => number): T[] {
  const offset = Math.floor(random() * items.length);
  return items.map((_, i) => items[(i + offset) % items.length]!);
}

const length = (text: string) => [...text].length;

function cleanTopic(topic: string): string {
  const clean = topic
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[?？!！。.,，;；:：、]+$/u, '');
  if (!clean) throw new TypeError('Copy topic must not be empty');
  return clean;
}

/** Prefers the topic's first clause over a mid-word cut ("跑步入门：新手如何…" → "跑步入门"). */
function shortenTopic(topic: string, limit: number, lang: Language): string {
  if (length(topic) <= limit) return topic;
  const clause = topic.split(lang === 'zh' ? /[，,：:｜|、;；—\s]+/ : /\s*[,:;|—–]\s*|\s+-\s+/)[0] ?? '';
  if (length(clause) >= 2 && length(clause) <= limit) return clause;
  if (lang === 'zh') return [...topic].slice(0, limit).join('');
  let out = '';
  for (const word of topic.split(' ')) {
    const next = out ? `${out} ${word}` : word;
    if (length(next) > limit) break;
    out = next;
  }
  return out || [...topic].slice(0, limit).join('');
}

function fill(template: string, topic: string): string {
  return template.replaceAll('{T}', topic.charAt(0).toUpperCase() + topic.slice(1)).replaceAll('{t}', topic);
}

function buildTitles(topic: string, lang: Language, random: () => number): string[] {
  return TITLES[lang].map((family) => {
    const template = pick(family, random);
    const budget = TITLE_LIMIT[lang] - (length(template) - 3);
    return fill(template, shortenTopic(topic, budget, lang));
  });
}

function cleanLine(line: string): string {
  let text = line.replace(/\*\*|__/g, '').trim();
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(LINE_DECOR_RE, '').trim();
  }
  return text.replace(TRAILING_PUNCT_RE, '');
}

/** A page's heading and first body line; the outline often prefixes headings with the topic ("早睡｜…"). */
function pagePoint(content: string, topic: string): { heading: string; detail: string } | null {
  const lines = content
    .split('\n')
    .map(cleanLine)
    .filter((l) => l && !VISUAL_RE.test(l));
  let heading = lines[0] ?? '';
  const bare = topic.replace(/[<>`]/g, '').toLowerCase();
  if (heading.toLowerCase().startsWith(bare)) {
    const rest = heading.slice(bare.length).replace(SEPARATOR_RE, '');
    if (rest) heading = rest;
  }
  // Without the topic in front, an English heading would start in lower case ("start with why").
  heading = heading.charAt(0).toUpperCase() + heading.slice(1);
  // A detail with its own colon ("第 1–2 天：…") would read as "标题：第 1–2 天：…", so it is left out.
  const detail = lines[1] && !/[:：]/.test(lines[1]) ? lines[1] : '';
  return heading ? { heading, detail } : null;
}

function cap(text: string, limit: number): string {
  return length(text) <= limit ? text : `${[...text].slice(0, limit - 1).join('')}…`;
}

interface Voice {
  lang: Language;
  intro: string;
  lead: string;
  middles: string[];
  closing: string;
}

function listBlock(voice: Voice, items: string[], total: number): string {
  const marker = (i: number) => (voice.lang === 'zh' ? (CIRCLED[i] ?? `${i + 1}.`) : `${i + 1}.`);
  const lines = items.map((item, i) => `${marker(i)} ${item}`);
  if (items.length < total) lines.push(TEXT[voice.lang].more.replace('{m}', String(total - items.length)));
  // "1 things" reads wrong, so a single point gets the lead that does not count.
  const lead = total === 1 ? TEXT[voice.lang].leads[0] : voice.lead;
  return [lead.replace('{n}', String(total)), ...lines].join('\n');
}

function compose(voice: Voice, list: string, middles: number): string {
  return [voice.intro, list, ...voice.middles.slice(0, middles), voice.closing].filter(Boolean).join('\n\n');
}

/** Layouts from richest to leanest; the first that fits wins, then short bodies get more paragraphs. */
function buildBody(voice: Voice, points: { heading: string; detail: string }[]): string {
  const { lang } = voice;
  const headings = points.map((p) => p.heading);
  const detailed = points.map((p) => (p.detail ? `${p.heading}${TEXT[lang].detail}${p.detail}` : p.heading));
  const capped = headings.map((h) => cap(h, HEADING_CAP[lang]));
  const layouts: [string, number][] = points.length
    ? [
        [listBlock(voice, detailed, points.length), 1],
        [listBlock(voice, headings, points.length), 1],
        [listBlock(voice, headings, points.length), 0],
        [listBlock(voice, capped, points.length), 0],
        ...capped.map((_, k): [string, number] => [
          listBlock(voice, capped.slice(0, -k - 1), points.length),
          0,
        ]),
      ]
    : [[TEXT[lang].noOutline, 1]];
  const fits = layouts.find(([list, middles]) => length(compose(voice, list, middles)) <= MAX_BODY_CHARS);
  const [list, middles] = fits ?? ['', 1];
  let count = middles;
  while (length(compose(voice, list, count)) < MIN_BODY_CHARS && count < voice.middles.length) count++;
  return compose(voice, list, count);
}

export function writeLocalCopy(input: LocalCopyInput): PostCopy {
  const topic = cleanTopic(input.topic);
  const lang = input.language ?? detectLanguage(topic);
  const random = seeded(hash(`${lang}:${topic.toLowerCase()}`));
  const text = TEXT[lang];
  const titles = buildTitles(topic, lang, random);
  const shortTopic = shortenTopic(topic, BODY_TOPIC_LIMIT[lang], lang);
  const voice: Voice = {
    lang,
    intro: pick(text.intros, random).replaceAll('{t}', shortTopic),
    lead: pick(text.leads, random),
    middles: rotate(text.middles, random),
    closing: pick(text.closings, random),
  };
  const points = input.pages
    .filter((page) => page.type === 'content')
    .map((page) => pagePoint(page.content, topic))
    .filter((point) => point !== null);
  const body = buildBody(voice, points);
  const tags = localTags(topic, lang, random);
  return { titles: normalizeTitles(titles), body: normalizeBody(body), tags: normalizeTags(tags) };
}

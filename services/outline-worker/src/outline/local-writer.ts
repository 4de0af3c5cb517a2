import { detectLanguage, normalizePageCount } from './prompt.js';

type Language = 'zh' | 'en';

/**
 * One template per page angle: the first line is a short label (reused in the cover and summary recap), the
 * second holds heading variants separated by " | ", the last is the visual scene, and the lines in between are
 * the body. Key order is the reading order of the post: whatever subset is picked is shown in this order.
 */
const ZH_ANGLES = {
  why: `想清楚为什么
{t}｜先想清楚为什么 | {t}｜值得开始的理由
先写下你想通过「{t}」改变的一件具体小事，越具体越容易坚持
算一算它每周要占用多少时间和精力，别只看别人晒出的结果
理由写清楚了，遇到瓶颈时才不会轻易放弃
书桌上摊开的笔记本，手写的目标清单特写`,
  prepare: `准备清单
{t}｜开始前要准备什么 | {t}｜准备工作一次说清
时间：在日历上固定每周 2–3 个时段，比“有空再说”靠谱得多
工具和材料：只准备马上用得上的，其余等真正需要时再添
信息：找 1–2 个靠谱的参考来源，不要同时看十个教程
桌面上整齐排列的准备物品，俯拍平铺`,
  basics: `新手入门
{t}｜新手先搞懂这几点 | {t}｜零基础入门
先弄懂最核心的那个概念或动作，细节可以边做边学
用最简单的版本完整做一遍，比反复看攻略更有用
记下第一次遇到的问题，它们就是接下来要学的重点
新手第一次尝试的场景，轻松明亮的氛围`,
  steps: `分步去做
{t}｜照着做的 4 个步骤 | {t}｜一步一步来
① 定一个一周内能完成的小目标
② 拆成每天 15–30 分钟就能做完的小任务
③ 每次做完打个勾，顺手记下用时和感受
④ 一周后复盘：保留有效的，删掉没用的
四个编号步骤的信息图，配简洁图标`,
  schedule: `第一周安排
{t}｜第一周这样安排 | {t}｜7 天上手计划
第 1–2 天：了解基础，把准备工作做完
第 3–5 天：每天做一小段，只求完成不求完美
第 6–7 天：回看记录，调整下一周的节奏
一周计划表，每天一个勾选框`,
  tools: `工具和资源
{t}｜好用的工具和资源 | {t}｜我的私藏清单
记录：备忘录或表格就够用，关键是每次都记
学习：挑一本书或一套课程，从头跟到尾
同伴：找一个一起做的人或社群，互相监督
手机、笔记本和书本拼成的工具清单`,
  budget: `时间和花费
{t}｜时间和花费怎么算 | {t}｜不花冤枉钱
先用手头已有的东西开始，确定会坚持再升级
给自己定上限：每月预算和每周时间都写下来
贵的不一定适合新手，先选口碑好的入门款
计算器、钱包和日程本，清爽配色`,
  mistakes: `避开误区
{t}｜新手最常踩的坑 | {t}｜这些错误别再犯
❌ 一开始目标定太高，三天就放弃
❌ 只收藏不行动，攻略存了一堆还没开始
❌ 拿自己的第一天和别人的第一百天比
✅ 换成：小目标 + 马上开始 + 只和昨天的自己比
左右对比图，错误做法打叉，正确做法打勾`,
  tips: `实用技巧
{t}｜亲测有效的小技巧 | {t}｜让效果翻倍的细节
💡 把要用的东西放在最显眼的地方，减少开始的阻力
💡 绑定一个已有习惯：饭后、通勤时顺手完成
💡 每周奖励自己一次，把坚持变成期待
便签式小贴士配灯泡图标，暖色调`,
  advanced: `进阶方向
{t}｜入门之后怎么进阶 | {t}｜想更进一步看这里
从“做完”升级到“做好”：每次只改进一个细节
找做得好的人，拆解他们的做法再模仿
每隔几周给自己一个稍难一点的挑战
人物沿台阶向上攀登的插画`,
  faq: `常见问题
{t}｜大家最常问的问题 | {t}｜Q&A 一次答完
Q：完全没经验能做吗？A：可以，从最简单的版本开始，边做边学
Q：一定要花很多钱吗？A：先用已有的，确定喜欢再投入
Q：卡住了怎么办？A：退回上一步，或者问问做过的人
对话气泡形式的问答卡片`,
  stick: `坚持下去
{t}｜怎样才能坚持下去 | {t}｜不半途而废的方法
用打卡表记录连续天数，看得见的进度最有动力
忙的时候只做一点点，保住节奏比完美更重要
每月回看一次最初的记录，你会发现自己进步了很多
贴满打卡贴纸的月历和进度条`,
  example: `真实的一天
{t}｜普通人的一天可以这样做 | {t}｜一个真实的例子
早上：花 5 分钟想好今天要完成的一小步
白天：用碎片时间完成它，顺手记一笔
晚上：用一句话写下今天的收获和明天的计划
从早到晚的时间轴插画，生活化场景`,
};

const EN_ANGLES = {
  why: `Start with why
{T}: start with why | {T}: why it is worth it
Write down one specific thing you want "{t}" to change for you
Estimate the real cost: how many hours a week will it take?
A clear reason is what keeps you going when progress stalls
an open notebook with a handwritten goal list, close-up on a desk`,
  prepare: `What to prepare
{T}: what to prepare | {T}: get set up first
Time: block 2–3 fixed slots a week in your calendar, not "whenever I am free"
Gear: get only what you need right now; add the rest later
Info: pick one or two trusted sources instead of ten tutorials
flat lay of neatly arranged essentials on a table, top-down shot`,
  basics: `The basics
{T}: the basics first | {T}: a beginner starting point
Learn the one core idea or move first; details can come later
Do the simplest complete version once — it beats rereading guides
Note what tripped you up: that is exactly what to learn next
a beginner trying it for the first time, bright and relaxed mood`,
  steps: `Step by step
{T}: 4 steps to follow | {T}, step by step
1. Set a small goal you can reach within a week
2. Break it into tasks of 15–30 minutes a day
3. Tick each one off and note how long it took
4. Review after a week: keep what worked, drop what did not
an infographic with four numbered steps and simple icons`,
  schedule: `Your first week
{T}: your first week | {T}: a 7-day plan
Days 1–2: learn the basics and finish setting up
Days 3–5: one short session a day — done beats perfect
Days 6–7: review your notes and adjust next week's pace
a one-week planner with a checkbox for each day`,
  tools: `Tools & resources
{T}: tools and resources | {T}: my go-to toolkit
Tracking: a notes app or spreadsheet is enough — just log every session
Learning: choose one book or course and follow it start to finish
People: find a buddy or community to keep each other accountable
a collage of a phone, a notebook and books laid out as a toolkit`,
  budget: `Time & money
{T}: time and money | {T} without wasting money
Start with what you already have; upgrade once you know you will stick with it
Set limits: write down a monthly budget and your weekly hours
Pricey is not better for beginners — choose a well-reviewed entry option
a calculator, a wallet and a planner in a clean palette`,
  mistakes: `Avoid the traps
{T}: common mistakes | {T}: avoid these traps
✗ Aiming too high at the start and quitting on day three
✗ Saving guides instead of doing — collecting is not progress
✗ Comparing your day one with someone else's day 100
✓ Instead: a small goal, start today, compare only with yourself
a side-by-side comparison with crosses for mistakes and ticks for fixes`,
  tips: `Practical tips
{T}: tips that actually work | {T}: small tweaks, big results
Keep what you need in plain sight so starting takes no effort
Attach it to an existing habit — after lunch, on your commute
Reward yourself once a week so sticking with it feels good
sticky-note tips with a light-bulb icon, warm tones`,
  advanced: `Level up
{T}: level up | {T}: beyond the basics
Move from "done" to "done well": improve one detail per session
Study people who do it well and break down what they do
Take on a slightly harder challenge every few weeks
an illustration of a person climbing to the next step of a staircase`,
  faq: `Quick FAQ
{T}: your questions answered | {T}: quick FAQ
No experience? Fine — start with the simplest version and learn as you go
Does it cost a lot? Use what you have until you know you enjoy it
Stuck? Go back one step, or ask someone who has done it
Q&A cards styled as chat bubbles`,
  stick: `Keep going
{T}: making it stick | {T}: how to keep going
Track your streak on a calendar — visible progress is motivating
On busy days do a tiny version; keeping the rhythm beats perfection
Once a month reread your first notes to see how far you have come
a monthly calendar filled with check-in stickers and a progress bar`,
  example: `A real day
{T}: what a real day looks like | {T}: a real-life example
Morning: take 5 minutes to pick today's one small step
Daytime: fit it into a spare moment and jot down a note
Evening: one line on what you learned and what comes next
a morning-to-evening timeline illustration with everyday scenes`,
} satisfies Record<AngleId, string>;

type AngleId = keyof typeof ZH_ANGLES;
const ANGLES: Record<Language, Record<AngleId, string>> = { zh: ZH_ANGLES, en: EN_ANGLES };
const ORDER = Object.keys(ZH_ANGLES) as AngleId[];
// Every post gets the concrete steps; the core angles are alternated with the rest so a short post still covers
// the essentials while different topics get different mixes.
const CORE: readonly AngleId[] = ['why', 'prepare', 'mistakes', 'tips'];
const EXTRA = ORDER.filter((id) => id !== 'steps' && !CORE.includes(id));

const COPY = {
  zh: {
    tags: { cover: '[封面]', content: '[内容]', summary: '[总结]' },
    visual: '画面：',
    style: '。风格：',
    styles: ['清新手账风，米白底色', '扁平插画风，低饱和配色', '杂志感排版，大字标题', '温暖治愈的水彩风'],
    coverTitles: ['{t}｜一篇讲清楚', '{t}｜新手也能照着做', '{t}｜我整理了这 {n} 个要点'],
    hooks: ['收藏起来，需要时直接照着做', '不绕弯子，全是马上能用的干货', '写给想开始、又不知道从哪下手的你'],
    inside: '本篇内容：',
    coverScene: '封面大标题排版，主题元素点缀',
    summaryTitles: ['{t}｜一页总结', '{t}｜收藏这张就够了'],
    actions: ['今天就从最小的一步开始', '先收藏，明天照着做第一步'],
    summaryScene: '要点清单卡片，逐条打勾',
    join: ' · ',
    check: '✅ ',
  },
  en: {
    tags: { cover: '[cover]', content: '[content]', summary: '[summary]' },
    visual: 'Visual: ',
    style: '. Style: ',
    styles: [
      'fresh journal style on a cream background',
      'flat illustration in muted colours',
      'magazine layout with big headline type',
      'warm, soft watercolour',
    ],
    coverTitles: ['{T}: everything you need to start', '{T}, made simple', '{T}: {n} things worth knowing'],
    hooks: ['Save this and follow it when you are ready', 'No fluff — only things you can use today'],
    inside: 'Inside: ',
    coverScene: 'bold cover typography with a few topic-related elements',
    summaryTitles: ['{T}: the recap', '{T} on one page'],
    actions: ['Start with the smallest step today', 'Save this and do step one tomorrow'],
    summaryScene: 'a checklist card with every item ticked',
    join: ' · ',
    check: '✓ ',
  },
} as const;

function hashTopic(text: string): number {
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

// mulberry32: tiny seeded PRNG so the same topic always yields the same picks.
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function pickAngles(count: number, random: () => number): AngleId[] {
  const core = shuffled(CORE, random);
  const extra = shuffled(EXTRA, random);
  const mixed: AngleId[] = [];
  for (let i = 0; i < Math.max(core.length, extra.length); i++) {
    if (core[i]) mixed.push(core[i]!);
    if (extra[i]) mixed.push(extra[i]!);
  }
  const chosen = new Set<AngleId>(['steps', ...mixed.slice(0, count - 1)]);
  return ORDER.filter((id) => chosen.has(id));
}

// Angle brackets would forge <page> separators, backticks code fences and line breaks tag lines, so the topic
// is flattened; trailing punctuation is dropped because it is spliced into headings like "{t}｜…".
function cleanTopic(topic: string): string {
  const flat = topic.replace(/[<>`]/g, '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat.replace(/[?？!！。.,，;；:：、]+$/u, ''));
  const clean = chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : chars.join('');
  if (!clean) throw new TypeError('Outline topic must not be empty');
  return clean;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

interface Draft {
  lang: Language;
  topic: string;
  angles: AngleId[];
  style: string;
  random: () => number;
}

function fill(text: string, draft: Draft): string {
  const { topic } = draft;
  return text
    .replaceAll('{t}', topic)
    .replaceAll('{T}', topic.charAt(0).toUpperCase() + topic.slice(1))
    .replaceAll('{n}', String(draft.angles.length));
}

function renderPage(
  draft: Draft,
  tag: string,
  heading: string,
  body: readonly string[],
  scene: string,
): string {
  const copy = COPY[draft.lang];
  const visual = `${copy.visual}${scene}${copy.style}${draft.style}`;
  return [tag, heading, ...body, visual].map((line) => fill(line, draft)).join('\n');
}

function angleParts(
  draft: Draft,
  id: AngleId,
): { label: string; headings: string[]; body: string[]; scene: string } {
  const lines = ANGLES[draft.lang][id].split('\n');
  return {
    label: lines[0]!,
    headings: lines[1]!.split(' | '),
    body: lines.slice(2, -1),
    scene: lines[lines.length - 1]!,
  };
}

function renderCover(draft: Draft, labels: string[]): string {
  const copy = COPY[draft.lang];
  const inside = `${copy.inside}${labels.slice(0, 4).join(copy.join)}${labels.length > 4 ? '…' : ''}`;
  const title = pick(copy.coverTitles, draft.random);
  return renderPage(draft, copy.tags.cover, title, [pick(copy.hooks, draft.random), inside], copy.coverScene);
}

// The recap lists every page's label, packed into at most four lines so the summary stays within 2–6 lines.
function renderSummary(draft: Draft, labels: string[]): string {
  const copy = COPY[draft.lang];
  const perLine = Math.ceil(labels.length / 4);
  const recap = Array.from(
    { length: Math.ceil(labels.length / perLine) },
    (_, i) => copy.check + labels.slice(i * perLine, (i + 1) * perLine).join(copy.join),
  );
  const title = pick(copy.summaryTitles, draft.random);
  const body = [...recap, pick(copy.actions, draft.random)];
  return renderPage(draft, copy.tags.summary, title, body, copy.summaryScene);
}

export function writeLocalOutline(input: {
  topic: string;
  pageCount?: number;
  language?: 'zh' | 'en';
}): string {
  const topic = cleanTopic(input.topic);
  const lang = input.language ?? detectLanguage(topic);
  const random = seeded(hashTopic(`${lang}:${topic.toLowerCase()}`));
  const angles = pickAngles((normalizePageCount(input.pageCount) ?? 7) - 2, random);
  const draft: Draft = { lang, topic, angles, style: pick(COPY[lang].styles, random), random };
  const parts = angles.map((id) => angleParts(draft, id));
  const labels = parts.map((p) => p.label);
  const cover = renderCover(draft, labels);
  const contents = parts.map((p) =>
    renderPage(draft, COPY[lang].tags.content, pick(p.headings, random), p.body, p.scene),
  );
  return [cover, ...contents, renderSummary(draft, labels)].join('\n<page>\n');
}

import { describe, expect, it } from 'vitest';
import { CopyParseError, parseCopy } from './parse-copy.js';

const chars = (text: string) => [...text].length;

function expectParseError(raw: string, pattern: RegExp): CopyParseError {
  let caught: unknown;
  try {
    parseCopy(raw);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CopyParseError);
  const error = caught as CopyParseError;
  expect(error.code).toBe('copy_unparseable');
  expect(error.name).toBe('CopyParseError');
  expect(error.message).toMatch(pattern);
  return error;
}

const NAP_BODY =
  '以前我每天下午都困到怀疑人生，后来认真研究了午睡，才发现原来是方法不对😅\n\n' +
  '第一，时长控制在 10–20 分钟，超过 30 分钟反而更昏沉。\n第二，别直接趴在桌上，一个 U 型枕就能拯救脖子。\n' +
  '第三，饭后先走动 10 分钟再睡，胃会舒服很多。\n\n' +
  '坚持两周后，我下午开会再也没走过神☕ 醒来喝一杯温水，精神马上回来。\n\n' +
  '同样被下午犯困困扰的姐妹，先收藏起来试试，关注我，分享更多打工人续命小技巧💪';

const NAP_COPY = {
  titles: ['午睡20分钟，下午效率翻倍☀', '打工人午睡指南｜别再趴着睡了', '我靠这3招告别下午犯困'],
  body: NAP_BODY,
  tags: ['午睡', '打工人', '健康生活', '职场干货', '效率提升', '自律'],
};

// Qwen3 with thinking on: the reasoning even sketches the JSON, then the real answer follows.
const QWEN3_THINK = `<think>
好的，用户要为“上班族如何健康午睡”写小红书文案。标题要有钩子，比如数字“20分钟”。
正文要第一人称、温暖，按大纲顺序：时长、姿势、饭后。标签可以有午睡、打工人。
输出格式是 {"titles": [...], "body": "...", "tags": [...]}，不要多余的话。
</think>

${JSON.stringify(NAP_COPY)}`;

// DeepSeek: friendly chatter around a pretty-printed, fenced JSON answer.
const DEEPSEEK_FENCED = `好的！根据你的大纲，我为这篇笔记准备了文案：

\`\`\`json
${JSON.stringify(NAP_COPY, null, 2)}
\`\`\`

希望对你有帮助～如果想换个风格，随时告诉我！`;

const SLEEP_BODY =
  "I used to scroll until 1 a.m. and wonder why mornings felt awful. Here's what finally fixed it for me 🌙\n\n" +
  'Step one: a fixed wake-up time, even on weekends.\nStep two: phone out of the bedroom 30 minutes before bed.\n' +
  'Step three: a boring wind-down ritual (tea, a few pages, lights off).\n\n' +
  'Two weeks in, I fall asleep in minutes ✨ Save this for tonight and follow me for more small habits that stick!';

// GPT-style: exactly what was asked for.
const GPT_CLEAN = JSON.stringify({
  titles: [
    'Sleep earlier in 7 days 🌙',
    'I fixed my bedtime with 3 tiny habits',
    'Stop doom-scrolling at 1 a.m.',
  ],
  body: SLEEP_BODY,
  tags: ['sleep', 'bedtimeroutine', 'healthyhabits', 'selfcare', 'wellness'],
});

describe('parseCopy: JSON answers', () => {
  it('drops a Qwen3 <think> block, even one that sketches JSON itself', () => {
    expect(parseCopy(QWEN3_THINK)).toEqual(NAP_COPY);
  });

  it('finds the JSON inside a DeepSeek fence surrounded by chatter', () => {
    expect(parseCopy(DEEPSEEK_FENCED)).toEqual(NAP_COPY);
  });

  it('takes a clean GPT answer as it is', () => {
    expect(parseCopy(GPT_CLEAN)).toEqual({
      titles: [
        'Sleep earlier in 7 days 🌙',
        'I fixed my bedtime with 3 tiny habits',
        'Stop doom-scrolling at 1 a.m.',
      ],
      body: SLEEP_BODY,
      tags: ['sleep', 'bedtimeroutine', 'healthyhabits', 'selfcare', 'wellness'],
    });
  });

  it('repairs trailing commas, single quotes and apostrophes inside single-quoted strings', () => {
    const raw = `{
  'titles': ['Meal prep in 1 hour', 'My lazy Sunday meal prep', 'Lunch sorted for 5 days',],
  'body': 'I don't love cooking on weekdays, so Sunday it is.\\nOne tray of veg, one pot of rice, done.',
  'tags': ['mealprep', 'lunchideas', 'healthyeating',],
}`;
    expect(parseCopy(raw)).toEqual({
      titles: ['Meal prep in 1 hour', 'My lazy Sunday meal prep', 'Lunch sorted for 5 days'],
      body: "I don't love cooking on weekdays, so Sunday it is.\nOne tray of veg, one pot of rice, done.",
      tags: ['mealprep', 'lunchideas', 'healthyeating'],
    });
  });

  it('reads full-width quotes, colons and commas used as JSON punctuation', () => {
    const raw =
      '{“titles”：[“手冲咖啡入门”，“在家做出咖啡店的味道”，“新手手冲不踩坑”]，“body”：“我是从一把手冲壶开始的。粉水比 1:15 是我试下来最稳的。”，“tags”：[“手冲咖啡”，“咖啡”，“居家生活”]}';
    expect(parseCopy(raw)).toEqual({
      titles: ['手冲咖啡入门', '在家做出咖啡店的味道', '新手手冲不踩坑'],
      body: '我是从一把手冲壶开始的。粉水比 1:15 是我试下来最稳的。',
      tags: ['手冲咖啡', '咖啡', '居家生活'],
    });
  });

  it('keeps quotes a model forgot to escape inside the body', () => {
    const raw =
      '{"titles": ["黄金午睡法"], "body": "我叫它"黄金20分钟"，试过的同事都说好用。", "tags": ["午睡"]}';
    expect(parseCopy(raw).body).toBe('我叫它"黄金20分钟"，试过的同事都说好用。');
  });

  it('accepts Chinese keys, a tag string and a wrapper object', () => {
    const raw =
      '结果如下：{"result": {"标题": ["露营装备清单"], "正文": ["第一次露营，我只带了这些。", "够用就好。"], "标签": "#露营 #户外, 装备清单"}}';
    expect(parseCopy(raw)).toEqual({
      titles: ['露营装备清单'],
      body: '第一次露营，我只带了这些。\n\n够用就好。',
      tags: ['露营', '户外', '装备清单'],
    });
    const wrapped = '{"copy": {"titles": ["A"], "body": "B.", "tags": ["c"]}}';
    expect(parseCopy(wrapped)).toEqual({ titles: ['A'], body: 'B.', tags: ['c'] });
  });

  it('takes the answer from an unclosed <think> and ignores a lone </think>', () => {
    const unclosed = `<think>\n先想标题……然后写正文。\n${JSON.stringify(NAP_COPY)}`;
    expect(parseCopy(unclosed)).toEqual(NAP_COPY);
    const loneClose = `标题要抓人，正文要温暖。{"titles": ["草稿"]}\n</think>\n${JSON.stringify(NAP_COPY)}`;
    expect(parseCopy(loneClose)).toEqual(NAP_COPY);
  });

  it('turns double-escaped line breaks into real ones', () => {
    const raw = '{"titles": ["T"], "body": "第一段。\\\\n\\\\n第二段。", "tags": ["t"]}';
    expect(parseCopy(raw).body).toBe('第一段。\n\n第二段。');
  });
});

describe('parseCopy: section answers', () => {
  it('reads Chinese 标题/正文/标签 sections with chatter, numbering, quotes and a repeated tag', () => {
    const raw = `好的，以下是为你准备的文案：

**标题：**
1. 午睡20分钟，下午效率翻倍
2. 「打工人午睡指南」
3、我靠这3招告别下午犯困

**正文：**
以前我每天下午都困到不行😅


后来才发现是午睡方法不对。时长控制在 20 分钟以内，醒来喝杯温水。

先收藏，明天中午就试试！

**标签：** #午睡 #打工人 #健康生活 #职场干货 #午睡

希望这份文案对你有帮助！`;
    expect(parseCopy(raw)).toEqual({
      titles: ['午睡20分钟，下午效率翻倍', '打工人午睡指南', '我靠这3招告别下午犯困'],
      body: '以前我每天下午都困到不行😅\n\n后来才发现是午睡方法不对。时长控制在 20 分钟以内，醒来喝杯温水。\n\n先收藏，明天中午就试试！',
      tags: ['午睡', '打工人', '健康生活', '职场干货'],
    });
  });

  it('reads English Titles/Body/Tags sections with bullets, comma tags and a sign-off', () => {
    const raw = `Sure! Here's the copy for your post:

## Titles
- "Sleep earlier in 7 days 🌙"
- I fixed my bedtime with 3 tiny habits
- Stop doom-scrolling at 1 a.m.

## Body
I used to scroll until 1 a.m. Here's what fixed it.

Save this and follow me for more!

## Tags
sleep, bedtime routine, healthy habits, Sleep, self-care

Let me know if you'd like a different tone!`;
    expect(parseCopy(raw)).toEqual({
      titles: [
        'Sleep earlier in 7 days 🌙',
        'I fixed my bedtime with 3 tiny habits',
        'Stop doom-scrolling at 1 a.m.',
      ],
      body: "I used to scroll until 1 a.m. Here's what fixed it.\n\nSave this and follow me for more!",
      tags: ['sleep', 'bedtimeroutine', 'healthyhabits', 'self-care'],
    });
  });

  it('reads numbered 标题1：/标题2： headings and a body that ends the answer with chatter', () => {
    const raw = `标题1：三天学会手冲
标题2：手冲新手必看
标签：手冲、咖啡、新手入门
正文：第一次手冲，我只买了一把壶和一个滤杯。

先收藏，周末试试～

如需调整语气或字数，可以告诉我。`;
    expect(parseCopy(raw)).toEqual({
      titles: ['三天学会手冲', '手冲新手必看'],
      body: '第一次手冲，我只买了一把壶和一个滤杯。\n\n先收藏，周末试试～',
      tags: ['手冲', '咖啡', '新手入门'],
    });
  });

  it('moves hashtags from the end of the body into the tags', () => {
    const raw = `标题：早起一个月的变化
正文：坚持早起一个月，我多出了整整 30 个小时。先收藏，明早一起！
#早起 #自律 #早起打卡[话题]#`;
    expect(parseCopy(raw)).toEqual({
      titles: ['早起一个月的变化'],
      body: '坚持早起一个月，我多出了整整 30 个小时。先收藏，明早一起！',
      tags: ['早起', '自律', '早起打卡'],
    });
  });
});

describe('parseCopy: normalisation', () => {
  it('merges body hashtags after the JSON tags, case-insensitively deduplicated', () => {
    const raw = JSON.stringify({
      titles: ['Morning routine'],
      body: 'I wake up at 6 and it changed everything.\n\n#MorningRoutine #productivity #5amclub',
      tags: ['morningroutine', 'habits'],
    });
    expect(parseCopy(raw)).toEqual({
      titles: ['Morning routine'],
      body: 'I wake up at 6 and it changed everything.',
      tags: ['morningroutine', 'habits', 'productivity', '5amclub'],
    });
  });

  it('strips #, spaces and edge punctuation from tags, drops empties and keeps at most 8', () => {
    const tags = ['#午睡', ' 打工人 ', '午睡', '「健康」', '#', '', '职场 干货', 'a', 'b', 'c', 'd', 'e'];
    const raw = JSON.stringify({ titles: ['T'], body: 'B。', tags });
    expect(parseCopy(raw).tags).toEqual(['午睡', '打工人', '健康', '职场干货', 'a', 'b', 'c', 'd']);
  });

  it('keeps 8 of 10 tags', () => {
    const tags = Array.from({ length: 10 }, (_, i) => `tag${i + 1}`);
    const raw = JSON.stringify({ titles: ['T'], body: 'B.', tags });
    expect(parseCopy(raw).tags).toEqual(tags.slice(0, 8));
  });

  it('cleans titles, removes duplicates and keeps the first 3', () => {
    const titles = ['1. “早睡的好处”', '**2) 早睡的好处**', '③ 21天早睡挑战', '- 早睡党集合', '第五个标题'];
    const raw = JSON.stringify({ titles, body: 'B。', tags: ['早睡'] });
    expect(parseCopy(raw).titles).toEqual(['早睡的好处', '21天早睡挑战', '早睡党集合']);
    const single = JSON.stringify({ title: '1.5倍速学习法', body: 'B。', tags: ['学习'] });
    expect(parseCopy(single).titles).toEqual(['1.5倍速学习法']);
  });

  it('cuts a body over 500 characters at the last sentence end before the limit', () => {
    const sentence = '每天早上喝一杯温水，再做五分钟拉伸。'; // 18 characters
    const body = `${sentence.repeat(27)}最后这句没有句号而且很长很长很长`;
    const parsed = parseCopy(JSON.stringify({ titles: ['T'], body, tags: ['t'] }));
    expect(parsed.body).toBe(sentence.repeat(27));
    expect(chars(parsed.body)).toBe(486);
  });

  it('counts characters, not UTF-16 units, and keeps a closing quote with its sentence', () => {
    const sentence = '今天也要元气满满😊。'; // 10 characters, 11 UTF-16 units
    const body = `${sentence.repeat(48)}“这句在引号里。”${'没有句号的尾巴'.repeat(5)}`;
    const parsed = parseCopy(JSON.stringify({ titles: ['T'], body, tags: ['t'] }));
    expect(parsed.body).toBe(`${sentence.repeat(48)}“这句在引号里。”`);
    expect(chars(parsed.body)).toBe(489);
  });

  it('hard-cuts a long body without a usable sentence end, ending with …', () => {
    const body = `${'a'.repeat(100)}. ${'b'.repeat(600)}`;
    const parsed = parseCopy(JSON.stringify({ titles: ['T'], body, tags: ['t'] }));
    expect(chars(parsed.body)).toBe(500);
    expect(parsed.body.endsWith('b…')).toBe(true);
  });

  it('does not treat a decimal point as a sentence end', () => {
    const body = `${'x'.repeat(300)}. ${'y'.repeat(190)} 3.5 ${'z'.repeat(50)}`;
    const parsed = parseCopy(JSON.stringify({ titles: ['T'], body, tags: ['t'] }));
    expect(parsed.body).toBe(`${'x'.repeat(300)}.`);
  });

  it('accepts a short body and keeps the tags it was given when fewer than 5', () => {
    const raw = JSON.stringify({ titles: ['T'], body: '  短短一句。  ', tags: ['a', 'b'] });
    expect(parseCopy(raw)).toEqual({ titles: ['T'], body: '短短一句。', tags: ['a', 'b'] });
  });
});

describe('parseCopy: unparseable answers', () => {
  it('rejects an empty answer', () => {
    expectParseError('', /empty response/);
    expectParseError('   \n\t', /empty response/);
  });

  it('rejects an answer that is only reasoning', () => {
    expectParseError('<think>\n标题要抓人……正文写两百字……\n', /only its reasoning/);
  });

  it('rejects refusals in Chinese and English', () => {
    expectParseError('抱歉，我无法协助完成这个请求。', /declined/);
    expectParseError("I'm sorry, but I can't help with that request.", /declined/);
    expectParseError('I can’t write this post.', /declined/);
  });

  it('rejects free text without JSON or sections', () => {
    expectParseError('早睡真的很重要，大家一定要早点睡觉。', /no JSON object/);
  });

  it('rejects answers without titles, body or tags', () => {
    expectParseError('{"titles": [], "body": "正文。", "tags": ["a"]}', /no titles/);
    expectParseError('{"titles": ["T"], "body": "  ", "tags": ["a"]}', /no body/);
    expectParseError('{"titles": ["T"], "body": "正文。", "tags": ["#", " "]}', /no tags/);
    expectParseError('标题：早睡\n标签：#早睡', /no body/);
  });

  it('quotes at most the first 120 characters of the answer', () => {
    const raw = `抱歉，我无法完成。${'啊'.repeat(300)}`;
    const error = expectParseError(raw, /declined/);
    const quoted = JSON.parse(error.message.slice(error.message.indexOf('"'))) as string;
    expect(chars(quoted)).toBe(121);
    expect(quoted.endsWith('…')).toBe(true);
    expect(quoted.startsWith('抱歉，我无法完成。')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import type { OutlinePage } from './parse-outline.js';
import { OutlineParseError, parseOutline } from './parse-outline.js';

const types = (pages: OutlinePage[]) => pages.map((p) => p.type);

function expectParseError(raw: string, pattern: RegExp): OutlineParseError {
  let caught: unknown;
  try {
    parseOutline(raw);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(OutlineParseError);
  const error = caught as OutlineParseError;
  expect(error.code).toBe('outline_unparseable');
  expect(error.message).toMatch(pattern);
  return error;
}

// Qwen3 with thinking enabled: a long Chinese reasoning block, then the outline as requested.
const QWEN3_THINK = `<think>
好的，用户想要一篇关于“上班族如何健康午睡”的小红书图文。我需要先想想结构。
首先封面要吸引人，比如“午睡20分钟，下午效率翻倍”。然后内容页：为什么要午睡、最佳时长、姿势和装备、常见误区、办公室午睡技巧。
最后总结页回顾要点。格式上每页用[封面]、[内容]、[总结]标记，用<page>分隔。
注意不要有多余的话，也不要用markdown。
再检查一下页数，大概7页比较合适。
</think>

[封面]
午睡20分钟，下午效率翻倍
打工人必看的科学午睡指南
画面：阳光洒进办公室，女生趴在桌上安稳小憩，暖色调
<page>
[内容]
为什么一定要午睡
午后血糖升高、体温下降，人天然会犯困
小睡能恢复注意力，下午开会不再走神
画面：一条精力曲线图，午后明显下滑
<page>
[内容]
最佳时长：10–20 分钟
超过 30 分钟容易进入深睡，醒来更昏沉
定好闹钟，醒来先喝一杯温水
<page>
[内容]
姿势和装备
U 型枕托住下巴，避免压迫手臂
眼罩 + 耳塞，隔绝光线和键盘声
<page>
[内容]
这些午睡误区别再犯
饭后立刻趴下睡，容易胃胀
喝完咖啡马上睡，咖啡因会让你睡不着
<page>
[内容]
办公室午睡小技巧
提前和同事约好安静时段
把手机调成勿扰模式
<page>
[总结]
健康午睡三要点
✅ 时长 10–20 分钟
✅ 姿势舒服、环境安静
✅ 饭后 20 分钟再睡`;

// DeepSeek-style: friendly chatter before and after, otherwise well-formed.
const DEEPSEEK_CHATTER = `好的，以下是为你生成的小红书图文大纲：

[封面]
新手养猫必备清单
第一次养猫不踩坑，照着买就对了
<page>
[内容]
吃：猫粮和罐头
选择肉类排第一的主粮
幼猫和成猫分开喂
<page>
[内容]
住：猫砂盆和猫窝
猫砂盆放在安静通风的角落
<page>
[总结]
养猫清单一图看懂
吃、住、玩、医都准备好，迎接新成员吧！

希望这份大纲对你有帮助！如果需要调整页数或风格，随时告诉我～`;

// GPT-style: markdown fence around the outline, --- separators, bold tags and chatter around the fence.
const GPT_FENCED = `Sure! Here's the outline in the requested format:

\`\`\`markdown
**[封面]** 一周减脂餐不重样
上班族也能坚持的快手食谱
---
**[内容]** 周一：鸡胸肉沙拉
鸡胸肉 150g，生菜、番茄、玉米粒
油醋汁代替沙拉酱
---
**[内容]** 周二：虾仁西兰花
虾仁焯水 1 分钟，西兰花清炒
---
**[总结]** 减脂餐的三个原则
高蛋白、多蔬菜、少油盐
\`\`\`

Let me know if you want English captions as well!`;

// English tags in mixed case, heading on the same line as the tag.
const ENGLISH_TAGS = `[Cover] 5 Morning Habits That Changed My Life
Small changes, big energy — start tomorrow
Visual: sunrise over a tidy bedroom, soft pastel tones
<page>
[CONTENT] Wake up at the same time
Even on weekends, keep it within 30 minutes
<page>
[content] Drink water first
A full glass before coffee rehydrates you
<page>
[Summary] Your new morning
Pick one habit and try it for 7 days`;

// No tags at all, only <page> separators, with a one-line preamble in the first block.
const NO_TAGS = `Here is your outline:

How to Start Running
A beginner plan that won't wreck your knees
<page>
Get the right shoes
Visit a running store for a gait check
<page>
Run-walk intervals
1 minute running, 2 minutes walking, 8 rounds
<page>
Rest days matter
Run every other day in the first month
<page>
Your first 5K
Stay consistent for 8 weeks and you are ready`;

// Fullwidth brackets, "页" suffixes and pages wrapped in <page>…</page>.
const FULLWIDTH_WRAPPED = `<page>【封面页】
露营小白装备清单
第一次露营不用买全套
</page>
<page>【内容页】
帐篷怎么选
2–3 人帐够用，防水指数 2000mm 以上
</page>
<page>【内容页】
睡得暖才睡得好
防潮垫 + 睡袋，温标比实际低 5 度
</page>
<page>【总结页】
出发前检查
帐篷、睡袋、头灯、驱蚊液
</page>`;

// Numbered pages without separators; tags written as plain words after the number.
const NUMBERED = `第1页：封面
三天两夜成都旅行攻略
吃喝玩乐一篇搞定

第2页：Day 1 市区漫游
宽窄巷子 → 人民公园喝茶 → 春熙路

第3页：Day 2 熊猫基地
早上 7:30 前到，熊猫最活跃

第4页：总结
行程节奏：慢一点才是成都的打开方式`;

// English numbered pages with markdown headings and bold.
const PAGE_NUMBERED_EN = `## Page 1 – Cover: Budget Travel in Lisbon
**Spend less, see more**

## Page 2: Getting around
Buy a Viva Viagem card for trams and metro

## Page 3: Where to eat
Lunch "prato do dia" menus cost around 10 euros

## Page 4 – Summary: Lisbon on a budget
Walk, ride tram 28 early, eat the daily menu`;

// Trailing chatter split off by a --- line after the summary.
const TRAILING_SEPARATED = `[封面]
手机摄影构图技巧
随手拍出大片感
<page>
[内容]
三分法构图
打开九宫格，把主体放在交叉点上
<page>
[总结]
构图口诀
主体放在交点，留白要大胆

---

以上就是完整的大纲，需要我再补充每页的配图建议吗？`;

// Tags on their own lines but no separators at all, plus a [封面] mentioned mid-sentence.
const TAGS_NO_SEPARATORS = `[封面]
3个动作告别圆肩驼背
每天10分钟，体态肉眼可见变好
[内容]
靠墙站立
后脑勺、肩胛骨、臀部贴墙，每次 3 分钟
[内容]
弹力带划船
注意肩膀下沉，别耸肩
[总结]
坚持打卡
每天练完在[封面]那张图上打个勾`;

const REFUSAL_ZH = '抱歉，我无法为这个主题生成内容。该主题可能涉及违反平台规范的信息，建议换一个主题试试。';
const REFUSAL_EN = "I'm sorry, but I can't help create content on that topic.";
const ONLY_THINK = `<think>
用户想要一份关于早餐的大纲。我先想一想封面怎么写……
内容页可以分成：燕麦、鸡蛋、水果……
</think>`;
const BLOB =
  '早睡对身体有很多好处，首先可以让皮肤变好，其次可以提高第二天的工作效率，而且长期坚持还能改善情绪。想要早睡，可以从固定起床时间开始，睡前一小时不看手机，卧室保持黑暗和安静，晚饭不要吃太饱，也可以尝试冥想或者泡脚，慢慢调整生物钟，一般两到三周就能看到变化。';

describe('parseOutline with real model outputs', () => {
  it('drops a Qwen3 <think> block', () => {
    const pages = parseOutline(QWEN3_THINK);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'content', 'content', 'content', 'summary']);
    expect(pages[0]?.content).toBe(
      '午睡20分钟，下午效率翻倍\n打工人必看的科学午睡指南\n画面：阳光洒进办公室，女生趴在桌上安稳小憩，暖色调',
    );
    expect(pages.map((p) => p.content).join('\n')).not.toContain('用户');
    expect(pages[6]?.content).toMatch(/^健康午睡三要点\n✅ 时长 10–20 分钟/);
  });

  it('drops DeepSeek chatter before and after the outline', () => {
    const pages = parseOutline(DEEPSEEK_CHATTER);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'summary']);
    expect(pages[0]?.content).toBe('新手养猫必备清单\n第一次养猫不踩坑，照着买就对了');
    expect(pages[3]?.content).toBe('养猫清单一图看懂\n吃、住、玩、医都准备好，迎接新成员吧！');
  });

  it('unwraps a GPT markdown fence with --- separators and bold tags', () => {
    const pages = parseOutline(GPT_FENCED);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'summary']);
    expect(pages[0]?.content).toBe('一周减脂餐不重样\n上班族也能坚持的快手食谱');
    expect(pages[1]?.content).toBe('周一：鸡胸肉沙拉\n鸡胸肉 150g，生菜、番茄、玉米粒\n油醋汁代替沙拉酱');
    expect(pages[3]?.content).toBe('减脂餐的三个原则\n高蛋白、多蔬菜、少油盐');
  });

  it('reads English tags in any case with the heading on the tag line', () => {
    const pages = parseOutline(ENGLISH_TAGS);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'summary']);
    expect(pages[0]?.content).toBe(
      '5 Morning Habits That Changed My Life\nSmall changes, big energy — start tomorrow\nVisual: sunrise over a tidy bedroom, soft pastel tones',
    );
    expect(pages[1]?.content).toBe('Wake up at the same time\nEven on weekends, keep it within 30 minutes');
  });

  it('types untagged pages by position and drops the preamble line', () => {
    const pages = parseOutline(NO_TAGS);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'content', 'summary']);
    expect(pages[0]?.content).toBe("How to Start Running\nA beginner plan that won't wreck your knees");
    expect(pages[4]?.content).toBe('Your first 5K\nStay consistent for 8 weeks and you are ready');
  });

  it('reads 【封面页】-style tags in <page>…</page> wrapped blocks', () => {
    const pages = parseOutline(FULLWIDTH_WRAPPED);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'summary']);
    expect(pages[0]?.content).toBe('露营小白装备清单\n第一次露营不用买全套');
    expect(pages[3]?.content).toBe('出发前检查\n帐篷、睡袋、头灯、驱蚊液');
  });

  it('splits 第N页 numbered pages without separators', () => {
    const pages = parseOutline(NUMBERED);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'summary']);
    expect(pages[0]?.content).toBe('三天两夜成都旅行攻略\n吃喝玩乐一篇搞定');
    expect(pages[1]?.content).toBe('Day 1 市区漫游\n宽窄巷子 → 人民公园喝茶 → 春熙路');
    expect(pages[3]?.content).toBe('行程节奏：慢一点才是成都的打开方式');
  });

  it('splits "Page N" markdown headings and strips the markdown', () => {
    const pages = parseOutline(PAGE_NUMBERED_EN);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'summary']);
    expect(pages[0]?.content).toBe('Budget Travel in Lisbon\nSpend less, see more');
    expect(pages[1]?.content).toBe('Getting around\nBuy a Viva Viagem card for trams and metro');
    expect(pages[3]?.content).toBe('Lisbon on a budget\nWalk, ride tram 28 early, eat the daily menu');
  });

  it('drops trailing chatter separated from the summary by ---', () => {
    const pages = parseOutline(TRAILING_SEPARATED);
    expect(types(pages)).toEqual(['cover', 'content', 'summary']);
    expect(pages[2]?.content).toBe('构图口诀\n主体放在交点，留白要大胆');
  });

  it('splits at tag lines when there are no separators', () => {
    const pages = parseOutline(TAGS_NO_SEPARATORS);
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'summary']);
    expect(pages[1]?.content).toBe('靠墙站立\n后脑勺、肩胛骨、臀部贴墙，每次 3 分钟');
    expect(pages[3]?.content).toBe('坚持打卡\n每天练完在[封面]那张图上打个勾');
  });

  it('rejects a Chinese refusal', () => {
    expectParseError(REFUSAL_ZH, /declined/);
  });

  it('rejects an English refusal', () => {
    expectParseError(REFUSAL_EN, /declined/);
  });

  it('rejects an empty response', () => {
    expectParseError('  \n\n ', /empty response/);
  });

  it('rejects a response that is only a think block', () => {
    const error = expectParseError(ONLY_THINK, /only its reasoning/);
    expect(error.message).toContain('<think>');
  });

  it('rejects an unstructured blob and quotes at most 120 characters of it', () => {
    const error = expectParseError(BLOB, /no page structure/);
    expect(error.message).toContain(`${Array.from(BLOB).slice(0, 120).join('')}…`);
    expect(error.message).not.toContain(BLOB);
  });
});

describe('parseOutline edge cases', () => {
  it('takes the answer after an unclosed <think> from the last cover tag', () => {
    const raw = `<think>
先打个草稿：[封面] 标题待定
我再想想内容页的顺序。
[封面]
读书笔记这样做
<page>
[内容]
先读目录再读正文
<page>
[总结]
每周读完一本`;
    const pages = parseOutline(raw);
    expect(types(pages)).toEqual(['cover', 'content', 'summary']);
    expect(pages[0]?.content).toBe('读书笔记这样做');
  });

  it('treats an unclosed <think> with no outline after it as reasoning only', () => {
    expectParseError('<think>\n好的，我来规划一下这个主题的页面结构，首先……', /only its reasoning/);
  });

  it('treats everything before a lone </think> as reasoning', () => {
    const raw =
      '用户要一份大纲，我用[封面]开头。\n</think>\n[封面]\n标题\n<page>\n[内容]\n正文\n<page>\n[总结]\n结尾';
    const pages = parseOutline(raw);
    expect(pages.map((p) => p.content)).toEqual(['标题', '正文', '结尾']);
  });

  it('accepts 封面： bare-word tags, *** separators and collapses blank lines', () => {
    const raw =
      '封面：秋冬穿搭公式\n一衣多穿\n***\n内容：大衣 + 卫衣\n\n\n\n oversize 更显瘦\n***\n总结：三个公式记住了吗';
    const pages = parseOutline(raw);
    expect(pages).toEqual([
      { type: 'cover', content: '秋冬穿搭公式\n一衣多穿' },
      { type: 'content', content: '大衣 + 卫衣\n\noversize 更显瘦' },
      { type: 'summary', content: '三个公式记住了吗' },
    ]);
  });

  it('keeps a single cover at the front and only a final summary', () => {
    const raw = '[内容]\n开场\n<page>\n[封面]\n又一个封面\n<page>\n[总结]\n中途总结\n<page>\n[内容]\n收尾';
    expect(types(parseOutline(raw))).toEqual(['cover', 'content', 'content', 'content']);
  });

  it('types two untagged pages as cover and content', () => {
    expect(types(parseOutline('周末去哪玩\n<page>\n城郊的三个小众公园'))).toEqual(['cover', 'content']);
  });

  it('keeps the first maxPages-1 pages and the summary when over the limit', () => {
    const body = Array.from({ length: 8 }, (_, i) => `[内容]\n第${i + 1}点`);
    const raw = ['[封面]\n封面', ...body, '[总结]\n总结页'].join('\n<page>\n');
    const pages = parseOutline(raw, { maxPages: 5 });
    expect(types(pages)).toEqual(['cover', 'content', 'content', 'content', 'summary']);
    expect(pages.map((p) => p.content)).toEqual(['封面', '第1点', '第2点', '第3点', '总结页']);
  });

  it('drops empty blocks and keeps a summary sign-off written without a blank line', () => {
    const raw = '<page>\n[封面]\n标题\n<page>\n<page/>\n[内容]\n要点\n<page>\n[总结]\n回顾\n希望对你有帮助～';
    const pages = parseOutline(raw);
    expect(types(pages)).toEqual(['cover', 'content', 'summary']);
    expect(pages[2]?.content).toBe('回顾\n希望对你有帮助～');
  });

  it('does not treat content words or field labels inside a page as tags', () => {
    const raw =
      '[封面]\n内容丰富的周末\n<page>\n[内容]\n标题：逛市集\n内容：带上环保袋\n<page>\n[总结]\nCoverage: all weekend';
    const pages = parseOutline(raw);
    expect(types(pages)).toEqual(['cover', 'content', 'summary']);
    expect(pages[1]?.content).toBe('标题：逛市集\n内容：带上环保袋');
    expect(pages[2]?.content).toBe('Coverage: all weekend');
  });

  it('keeps post copy that merely looks like chatter', () => {
    const raw =
      '好的习惯成就更好的你\n每天进步一点点\n<page>\n先定一个小目标\n<page>\n坚持 21 天\n\n评论区告诉我你的打卡天数';
    const pages = parseOutline(raw);
    expect(types(pages)).toEqual(['cover', 'content', 'summary']);
    expect(pages[0]?.content).toBe('好的习惯成就更好的你\n每天进步一点点');
    expect(pages[2]?.content).toBe('坚持 21 天\n\n评论区告诉我你的打卡天数');
  });

  it('parses an outline that follows an apology', () => {
    const raw =
      '抱歉，我无法查看你上传的图片，不过可以先按主题写：\n[封面]\n春季护肤\n<page>\n[内容]\n补水\n<page>\n[总结]\n坚持';
    expect(parseOutline(raw).map((p) => p.content)).toEqual(['春季护肤', '补水', '坚持']);
  });
});

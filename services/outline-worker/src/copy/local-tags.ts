import { MAX_TAGS, MIN_TAGS, normalizeTags } from './normalize.js';

type Language = 'zh' | 'en';

interface Category {
  match: RegExp;
  zh: readonly [string, string];
  en: readonly [string, string];
}

// Keyword → category tags. Both languages' keywords are checked, since a topic often mixes them ("iPhone 拍照").
const CATEGORIES: readonly Category[] = [
  {
    match: /跑步|健身|减脂|瑜伽|运动|锻炼|马拉松|增肌|\b(?:run|fitness|workout|gym|yoga|exercis|marathon)/i,
    zh: ['运动健身', '健康生活'],
    en: ['fitness', 'healthylifestyle'],
  },
  {
    match:
      /咖啡|做饭|美食|烘焙|食谱|早餐|午餐|晚餐|甜品|下厨|\b(?:cook|coffee|recipe|bak|food|breakfast|meal)/i,
    zh: ['美食教程', '居家生活'],
    en: ['homecooking', 'foodie'],
  },
  {
    match: /旅行|旅游|自由行|出游|露营|徒步|度假|\b(?:travel|trip|camping|hik|itinerar|vacation)/i,
    zh: ['旅行攻略', '周末去哪儿'],
    en: ['travel', 'traveltips'],
  },
  {
    match: /理财|存钱|省钱|基金|副业|预算|记账|\b(?:money|budget|saving|invest|financ)/i,
    zh: ['理财', '省钱攻略'],
    en: ['personalfinance', 'moneytips'],
  },
  {
    match: /学习|英语|考试|考研|读书|备考|单词|写作|\b(?:study|learn|english|exam|reading|language|writing)/i,
    zh: ['学习方法', '自我提升'],
    en: ['studytips', 'selfimprovement'],
  },
  {
    match: /猫|狗|宠物|\b(?:cats?\b|dogs?\b|pet|pupp|kitten)/i,
    zh: ['萌宠日常', '养宠经验'],
    en: ['petcare', 'petlovers'],
  },
  {
    match: /护肤|化妆|美妆|彩妆|发型|防晒|\b(?:skincare|makeup|beauty|hair)/i,
    zh: ['美妆护肤', '变美攻略'],
    en: ['skincare', 'beautytips'],
  },
  {
    match: /穿搭|衣服|搭配|衣橱|\b(?:outfit|fashion|wardrobe|style)/i,
    zh: ['穿搭分享', '日常穿搭'],
    en: ['ootd', 'styletips'],
  },
  {
    match: /绿植|植物|多肉|养花|花园|plant|garden|succulent|flower/i,
    zh: ['绿植', '植物养护'],
    en: ['plantcare', 'houseplants'],
  },
  {
    match: /收纳|装修|家居|整理|清洁|租房|\b(?:home|declutter|clean|organi[sz]|decor|apartment)/i,
    zh: ['家居好物', '收纳整理'],
    en: ['homedecor', 'homeorganization'],
  },
  {
    match:
      /早睡|早起|自律|习惯|时间管理|效率|睡眠|作息|午睡|\b(?:sleep|habit|routine|productiv|morning|disciplin)/i,
    zh: ['自律生活', '高效生活'],
    en: ['productivity', 'healthyhabits'],
  },
  {
    match: /宝宝|育儿|孩子|亲子|\b(?:baby|parent|kids?\b|toddler)/i,
    zh: ['育儿经验', '亲子时光'],
    en: ['parenting', 'momlife'],
  },
  {
    match: /职场|面试|简历|上班|打工|\b(?:career|interview|resume|job|office)/i,
    zh: ['职场干货', '打工人'],
    en: ['careertips', 'worklife'],
  },
  {
    match: /拍照|摄影|相机|修图|\b(?:photo|camera)/i,
    zh: ['摄影技巧', '手机摄影'],
    en: ['photography', 'phototips'],
  },
];

/** Used when no category matches, so every topic still gets a couple of broad, plausible tags. */
const BROAD: Record<Language, readonly string[]> = {
  zh: ['生活方式', '日常分享', '成长记录', '好物分享', '慢生活', '生活记录'],
  en: ['lifestyle', 'everydaylife', 'personalgrowth', 'slowliving', 'dailylife', 'goodfinds'],
};

const GENERIC: Record<Language, readonly string[]> = {
  zh: ['干货分享', '经验分享', '实用技巧', '新手入门', '生活小技巧', '自我提升', '收藏备用', '一起变好'],
  en: [
    'lifehacks',
    'tips',
    'howto',
    'beginnerguide',
    'selfimprovement',
    'dailyroutine',
    'worthsaving',
    'learnwithme',
  ],
};

// Words that make a topic a question or a guide rather than a subject; what is left is the subject itself.
const ZH_FILLER_RE =
  /新手|小白|零基础|如何|怎么|怎样|开始|教程|指南|攻略|入门|技巧|方法|分享|必看|超全|干货|一篇|我的|的/g;
const EN_STOP = new Set(
  (
    'a an the and or of to in on at for with from by my your our how what why when where is are be do does ' +
    'guide guides beginner beginners tips ways way best learn learning start starting get getting make ' +
    'making easy simple ultimate complete first'
  ).split(' '),
);
const TOPIC_TAG_LIMIT: Record<Language, number> = { zh: 12, en: 20 };

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function topicTags(topic: string, lang: Language): string[] {
  const limit = TOPIC_TAG_LIMIT[lang];
  const fits = (tag: string) => [...tag].length >= 2 && [...tag].length <= limit;
  if (lang === 'zh') {
    const squashed = topic.replace(/[^\p{L}\p{N}]/gu, '');
    const core = squashed.replace(ZH_FILLER_RE, '');
    const clause = (topic.split(/[，,：:｜|、;；—\s]+/)[0] ?? '').replace(/[^\p{L}\p{N}]/gu, '');
    const tags = [squashed, core, clause].filter(fits);
    return tags.length > 0 ? tags : [[...squashed].slice(0, limit).join('')];
  }
  const words = topic.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const keywords = words.filter((w) => w.length >= 3 && !EN_STOP.has(w));
  const whole = [keywords.join(''), words.join('')].find(fits);
  return [...(whole ? [whole] : []), ...keywords.slice(-2).reverse()].filter(fits);
}

export function localTags(topic: string, lang: Language, random: () => number): string[] {
  const matched = CATEGORIES.filter((category) => category.match.test(topic));
  const category = matched.length
    ? [...(matched[0]?.[lang] ?? []), ...matched.slice(1, 2).map((c) => c[lang][0])]
    : shuffled(BROAD[lang], random).slice(0, 2);
  const target = MIN_TAGS + 1 + Math.floor(random() * 2);
  const tags = normalizeTags([...topicTags(topic, lang), ...category, ...shuffled(GENERIC[lang], random)]);
  return tags.slice(0, Math.min(target, MAX_TAGS));
}

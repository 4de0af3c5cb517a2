import { mkdirSync, writeFileSync } from 'node:fs';
import { createCanvas, GlobalFonts, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import {
  type AspectRatio,
  layoutTextCard,
  type PageType,
  parseTextCardContent,
  renderTextCard,
  TEXT_CARD_FONT_FAMILY,
  TEXT_CARD_THEMES,
  type TextCardInput,
  type TextCardLayout,
  textCardSize,
} from './text-card.js';

const RATIOS: Record<AspectRatio, [number, number]> = {
  '3:4': [1080, 1440],
  '1:1': [1080, 1080],
  '4:3': [1080, 810],
  '9:16': [1080, 1920],
  '16:9': [1080, 608],
};

const CONTENT = `[内容] 早起的5个小习惯☀️
- 起床后先喝一杯**温水**，唤醒肠胃💧
- 拉开窗帘晒 10 分钟太阳，让身体知道“天亮了”
- 不要一睁眼就刷手机📱，给大脑一点缓冲时间。
1. 做 5 分钟拉伸，肩颈会轻松很多
2. 提前一晚准备好早餐，早上不慌乱
坚持 21 天，你会发现 energy level 明显提升！`;

const SAMPLES: Record<PageType, string> = {
  cover: '[封面] 早起改变了我的人生🌅\n每天 6 点起床的第 100 天，我发现了这些变化\n普通上班族也能做到',
  content: CONTENT,
  summary:
    '[总结] 写在最后\n① 早起不是目的，而是给自己多留一段安静的时间\n② 从小改变开始：每天提前 10 分钟\n' +
    '③ 记得早点睡！熬夜早起得不偿失\n你准备好明天早起了吗？评论区打卡👇',
};

const card = (overrides: Partial<TextCardInput> = {}): TextCardInput => ({
  topic: '早起的好处',
  pageType: 'content',
  content: CONTENT,
  pageNumber: 2,
  pageCount: 7,
  aspectRatio: '3:4',
  ...overrides,
});

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Every text line and shape lies inside the card, and every text line inside the text frame. */
function expectInside(layout: TextCardLayout): void {
  const { frame, width, height } = layout;
  for (const item of layout.items) {
    const [w, h] = item.kind === 'text' ? [item.width, item.size] : [item.width, item.height];
    const top = item.kind === 'text' ? item.y - h / 2 : item.y;
    expect(item.x).toBeGreaterThanOrEqual(0);
    expect(item.x + w).toBeLessThanOrEqual(width);
    expect(top).toBeGreaterThanOrEqual(0);
    expect(top + h).toBeLessThanOrEqual(height);
    if (item.kind !== 'text') continue;
    expect(item.x).toBeGreaterThanOrEqual(frame.left - 0.5);
    expect(item.x + item.width).toBeLessThanOrEqual(frame.right + 0.5);
    expect(top).toBeGreaterThanOrEqual(frame.top - 0.5);
    expect(top + item.size).toBeLessThanOrEqual(frame.bottom + 0.5);
  }
}

const textOf = (layout: TextCardLayout) => layout.items.flatMap((i) => (i.kind === 'text' ? [i.text] : []));

describe('textCardSize', () => {
  it('is 1080 wide with the height of each aspect ratio', () => {
    for (const [ratio, [width, height]] of Object.entries(RATIOS)) {
      expect(textCardSize(ratio as AspectRatio)).toEqual({ width, height });
    }
  });
});

describe('renderTextCard', () => {
  it.each(Object.entries(RATIOS))('renders a %s PNG of the exact size', async (ratio, [width, height]) => {
    for (const pageType of ['cover', 'content'] as const) {
      const png = await renderTextCard(card({ aspectRatio: ratio as AspectRatio, pageType }));
      expect(pngSize(png)).toEqual({ width, height });
    }
  });

  it('is deterministic for the same input', async () => {
    const [a, b] = [await renderTextCard(card()), await renderTextCard(card())];
    expect(a.equals(b)).toBe(true);
  });

  it('changes when the content changes', async () => {
    const a = await renderTextCard(card());
    const b = await renderTextCard(card({ content: `${CONTENT}\n再加一行` }));
    expect(a.equals(b)).toBe(false);
  });

  it('draws distinct CJK glyphs: same-length texts differing only in characters give different images', async () => {
    // Were the font missing, every CJK character would be the same .notdef box and the PNGs identical.
    const a = await renderTextCard(card({ content: '早起的好处\n每天早起一小时' }));
    const b = await renderTextCard(card({ content: '晚睡的坏处\n每晚熬夜两小时' }));
    expect(a.equals(b)).toBe(false);
  });

  it('renders a 3,000-character body inside the card, ending in an ellipsis', async () => {
    const longBody = `长文测试\n${'这是一段非常长的正文内容，用来测试自动缩小字号与截断。'.repeat(115).slice(0, 3000)}`;
    const longWord = `Long words\n${'Supercalifragilistic'.repeat(150)}`;
    for (const content of [longBody, longWord]) {
      for (const aspectRatio of Object.keys(RATIOS) as AspectRatio[]) {
        const layout = layoutTextCard(card({ content, aspectRatio }));
        expect(layout.complete).toBe(false);
        expect(textOf(layout).some((t) => t.endsWith('…'))).toBe(true);
        expectInside(layout);
      }
    }
    const png = await renderTextCard(card({ content: longBody, style: 'minimal' }));
    expect(pngSize(png)).toEqual({ width: 1080, height: 1440 });
    // Nothing inked the outer margins: the leftmost and rightmost 40 px columns are plain background.
    const image = await loadImage(png);
    const ctx = createCanvas(1080, 1440).getContext('2d');
    ctx.drawImage(image, 0, 0);
    for (const x of [0, 1040]) {
      const px = ctx.getImageData(x, 0, 40, 1440).data;
      const inked = px.filter((v, i) => i % 4 !== 3 && v !== [0xfa, 0xfa, 0xf7][i % 4]).length;
      expect(inked).toBe(0);
    }
  });

  it('renders every theme and page type, each theme looking different', async () => {
    const dir = new URL('../../../../test-artifacts/text-card/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const covers = new Map<string, Buffer>();
    for (const style of Object.keys(TEXT_CARD_THEMES)) {
      for (const [pageType, content] of Object.entries(SAMPLES) as [PageType, string][]) {
        const pageNumber = pageType === 'cover' ? 1 : pageType === 'summary' ? 7 : 2;
        const png = await renderTextCard(card({ style, pageType, content, pageNumber }));
        expect(pngSize(png)).toEqual({ width: 1080, height: 1440 });
        expectInside(layoutTextCard(card({ style, pageType, content, pageNumber })));
        writeFileSync(new URL(`${style}-${pageType}.png`, dir), png);
        if (pageType === 'cover') covers.set(style, png);
      }
    }
    expect(covers.size).toBeGreaterThanOrEqual(4);
    const distinct = new Set([...covers.values()].map((png) => png.toString('base64')));
    expect(distinct.size).toBe(covers.size);
  });

  it('falls back to the minimal theme for unknown or inherited style names', async () => {
    const minimal = await renderTextCard(card({ style: 'minimal' }));
    for (const style of [undefined, 'no-such-theme', 'toString']) {
      expect((await renderTextCard(card({ style }))).equals(minimal)).toBe(true);
    }
  });

  it('drops emoji, so a card with emoji equals the same card without them', async () => {
    const withEmoji = await renderTextCard(
      card({ content: '早餐吃什么🍳\n- 燕麦👍🏻 牛奶\n- 鸡蛋❤️‍🔥 🇨🇳 ✨' }),
    );
    const without = await renderTextCard(card({ content: '早餐吃什么\n- 燕麦 牛奶\n- 鸡蛋' }));
    expect(withEmoji.equals(without)).toBe(true);
  });
});

describe('the bundled font', () => {
  it('is registered in both weights and draws real CJK glyphs, not tofu', async () => {
    await renderTextCard(card());
    const family = GlobalFonts.families.find((f) => f.family === TEXT_CARD_FONT_FAMILY);
    expect(family?.styles.map((s) => s.weight).sort()).toEqual([400, 700]);
    const draw = (text: string) => {
      const ctx = createCanvas(96, 96).getContext('2d');
      ctx.fillStyle = '#FFFFFF';
      ctx.fillRect(0, 0, 96, 96);
      ctx.fillStyle = '#000000';
      ctx.font = `64px "${TEXT_CARD_FONT_FAMILY}"`;
      ctx.textBaseline = 'middle';
      ctx.fillText(text, 16, 48);
      return Buffer.from(ctx.getImageData(0, 0, 96, 96).data);
    };
    const [zhong, guo, tofu] = [draw('中'), draw('国'), draw('\u{10FFFD}')];
    expect(zhong.filter((v, i) => i % 4 === 0 && v < 128).length).toBeGreaterThan(200);
    // Without the font both characters fall back to the same .notdef box.
    expect(zhong.equals(guo)).toBe(false);
    expect(zhong.equals(tofu)).toBe(false);
  });
});

describe('parseTextCardContent', () => {
  it('takes the first line as heading and strips tags, bullets, emphasis and emoji', () => {
    const parsed = parseTextCardContent(
      '\n[封面]  **早餐**吃什么🍳\n- 燕麦👍🏻 牛奶\n• 鸡蛋❤️‍🔥\n* 香蕉\n1. 第一\n2、第二\n① 圈一\n3️⃣ 键帽\n\n普通段落✨',
    );
    expect(parsed).toEqual({
      heading: '早餐吃什么',
      blocks: [
        { text: '燕麦 牛奶', marker: '•' },
        { text: '鸡蛋', marker: '•' },
        { text: '香蕉', marker: '•' },
        { text: '第一', marker: '1.' },
        { text: '第二', marker: '2.' },
        { text: '圈一', marker: '①' },
        { text: '键帽', marker: '3.' },
        { text: '普通段落', marker: '' },
      ],
    });
  });

  it('strips English tags and keeps ordinary numbers and hyphens', () => {
    expect(parseTextCardContent('[cover] Morning Routine\n3.5x more focus\n-5°C outside')).toEqual({
      heading: 'Morning Routine',
      blocks: [
        { text: '3.5x more focus', marker: '' },
        { text: '-5°C outside', marker: '' },
      ],
    });
  });
});

describe('line breaking', () => {
  it('never starts a line with closing punctuation', () => {
    const content = `标题\n${'一二三四五六七八九十，'.repeat(40)}\n${'春眠不觉晓。处处闻啼鸟！'.repeat(20)}`;
    for (const aspectRatio of Object.keys(RATIOS) as AspectRatio[]) {
      const lines = textOf(layoutTextCard(card({ content, aspectRatio })));
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(line).not.toMatch(/^[，。！？、；：”’）》」]/u);
    }
  });

  it('keeps Latin words whole and shrinks the type to fit before truncating', () => {
    const words = 'Morning light makes every routine feel lighter and more deliberate';
    const layout = layoutTextCard(card({ content: `Why mornings\n${words}`, aspectRatio: '1:1' }));
    expect(layout.complete).toBe(true);
    const body = textOf(layout).filter((t) => !['Why mornings', '2 / 7', '早起的好处'].includes(t));
    expect(body.join(' ')).toBe(words);
    const longer = layoutTextCard(
      card({ content: `Why mornings\n${`${words}. `.repeat(12)}`, aspectRatio: '1:1' }),
    );
    const bodySize = (l: TextCardLayout) => {
      const first = l.items.find((i) => i.kind === 'text' && i.text.startsWith('Morning'));
      return first?.kind === 'text' ? first.size : 0;
    };
    expect(longer.complete).toBe(true);
    expect(bodySize(longer)).toBeGreaterThan(0);
    expect(bodySize(longer)).toBeLessThan(bodySize(layout));
  });
});

import { describe, expect, it } from 'vitest';
import { writeLocalOutline } from '../outline/local-writer.js';
import { parseOutline } from '../outline/parse-outline.js';
import { type LocalCopyInput, writeLocalCopy } from './local-copy.js';
import { type PostCopy, parseCopy } from './parse-copy.js';

const han = /\p{Script=Han}/u;
const chars = (text: string) => [...text].length;

// An outline as an LLM writes it: headings without the topic in front, a visual line, a list marker.
const RUNNING_PAGES: LocalCopyInput['pages'] = [
  { type: 'cover', content: '新手跑步不伤膝\n从走跑结合开始' },
  { type: 'content', content: '选一双合脚的跑鞋\n去专业店测一下足型\n画面：跑鞋特写' },
  { type: 'content', content: '走跑结合\n跑 1 分钟走 2 分钟，重复 8 组' },
  { type: 'content', content: '## 隔天跑一次\n- 第一个月给身体恢复的时间' },
  { type: 'summary', content: '三个要点\n✅ 跑鞋 ✅ 走跑结合 ✅ 休息' },
];

function expectValid(copy: PostCopy, lang: 'zh' | 'en'): void {
  expect(copy.titles).toHaveLength(3);
  expect(new Set(copy.titles.map((t) => t.toLowerCase())).size).toBe(3);
  for (const title of copy.titles) expect(chars(title)).toBeLessThanOrEqual(lang === 'zh' ? 20 : 60);
  expect(chars(copy.body)).toBeGreaterThanOrEqual(200);
  expect(chars(copy.body)).toBeLessThanOrEqual(500);
  expect(copy.body).not.toMatch(/\n{3,}/);
  expect(copy.tags.length).toBeGreaterThanOrEqual(5);
  expect(copy.tags.length).toBeLessThanOrEqual(8);
  expect(new Set(copy.tags.map((t) => t.toLowerCase())).size).toBe(copy.tags.length);
  for (const tag of copy.tags) expect(tag).toMatch(/^[^#\s]+$/u);
  // The offline copy must already be in the shape the parser normalises model answers to.
  expect(parseCopy(JSON.stringify(copy))).toEqual(copy);
}

describe('writeLocalCopy', () => {
  it('writes warm Chinese copy that walks through the outline in order', () => {
    expect(writeLocalCopy({ topic: '新手如何开始跑步', pages: RUNNING_PAGES })).toEqual({
      titles: [
        '新手如何开始跑步｜新手照着做就行✨',
        '新手如何开始跑步，我是这样做的🙌',
        '一篇搞懂新手如何开始跑步，建议收藏',
      ],
      body:
        '最近好多朋友问我「新手如何开始跑步」，今天干脆一次整理好。全是我自己试过、觉得真的有用的做法，没有空话🙌\n\n' +
        '先看看这篇都讲了什么👇\n① 选一双合脚的跑鞋：去专业店测一下足型\n② 走跑结合：跑 1 分钟走 2 分钟，重复 8 组\n' +
        '③ 隔天跑一次：第一个月给身体恢复的时间\n\n' +
        '我的经验是不用一下子全部照搬，先从最有感觉的那一点做起，慢慢找到自己的节奏就好💪\n\n' +
        '觉得有用就先收藏⭐，免得下次找不到～关注我，持续分享更多实用经验，有问题评论区见👇',
      tags: ['新手如何开始跑步', '跑步', '运动健身', '健康生活', '一起变好', '生活小技巧', '经验分享'],
    });
  });

  it('is deterministic', () => {
    const input = { topic: 'Budget travel in Lisbon', pages: RUNNING_PAGES.slice(0, 2) };
    expect(writeLocalCopy(input)).toEqual(writeLocalCopy(structuredClone(input)));
  });

  it('writes Chinese for a Chinese topic, English otherwise, and honours an explicit language', () => {
    const zh = writeLocalCopy({ topic: '养猫新手指南', pages: [] });
    expect(zh.titles.every((t) => han.test(t))).toBe(true);
    expect(zh.body).toMatch(/收藏/);
    expect(zh.body).toMatch(/关注/);
    const en = writeLocalCopy({ topic: 'Beginner guide to houseplants', pages: [] });
    expect(`${en.titles.join('')}${en.body}${en.tags.join('')}`).not.toMatch(han);
    expect(en.body).toMatch(/save/i);
    expect(en.body).toMatch(/follow/i);
    const forced = writeLocalCopy({ topic: '多肉植物', pages: [], language: 'en' });
    expect(forced.body).toContain('"多肉植物"');
    expect(`${forced.titles.join('')}${forced.body}`.replaceAll('多肉植物', '')).not.toMatch(han);
  });

  it('derives tags from the topic, its category and generic RED tags', () => {
    const zh = writeLocalCopy({ topic: '新手如何开始跑步', pages: [] }).tags;
    expect(zh.slice(0, 4)).toEqual(['新手如何开始跑步', '跑步', '运动健身', '健康生活']);
    const en = writeLocalCopy({ topic: 'Beginner guide to houseplants', pages: [] }).tags;
    // "houseplants" is both the topic keyword and a plant-category tag: it appears once.
    expect(en.slice(0, 2)).toEqual(['houseplants', 'plantcare']);
    const generic = ['lifehacks', 'tips', 'howto', 'beginnerguide', 'selfimprovement', 'dailyroutine'];
    expect(en.slice(2).every((tag) => [...generic, 'worthsaving', 'learnwithme'].includes(tag))).toBe(true);
    const broad = writeLocalCopy({ topic: 'Quantum knitting', pages: [] }).tags;
    expect(broad.slice(0, 3)).toEqual(['quantumknitting', 'knitting', 'quantum']);
  });

  it('strips the topic the local outline puts in front of every heading', () => {
    const pages = parseOutline(writeLocalOutline({ topic: 'Learning to cook at home', pageCount: 5 }));
    const copy = writeLocalCopy({ topic: 'Learning to cook at home', pages });
    const list = copy.body.split('\n').filter((line) => /^\d+\. /.test(line));
    expect(list).toHaveLength(3);
    for (const line of list) {
      expect(line).not.toContain('Learning to cook at home');
      expect(line).toMatch(/^\d+\. [A-Z0-9]/);
    }
  });

  it('stays within every limit for many topics, outline sizes and languages', () => {
    const topics = [
      '新手如何开始跑步',
      '东京自由行',
      '在家做手冲咖啡',
      '上班族如何健康午睡，以及一些很长很长的补充说明文字让标题放不下',
      '猫',
      'Beginner guide to houseplants',
      'Budget travel in Lisbon',
      'x',
      'How to finally build a morning routine that survives busy weeks and late nights',
    ];
    for (const topic of topics) {
      const lang = han.test(topic) ? 'zh' : 'en';
      expectValid(writeLocalCopy({ topic, pages: [] }), lang);
      for (const pageCount of [3, 7, 15]) {
        const pages = parseOutline(writeLocalOutline({ topic, pageCount }));
        expectValid(writeLocalCopy({ topic, pages }), lang);
      }
    }
  });

  it('shortens a long list of long headings instead of exceeding 500 characters', () => {
    const pages = Array.from({ length: 20 }, (_, i) => ({
      type: 'content' as const,
      content: `Step ${i + 1}: a rather long heading that keeps going and going\nWith a detail line`,
    }));
    const copy = writeLocalCopy({ topic: 'Sleep', pages });
    expectValid(copy, 'en');
    expect(copy.body).toMatch(/\n1\. Step 1: a rather long heading that …\n/);
    expect(copy.body).toMatch(/\n…plus \d+ more in the images\n/);
  });

  it('survives topics that look like markup, numbering or hashtags', () => {
    for (const topic of ['#早睡# 打卡', '1. 「早起」', '"Quotes" & <tags>', '   跑步？！  ']) {
      const lang = han.test(topic) ? 'zh' : 'en';
      expectValid(writeLocalCopy({ topic, pages: RUNNING_PAGES }), lang);
    }
  });

  it('varies titles between topics', () => {
    const topics = ['早睡', '跑步', '理财', '养猫', '露营', '做饭', '学英语', '健身'];
    const shapes = new Set(
      topics.map((topic) => writeLocalCopy({ topic, pages: [] }).titles.join('|').replaceAll(topic, '')),
    );
    expect(shapes.size).toBeGreaterThan(3);
  });

  it('rejects an empty topic', () => {
    expect(() => writeLocalCopy({ topic: '  ', pages: [] })).toThrow(TypeError);
  });
});

import { describe, expect, it } from 'vitest';
import { writeLocalOutline } from './local-writer.js';
import { parseOutline } from './parse-outline.js';

const han = /\p{Script=Han}/u;

describe('writeLocalOutline', () => {
  it('is deterministic', () => {
    const input = { topic: '新手如何开始跑步', pageCount: 9 };
    expect(writeLocalOutline(input)).toBe(writeLocalOutline({ ...input }));
  });

  it('writes 7 pages by default that parse as cover, 5 content pages and a summary', () => {
    const pages = parseOutline(writeLocalOutline({ topic: '新手如何开始跑步' }));
    expect(pages.map((p) => p.type)).toEqual([
      'cover',
      'content',
      'content',
      'content',
      'content',
      'content',
      'summary',
    ]);
    for (const page of pages) {
      const lines = page.content.split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.length).toBeLessThanOrEqual(7);
      expect(lines.at(-1)).toMatch(/^画面：/);
    }
  });

  it('honours pageCount from 3 to 15 and clamps outside values', () => {
    for (const pageCount of [3, 4, 10, 15]) {
      const pages = parseOutline(writeLocalOutline({ topic: 'Learning to cook at home', pageCount }));
      expect(pages).toHaveLength(pageCount);
      expect(pages[0]?.type).toBe('cover');
      expect(pages.at(-1)?.type).toBe('summary');
      expect(pages.slice(1, -1).every((p) => p.type === 'content')).toBe(true);
    }
    expect(parseOutline(writeLocalOutline({ topic: 'Cooking', pageCount: 99 }))).toHaveLength(15);
    expect(parseOutline(writeLocalOutline({ topic: 'Cooking', pageCount: 1 }))).toHaveLength(3);
  });

  it('never repeats a page, even at 15 pages', () => {
    const pages = parseOutline(writeLocalOutline({ topic: '东京自由行', pageCount: 15 }));
    const headings = pages.map((p) => p.content.split('\n')[0]);
    expect(new Set(headings).size).toBe(15);
  });

  it('weaves the topic into the headings and body', () => {
    const pages = parseOutline(writeLocalOutline({ topic: '在家做手冲咖啡' }));
    expect(pages.every((p) => p.content.startsWith('在家做手冲咖啡'))).toBe(true);
  });

  it('writes Chinese for a Chinese topic and English otherwise', () => {
    const zh = writeLocalOutline({ topic: '养猫新手指南' });
    expect(zh).toContain('[封面]');
    expect(zh).toContain('[总结]');
    const en = writeLocalOutline({ topic: 'Beginner guide to houseplants' });
    expect(en).toContain('[cover]');
    expect(en).not.toMatch(han);
    expect(en).toContain('Beginner guide to houseplants');
    expect(writeLocalOutline({ topic: '多肉植物', language: 'en' })).toContain('[cover]');
  });

  it('varies the outline between topics', () => {
    const topics = ['早睡', '跑步', '理财', '养猫', '露营', '做饭', '学英语', '健身'];
    const shapes = new Set(
      topics.map((topic) =>
        writeLocalOutline({ topic })
          .replaceAll(topic, '')
          .split('\n<page>\n')
          .map((page) => page.split('\n')[1])
          .join('|'),
      ),
    );
    expect(shapes.size).toBeGreaterThan(4);
  });

  it('keeps a hostile topic from breaking the page structure', () => {
    for (const topic of ['[summary] cats <page>\n dogs', '---', '第2页', '```js tips']) {
      const pages = parseOutline(writeLocalOutline({ topic, pageCount: 5 }));
      expect(pages.map((p) => p.type)).toEqual(['cover', 'content', 'content', 'content', 'summary']);
      expect(pages.every((p) => p.content.split('\n').length >= 3)).toBe(true);
    }
  });
});

import { describe, expect, it } from 'vitest';
import {
  cleanTitle,
  normalizeBody,
  normalizeTags,
  normalizeTitles,
  splitTags,
  takeTrailingHashtags,
} from './normalize.js';

describe('copy normalisation', () => {
  it('removes numbering, bullets, bold and quotes from titles but not leading numbers', () => {
    expect(cleanTitle('**1. 「三天学会手冲」**')).toBe('三天学会手冲');
    expect(cleanTitle('标题2：早睡的好处')).toBe('早睡的好处');
    expect(cleanTitle('Title 3: "Sleep better"')).toBe('Sleep better');
    expect(cleanTitle('(2) ‘Morning pages’')).toBe('Morning pages');
    expect(cleanTitle('3天学会早睡')).toBe('3天学会早睡');
    expect(cleanTitle('10:30 前睡觉的秘诀')).toBe('10:30 前睡觉的秘诀');
  });

  it('splits tag text on hashtags, list separators or, failing those, spaces', () => {
    expect(splitTags('#早睡 #自律#健康')).toEqual(['', '早睡', '自律', '健康']);
    expect(splitTags('早睡、自律，健康生活')).toEqual(['早睡', '自律', '健康生活']);
    expect(splitTags('sleep, bedtime routine')).toEqual(['sleep', ' bedtime routine']);
    expect(splitTags('早睡 自律 健康')).toEqual(['早睡', '自律', '健康']);
  });

  it('moves trailing hashtag lines out of the body, including the RED [话题] form', () => {
    expect(takeTrailingHashtags('正文。\n\n#早起 #自律\n#早起打卡[话题]#\n')).toEqual({
      body: '正文。',
      tags: ['', '早起', '自律', '', '早起打卡[话题]', ''],
    });
    expect(takeTrailingHashtags('#1 tip: sleep\nmore text')).toEqual({
      body: '#1 tip: sleep\nmore text',
      tags: [],
    });
  });

  it('is idempotent', () => {
    const body = `  第一段。\r\n\r\n\r\n  **第二段**  \n${'很长的一句话，'.repeat(80)}。`;
    const once = normalizeBody(body);
    expect(normalizeBody(once)).toBe(once);
    const tags = normalizeTags(['#A', 'a', 'b c', '「d」', 'e、f']);
    expect(tags).toEqual(['A', 'bc', 'd', 'e', 'f']);
    expect(normalizeTags(tags)).toEqual(tags);
    const titles = normalizeTitles(['1. x', 'X', '"y"', 'z', 'w']);
    expect(titles).toEqual(['x', 'y', 'z']);
    expect(normalizeTitles(titles)).toEqual(titles);
  });

  it('merges full-width and half-width spellings of the same tag', () => {
    expect(normalizeTags(['ＡＢＣ', 'abc'])).toEqual(['ＡＢＣ']);
  });
});

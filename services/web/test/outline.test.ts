import type { PostView } from '@inkpost/shared/contract';
import { describe, expect, it } from 'vitest';
import { en, format, zh } from '../src/i18n/messages.js';
import { addPage, draftOf, draftProblems, movePage, patchBodyOf, signature } from '../src/lib/outline.js';

const pages = ['cover', 'content', 'summary'].map((type, index) => ({
  index,
  id: `p${index}`,
  type,
  content: `Text ${index}`,
  image: { status: 'pending', version: 0, url: null, thumbnailUrl: null, versions: [], error: null },
})) as PostView['pages'];
const post = { topic: 'Topic', pages, revision: 4 } as PostView;

describe('the outline draft', () => {
  it('sends kept pages with their ids, new ones without, in the new order', () => {
    let draft = draftOf(post);
    draft = { ...draft, pages: movePage(addPage(draft.pages), 2, 0) };
    // A new content page goes before the summary.
    expect(draft.pages.map((p) => p.id ?? 'new')).toEqual(['new', 'p0', 'p1', 'p2']);
    draft.pages[0]!.content = '  Fresh page  ';
    expect(patchBodyOf(draft)).toEqual({
      topic: 'Topic',
      pages: [
        { type: 'content', content: 'Fresh page' },
        { id: 'p0', type: 'cover', content: 'Text 0' },
        { id: 'p1', type: 'content', content: 'Text 1' },
        { id: 'p2', type: 'summary', content: 'Text 2' },
      ],
    });
  });

  it('sees an outline change in its signature, and not a change of images', () => {
    const base = signature(draftOf(post));
    const imaged = {
      ...post,
      pages: pages.map((p) => ({ ...p, image: { ...p.image, status: 'completed' } })),
    };
    expect(signature(draftOf(imaged as PostView))).toBe(base);
    expect(signature({ ...draftOf(post), topic: 'Other' })).not.toBe(base);
    expect(signature({ ...draftOf(post), pages: movePage(draftOf(post).pages, 0, 1) })).not.toBe(base);
  });

  it('reports what the API would refuse', () => {
    const draft = draftOf(post);
    expect(draftProblems(draft)).toEqual([]);
    expect(draftProblems({ topic: ' ', pages: [{ ...draft.pages[0]!, content: '' }] })).toEqual([
      'topicEmpty',
      'pageEmpty',
    ]);
  });
});

describe('the UI strings', () => {
  it('has the same placeholders in Chinese and English, and no empty string', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(zh[key].trim(), key).not.toBe('');
      expect(names(zh[key]), key).toEqual(names(en[key]));
    }
    expect(format(zh['post.progress'], { done: 2, total: 6 })).toBe('已完成 2/6 张');
  });
});

describe('the language', () => {
  it('follows the browser unless the user picked one', async () => {
    const { detectLang } = await import('../src/i18n/messages.js');
    expect(detectLang(null, ['zh-CN'])).toBe('zh');
    expect(detectLang(null, ['zh-TW'])).toBe('zh');
    expect(detectLang(null, ['en-US'])).toBe('en');
    expect(detectLang(null, ['fr'])).toBe('en');
    expect(detectLang('zh', ['en-US'])).toBe('zh');
  });
});

import type { PageView, PostView } from '@inkpost/shared/contract';
import { describe, expect, it } from 'vitest';
import { applyEvent, isActive, isEditable, progress } from '../src/lib/post-events.js';

function page(index: number, status: PageView['image']['status'] = 'pending'): PageView {
  return {
    index,
    id: `page_${index}`,
    type: index === 0 ? 'cover' : 'content',
    content: `Page ${index}`,
    image: { status, version: 0, url: null, thumbnailUrl: null, versions: [], error: null },
  };
}

function post(pages: PageView[], status: PostView['status'] = 'outlined'): PostView {
  return {
    id: 'post_x',
    topic: 'T',
    status,
    aspectRatio: '3:4',
    style: null,
    textProvider: 'local',
    imageProvider: 'text_card',
    referenceImages: [],
    pages,
    copy: null,
    copyStatus: 'none',
    copyError: null,
    usage: {
      textTokensIn: 0,
      textTokensOut: 0,
      imagesGenerated: 0,
      providerCalls: 0,
      cost: null,
      currency: null,
    },
    estimate: null,
    error: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    revision: 3,
  };
}

const url = (i: number, v: number) => `/v1/posts/post_x/pages/${i}/image?version=${v}`;

describe('applying stream events to a post', () => {
  it('walks a page through queued, generating and completed, adding the version', () => {
    let p = post([page(0), page(1)], 'generating');
    p = applyEvent(p, { name: 'page.queued', data: { index: 1, pageId: 'page_1' } });
    expect(p.pages[1]!.image.status).toBe('queued');
    expect(isActive(p)).toBe(true);
    p = applyEvent(p, { name: 'page.started', data: { index: 1, pageId: 'page_1' } });
    expect(p.pages[1]!.image.status).toBe('generating');
    const done = {
      index: 1,
      pageId: 'page_1',
      version: 1,
      url: url(1, 1),
      thumbnailUrl: `${url(1, 1)}&size=thumb`,
    };
    p = applyEvent(p, { name: 'page.completed', data: done });
    p = applyEvent(p, { name: 'page.completed', data: done });
    expect(p.pages[1]!.image).toMatchObject({ status: 'completed', version: 1, url: url(1, 1) });
    expect(p.pages[1]!.image.versions.map((v) => v.version)).toEqual([1]);
    expect(p.pages[0]!.image.status).toBe('pending');
    expect(progress(p)).toEqual({ done: 1, failed: 0, running: 0, total: 2 });
  });

  it('keeps the provider reason of a failed page and the final status', () => {
    let p = post([page(0, 'generating')], 'generating');
    const error = { code: 'content_policy', message: 'rejected by the safety system', retryable: false };
    p = applyEvent(p, { name: 'page.failed', data: { index: 0, pageId: 'page_0', error } });
    expect(p.pages[0]!.image).toMatchObject({ status: 'failed', error });
    p = applyEvent(p, { name: 'post.failed', data: { error: { code: 'all_failed', message: 'x' } } });
    expect(p.status).toBe('failed');
    expect(isActive(p)).toBe(false);
    expect(isEditable(p)).toBe(true);
  });

  it('marks running pages cancelled on post.cancelled', () => {
    const p = applyEvent(
      post([page(0, 'completed'), page(1, 'generating'), page(2, 'queued')], 'generating'),
      {
        name: 'post.cancelled',
        data: {},
      },
    );
    expect(p.status).toBe('cancelled');
    expect(p.pages.map((x) => x.image.status)).toEqual(['completed', 'cancelled', 'cancelled']);
  });

  it('takes outline edits, selected versions and copy', () => {
    let p = post([page(0)]);
    p = applyEvent(p, { name: 'outline.updated', data: { topic: 'New', pages: [page(0), page(1)] } });
    expect(p.topic).toBe('New');
    expect(p.pages).toHaveLength(2);
    p = applyEvent(p, {
      name: 'page.selected',
      data: { index: 0, pageId: 'page_0', version: 1, url: url(0, 1), thumbnailUrl: null },
    });
    expect(p.pages[0]!.image.version).toBe(1);
    const copy = { titles: ['a', 'b', 'c'], body: 'body', tags: ['x'] };
    p = applyEvent({ ...p, copyStatus: 'writing' }, { name: 'copy.completed', data: { copy } });
    expect(p).toMatchObject({ copy, copyStatus: 'completed' });
  });

  it('ignores events about pages it does not have', () => {
    const p = post([page(0)]);
    expect(applyEvent(p, { name: 'page.started', data: { index: 5, pageId: 'nope' } })).toBe(p);
  });
});

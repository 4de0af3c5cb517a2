import type { ImageVersionRecord, PostRecord } from '@inkpost/shared';
import { describe, expect, it } from 'vitest';
import {
  defaultGenerationTargets,
  markCompleted,
  markFailed,
  markStarted,
  planGeneration,
  runnableRenders,
} from './post-state.js';
import { samplePost } from './test-fixtures.js';

const now = '2026-01-01T00:00:00.000Z';

function image(post: PostRecord, index: number, version = 1): ImageVersionRecord {
  const page = post.pages[index]!;
  return {
    version,
    key: `posts/${post.id}/pages/${page.id}/v${version}.png`,
    mimeType: 'image/png',
    thumbKey: null,
    createdAt: now,
    provider: 'p',
    model: null,
  };
}

describe('post state transitions', () => {
  it('queues every page with a fresh version; the others wait for the cover', () => {
    const post = samplePost();
    const result = planGeneration(post, defaultGenerationTargets(post), 'p', now);
    expect(result.value?.queued).toEqual([0, 1, 2, 3]);
    expect(post.status).toBe('generating');
    expect(post.pages.map((p) => p.image.status)).toEqual(['queued', 'queued', 'queued', 'queued']);
    expect(post.pages.map((p) => p.image.pending?.waitingForCover)).toEqual([false, true, true, true]);
    expect(result.events?.map((e) => e.name)).toEqual([
      'page.queued',
      'page.queued',
      'page.queued',
      'page.queued',
      'post.status',
    ]);
    expect(runnableRenders(post).map((r) => r.pageId)).toEqual([post.pages[0]!.id]);
  });

  it('queues nothing for pages already queued', () => {
    const post = samplePost();
    planGeneration(post, [0, 1, 2, 3], 'p', now);
    expect(planGeneration(post, [0, 1, 2, 3], 'p', now)).toEqual({ unchanged: true, value: { queued: [] } });
  });

  it('a finished cover releases the waiting pages with itself as their reference', () => {
    const post = samplePost();
    planGeneration(post, [0, 1, 2, 3], 'p', now);
    markStarted(post, post.pages[0]!.id, 1);
    const done = markCompleted(post, post.pages[0]!.id, image(post, 0), 1);
    expect(done.events?.map((e) => e.name)).toEqual(['page.completed']);
    const renders = runnableRenders(post);
    expect(renders).toHaveLength(3);
    for (const r of renders) expect(r.cover).toEqual({ pageId: post.pages[0]!.id, version: 1 });
  });

  it('completes the post when the last page completes, once', () => {
    const post = samplePost(['cover', 'summary']);
    planGeneration(post, [0, 1], 'p', now);
    markCompleted(post, post.pages[0]!.id, image(post, 0), 1);
    const last = markCompleted(post, post.pages[1]!.id, image(post, 1), 1);
    expect(last.events?.map((e) => e.name)).toEqual(['page.completed', 'post.status', 'post.completed']);
    expect(post.status).toBe('completed');
    expect(post.usage).toMatchObject({ imagesGenerated: 2, providerCalls: 2 });
    expect(markCompleted(post, post.pages[1]!.id, image(post, 1), 1)).toEqual({
      unchanged: true,
      value: false,
    });
  });

  it('a failed cover fails the pages waiting for it, retryable, and the post fails', () => {
    const post = samplePost(['cover', 'content', 'summary']);
    planGeneration(post, [0, 1, 2], 'p', now);
    const error = { code: 'provider_auth', message: 'bad key', retryable: false };
    const result = markFailed(post, post.pages[0]!.id, 1, error, 1);
    expect(post.pages.map((p) => p.image.error?.code)).toEqual([
      'provider_auth',
      'cover_failed',
      'cover_failed',
    ]);
    expect(post.pages[1]!.image.error?.retryable).toBe(true);
    expect(post.status).toBe('failed');
    expect(result.events?.at(-1)).toMatchObject({
      name: 'post.failed',
      data: { error: { code: 'all_pages_failed' } },
    });
  });

  it('ends partial when some pages failed', () => {
    const post = samplePost(['cover', 'content', 'summary']);
    planGeneration(post, [0, 1, 2], 'p', now);
    markCompleted(post, post.pages[0]!.id, image(post, 0), 1);
    markFailed(post, post.pages[1]!.id, 1, { code: 'content_policy', message: 'no', retryable: false }, 1);
    const last = markCompleted(post, post.pages[2]!.id, image(post, 2), 1);
    expect(post.status).toBe('partial');
    expect(last.events?.at(-1)).toEqual({
      name: 'post.completed',
      data: { status: 'partial', completed: 2, failed: 1 },
    });
  });

  it('ignores a stale job for a version nobody waits for', () => {
    const post = samplePost(['cover']);
    planGeneration(post, [0], 'p', now);
    expect(markStarted(post, post.pages[0]!.id, 7)).toEqual({ unchanged: true, value: false });
    expect(markCompleted(post, post.pages[0]!.id, image(post, 0, 7), 1)).toEqual({
      unchanged: true,
      value: false,
    });
  });

  it('renders a later page alone with the current cover as reference', () => {
    const post = samplePost(['cover', 'content']);
    planGeneration(post, [0], 'p', now);
    markCompleted(post, post.pages[0]!.id, image(post, 0), 1);
    planGeneration(post, [1], 'p', now);
    expect(runnableRenders(post)).toEqual([
      {
        pageId: post.pages[1]!.id,
        version: 1,
        provider: 'p',
        cover: { pageId: post.pages[0]!.id, version: 1 },
      },
    ]);
  });
});

import type { PostView } from '@inkpost/shared';
import { isPng, readPngSize } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

describe('offline defaults (local outline writer + text_card images)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('turns a topic into a completed post with every page image stored in S3', async () => {
    const created = await stack.createPost({ topic: '3岁宝宝冬季保暖攻略', autoGenerate: true });
    expect(created.status).toBe('outlining');
    expect(created.id).toMatch(/^post_[A-Za-z0-9_-]{20,}$/);

    const messages = await stack.follow(created.id);
    const names = messages.map((m) => m.event);
    expect(names[0]).toBe('snapshot');
    expect(names.at(-1)).toBe('post.completed');
    expect(messages.at(-1)!.data).toMatchObject({ status: 'completed', failed: 0 });

    // The whole history, replayed from the start of the stream: outline first, then the pages, then the end.
    const history = (await stack.follow(created.id, 5_000, '0-0')).map((m) => m.event);
    expect(history[0]).toBe('post.status');
    expect(history).not.toContain('snapshot');
    expect(history.indexOf('outline.completed')).toBeLessThan(history.indexOf('page.queued'));
    expect(history.at(-1)).toBe('post.completed');

    const res = await stack.request('GET', `/v1/posts/${created.id}`);
    expect(res.headers.get('etag')).toMatch(/^"\d+"$/);
    const post = (await res.json()) as PostView;
    expect(post.status).toBe('completed');
    expect(post.pages.length).toBeGreaterThanOrEqual(3);
    expect(post.pages[0]!.type).toBe('cover');
    expect(post.pages.at(-1)!.type).toBe('summary');
    for (const page of post.pages) {
      expect(page.image).toMatchObject({ status: 'completed', version: 1, error: null });
      expect(page.image.versions).toHaveLength(1);
    }
    expect(post.usage.imagesGenerated).toBe(post.pages.length);

    // One image per page; thumbnails are made when first asked for, by the API.
    const keys = await stack.listObjects(`posts/${created.id}/pages/`);
    expect(keys).toEqual(post.pages.map((page) => `posts/${created.id}/pages/${page.id}/v1.png`).sort());

    const image = await stack.request('GET', post.pages[0]!.image.url!);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await image.arrayBuffer());
    expect(isPng(bytes)).toBe(true);
    expect(readPngSize(bytes)).toEqual({ width: 1080, height: 1440 });
  });

  it('renders the cover before any other page', async () => {
    const created = await stack.createPost({
      topic: 'Morning routine for remote workers',
      autoGenerate: true,
    });
    const messages = await stack.follow(created.id);
    const completed = messages
      .filter((m) => m.event === 'page.completed')
      .map((m) => (m.data as { index: number }).index);
    const started = messages
      .filter((m) => m.event === 'page.started')
      .map((m) => (m.data as { index: number }).index);
    expect(completed[0]).toBe(0);
    const coverDone = messages.findIndex((m) => m.event === 'page.completed');
    const firstOtherStart = messages.findIndex(
      (m) => m.event === 'page.started' && (m.data as { index: number }).index !== 0,
    );
    expect(started[0]).toBe(0);
    expect(firstOtherStart).toBeGreaterThan(coverDone);
  });
});

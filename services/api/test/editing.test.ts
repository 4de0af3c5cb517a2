import { createRedis, PostStore, rebuildFromManifests, S3Storage } from '@inkpost/core';
import type { PostView } from '@inkpost/shared';
import { testEnv } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

const pages = [
  { type: 'cover', content: 'Cover' },
  { type: 'content', content: 'First point' },
  { type: 'content', content: 'Second point' },
  { type: 'summary', content: 'Summary' },
];

describe('the editing loop', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function get(id: string): Promise<PostView> {
    return (await (await stack.request('GET', `/v1/posts/${id}`)).json()) as PostView;
  }

  async function generated(body: Record<string, unknown> = {}): Promise<PostView> {
    const created = await stack.createPost({ topic: 'Edit me', pages, autoGenerate: true, ...body });
    await stack.follow(created.id);
    return get(created.id);
  }

  it('edits, adds, deletes, reorders and retypes pages, keeping images of kept pages', async () => {
    const post = await generated();
    const [cover, first, second, summary] = post.pages;
    const res = await stack.request(
      'PATCH',
      `/v1/posts/${post.id}`,
      {
        topic: 'Edited topic',
        pages: [
          { id: cover!.id, type: 'cover', content: 'Cover' },
          { id: second!.id, type: 'content', content: 'Second point, reworded' },
          { type: 'content', content: 'A new point' },
          { id: first!.id, type: 'summary', content: 'First point' },
        ],
      },
      { 'if-match': `"${post.revision}"` },
    );
    expect(res.status).toBe(200);
    const edited = (await res.json()) as PostView;
    expect(edited.topic).toBe('Edited topic');
    expect(edited.pages.map((p) => [p.id, p.type])).toEqual([
      [cover!.id, 'cover'],
      [second!.id, 'content'],
      [edited.pages[2]!.id, 'content'],
      [first!.id, 'summary'],
    ]);
    expect(edited.pages.map((p) => p.image.status)).toEqual([
      'completed',
      'completed',
      'pending',
      'completed',
    ]);
    expect(edited.pages.some((p) => p.id === summary!.id)).toBe(false);
    expect(edited.status).toBe('partial');
    expect(res.headers.get('etag')).toBe(`"${edited.revision}"`);
  });

  it('answers 412 to a stale If-Match and changes nothing', async () => {
    const post = await generated();
    const res = await stack.request(
      'PATCH',
      `/v1/posts/${post.id}`,
      { topic: 'Late' },
      { 'if-match': `"${post.revision - 1}"` },
    );
    expect(res.status).toBe(412);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('precondition_failed');
    expect((await get(post.id)).topic).toBe('Edit me');
  });

  it('refuses to edit while pages render, with 409 and a message', async () => {
    const post = await stack.createPost({ topic: 'Busy', pages });
    await stack.request('POST', `/v1/posts/${post.id}/generate`, {});
    const res = await stack.request('PATCH', `/v1/posts/${post.id}`, { topic: 'Nope' });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('post_busy');
    expect(body.error.message).toMatch(/rendering/);
    await stack.follow(post.id);
  });

  it('regenerates one page as a new version, keeps the old one, and can select it again', async () => {
    const post = await generated();
    const res = await stack.request('POST', `/v1/posts/${post.id}/pages/2/regenerate`, {});
    expect(res.status).toBe(202);
    expect(((await res.json()) as PostView).pages[2]!.image.status).toBe('queued');
    await stack.follow(post.id);
    const after = await get(post.id);
    expect(after.pages[2]!.image.version).toBe(2);
    expect(after.pages[2]!.image.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(after.pages.filter((_, i) => i !== 2).every((p) => p.image.version === 1)).toBe(true);
    const old = await stack.request('GET', after.pages[2]!.image.versions[0]!.url);
    expect(old.status).toBe(200);

    const selected = await stack.request('PUT', `/v1/posts/${post.id}/pages/2/version`, { version: 1 });
    expect(selected.status).toBe(200);
    expect(((await selected.json()) as PostView).pages[2]!.image.version).toBe(1);
    const missing = await stack.request('PUT', `/v1/posts/${post.id}/pages/2/version`, { version: 9 });
    expect(missing.status).toBe(409);
  });

  it('lists posts newest first with status filter, search and stable cursor pagination', async () => {
    const own = await startStack({ workers: false });
    try {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await own.createPost({ topic: `List ${i} 冬季`, pages })).id);
      const first = (await (await own.request('GET', '/v1/posts?limit=2')).json()) as {
        items: PostView[];
        nextCursor: string;
      };
      expect(first.items.map((p) => p.id)).toEqual([made[4], made[3]]);
      // A post created while paging does not shift the next page.
      await own.createPost({ topic: 'Newcomer', pages });
      const second = (await (
        await own.request('GET', `/v1/posts?limit=2&cursor=${first.nextCursor}`)
      ).json()) as {
        items: PostView[];
        nextCursor: string | null;
      };
      expect(second.items.map((p) => p.id)).toEqual([made[2], made[1]]);
      const third = (await (
        await own.request('GET', `/v1/posts?limit=2&cursor=${second.nextCursor}`)
      ).json()) as {
        items: PostView[];
        nextCursor: string | null;
      };
      expect(third.items.map((p) => p.id)).toEqual([made[0]]);
      expect(third.nextCursor).toBeNull();

      const search = (await (
        await own.request('GET', `/v1/posts?q=${encodeURIComponent('list 3')}`)
      ).json()) as { items: PostView[] };
      expect(search.items.map((p) => p.id)).toEqual([made[3]]);
      const byPage = (await (await own.request('GET', '/v1/posts?q=second%20point&limit=100')).json()) as {
        items: PostView[];
      };
      expect(byPage.items).toHaveLength(6);
      const outlined = (await (await own.request('GET', '/v1/posts?status=completed')).json()) as {
        items: PostView[];
      };
      expect(outlined.items).toEqual([]);
      const bad = await own.request('GET', '/v1/posts?cursor=%%%');
      expect(bad.status).toBe(400);
    } finally {
      await own.close();
    }
  });

  it('deletes the post, its events and every stored object', async () => {
    const post = await generated();
    expect((await stack.listObjects(`posts/${post.id}/`)).length).toBeGreaterThan(pages.length);
    const res = await stack.request('DELETE', `/v1/posts/${post.id}`);
    expect(res.status).toBe(204);
    expect((await stack.request('GET', `/v1/posts/${post.id}`)).status).toBe(404);
    expect((await stack.request('GET', `/v1/posts/${post.id}/events`)).status).toBe(404);
    expect(await stack.listObjects(`posts/${post.id}/`)).toEqual([]);
    const redis = createRedis(testEnv().redisUrl, 'request');
    const keys = await redis.keys(`{${stack.prefix}}:post:${post.id}*`);
    await redis.quit();
    expect(keys).toEqual([]);
  });

  it('mirrors every post to a manifest and rebuilds Redis from them after a flush', async () => {
    const post = await generated();
    await new Promise((r) => setTimeout(r, 300));
    expect(await stack.listObjects(`posts/${post.id}/post.json`)).toEqual([`posts/${post.id}/post.json`]);
    const redis = createRedis(testEnv().redisUrl, 'request');
    const keys = await redis.keys(`{${stack.prefix}}:*`);
    await redis.del(...keys);
    expect((await stack.request('GET', `/v1/posts/${post.id}`)).status).toBe(404);
    const storage = new S3Storage({ ...testEnv().s3, bucket: stack.bucket, forcePathStyle: true });
    const result = await rebuildFromManifests(new PostStore(redis, stack.prefix), storage);
    storage.close();
    await redis.quit();
    expect(result.restored).toBeGreaterThanOrEqual(1);
    const back = await get(post.id);
    expect(back.status).toBe('completed');
    expect(back.revision).toBe(post.revision);
    expect((await stack.request('GET', back.pages[0]!.image.url!)).status).toBe(200);
    const listed = (await (await stack.request('GET', '/v1/posts?limit=100')).json()) as {
      items: PostView[];
    };
    expect(listed.items.map((p) => p.id)).toContain(post.id);
  });
});

describe('retry-failed, aspect ratios and styles', () => {
  it('re-queues only the failed pages, cover first', async () => {
    const { startFakeProvider } = await import('@inkpost/testkit');
    const fake = await startFakeProvider();
    const stack = await startStack({
      imageProvidersYaml: [
        'active_provider: flaky',
        'providers:',
        '  flaky:',
        '    type: image_api',
        '    api_key: k-1234',
        `    base_url: ${fake.url}`,
        '    model: m',
        '    endpoint_type: /v1/images/generations',
        '    max_attempts: 1',
      ].join('\n'),
    });
    try {
      // The cover fails (not retryable): the pages waiting for it fail with it.
      fake.enqueue('/v1/images/generations', {
        kind: 'status',
        status: 400,
        body: { error: { message: 'bad prompt' } },
      });
      const created = await stack.createPost({ topic: 'Retry', pages, autoGenerate: true });
      await stack.follow(created.id);
      const failed = (await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView;
      expect(failed.pages.map((p) => p.image.error?.code)).toEqual([
        'provider_rejected',
        'cover_failed',
        'cover_failed',
        'cover_failed',
      ]);
      const res = await stack.request('POST', `/v1/posts/${created.id}/retry-failed`, {});
      expect(res.status).toBe(202);
      await stack.follow(created.id);
      const done = (await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView;
      expect(done.status).toBe('completed');
      const images = fake.requests.filter((r) => r.path.includes('/images/'));
      expect(images).toHaveLength(5);
      expect(images[1]!.json.prompt).toContain('page 1 of 4');
      const nothing = await stack.request('POST', `/v1/posts/${created.id}/retry-failed`, {});
      expect(((await nothing.json()) as PostView).revision).toBe(done.revision);
    } finally {
      await stack.close();
      await fake.close();
    }
  });

  it('renders a 1:1 post as square cards, and the style changes the card', async () => {
    const { readPngSize } = await import('@inkpost/testkit');
    const stack = await startStack();
    try {
      const square = await stack.createPost({
        topic: 'Square',
        pages,
        autoGenerate: true,
        aspectRatio: '1:1',
        style: 'pastel',
      });
      const plain = await stack.createPost({
        topic: 'Square',
        pages,
        autoGenerate: true,
        aspectRatio: '1:1',
        style: 'minimal',
      });
      await stack.follow(square.id);
      await stack.follow(plain.id);
      const [a, b] = await Promise.all(
        [square.id, plain.id].map(async (id) => {
          const post = (await (await stack.request('GET', `/v1/posts/${id}`)).json()) as PostView;
          return Buffer.from(await (await stack.request('GET', post.pages[0]!.image.url!)).arrayBuffer());
        }),
      );
      expect(readPngSize(a!)).toEqual({ width: 1080, height: 1080 });
      expect(a!.equals(b!)).toBe(false);
    } finally {
      await stack.close();
    }
  });
});

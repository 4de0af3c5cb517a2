import { verifyWebhookSignature } from '@inkpost/core';
import type { PostView } from '@inkpost/shared';
import { startFakeProvider, startWebhookReceiver, type WebhookReceiver } from '@inkpost/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { type Stack, startStack } from './harness.js';

const SECRET = 'whsec_test_0123456789';
const pages = [
  { type: 'cover', content: '冬季宝宝穿搭' },
  { type: 'content', content: '洋葱式穿衣\n- 内层吸汗\n- 外层防风' },
  { type: 'content', content: '摸后颈判断冷暖' },
  { type: 'summary', content: '分层穿、勤摸颈' },
];

function unzip(buffer: Buffer): Promise<{ name: string; data: Buffer }[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const entries: { name: string; data: Buffer }[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.push({ name: entry.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}

describe('archive, copy, thumbnails and webhooks', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver({ failFirst: 2 });
    stack = await startStack({
      env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_BACKOFF_MS: '100' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  async function completed(body: Record<string, unknown> = {}): Promise<PostView> {
    const created = await stack.createPost({ topic: '3岁宝宝冬季保暖', pages, autoGenerate: true, ...body });
    await stack.follow(created.id);
    return (await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView;
  }

  it('writes copy on the text worker and keeps it on the post', async () => {
    const post = await completed();
    const res = await stack.request('POST', `/v1/posts/${post.id}/copy`, {});
    expect(res.status).toBe(202);
    expect(((await res.json()) as PostView).copyStatus).toBe('queued');
    const again = await stack.request('POST', `/v1/posts/${post.id}/copy`, {});
    expect(((await again.json()) as PostView).copyStatus).toMatch(/queued|writing|completed/);
    const now = await stack.waitFor(
      post.id,
      (p) => p.copyStatus === 'completed' || p.copyStatus === 'failed',
    );
    expect(now.copyStatus).toBe('completed');
    expect(now.copy!.titles).toHaveLength(3);
    expect([...now.copy!.body].length).toBeGreaterThanOrEqual(200);
    expect([...now.copy!.body].length).toBeLessThanOrEqual(500);
    expect(now.copy!.tags.length).toBeGreaterThanOrEqual(5);
    expect(now.copy!.tags.length).toBeLessThanOrEqual(8);
    // The copy is on the post's record: a reload (GET) has it, unlike RedInk's page state.
    const history = (await stack.follow(post.id, 5_000, '0-0')).map((m) => m.event);
    expect(history).toContain('copy.completed');
  });

  it('streams a ZIP in page order with outline.md and copy.md, byte-exact images', async () => {
    const post = await completed();
    await stack.request('POST', `/v1/posts/${post.id}/copy`, {});
    await stack.waitFor(post.id, (p) => p.copyStatus === 'completed');
    const res = await stack.request('GET', `/v1/posts/${post.id}/archive.zip`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const entries = await unzip(Buffer.from(await res.arrayBuffer()));
    expect(entries.map((e) => e.name)).toEqual([
      '01.png',
      '02.png',
      '03.png',
      '04.png',
      'outline.md',
      'copy.md',
    ]);
    for (const [i, page] of post.pages.entries()) {
      const image = Buffer.from(await (await stack.request('GET', page.image.url!)).arrayBuffer());
      expect(entries[i]!.data.equals(image)).toBe(true);
    }
    expect(entries[4]!.data.toString()).toContain('洋葱式穿衣');
    expect(entries[5]!.data.toString()).toContain('#');
  });

  it('makes a small WebP thumbnail on its first request, stores it, and serves the stored one afterwards', async () => {
    const post = await completed();
    const page = post.pages[1]!;
    expect(page.image.thumbnailUrl).toBe(`/v1/posts/${post.id}/pages/1/image?version=1&size=thumb`);
    const thumbKey = `posts/${post.id}/pages/${page.id}/thumbs/v1.webp`;
    expect(await stack.listObjects(thumbKey)).toEqual([]); // rendering the page made none

    const res = await stack.request('GET', page.image.thumbnailUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    const thumb = Buffer.from(await res.arrayBuffer());
    const full = Buffer.from(await (await stack.request('GET', page.image.url!)).arrayBuffer());
    expect(thumb.length).toBeLessThan(full.length / 3);
    const [thumbSize, fullSize] = [await sharp(thumb).metadata(), await sharp(full).metadata()];
    expect(thumbSize).toMatchObject({ format: 'webp', width: 360 });
    expect(thumbSize.height).toBe(Math.round((360 * fullSize.height) / fullSize.width));
    expect(await stack.listObjects(thumbKey)).toEqual([thumbKey]);

    const again = await stack.request('GET', page.image.thumbnailUrl!);
    expect(again.headers.get('content-type')).toBe('image/webp');
    expect(Buffer.from(await again.arrayBuffer()).equals(thumb)).toBe(true);
  });

  it('delivers post.completed to a receiver that fails twice: three deliveries, one id, valid signatures', async () => {
    const post = await completed({ webhookUrl: receiver.url });
    await receiver.waitFor(3, 15_000);
    const deliveries = receiver.deliveries.filter((d) => d.body.includes(post.id));
    expect(deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
    const ids = new Set(deliveries.map((d) => d.headers['inkpost-delivery']));
    expect(ids.size).toBe(1);
    for (const d of deliveries) {
      expect(verifyWebhookSignature(SECRET, d.body, String(d.headers['inkpost-signature']))).toBe(true);
      expect(d.headers['inkpost-event']).toBe('post.completed');
    }
    const body = JSON.parse(deliveries[2]!.body) as {
      type: string;
      post: PostView;
      event: { data: { status: string } };
    };
    expect(body.type).toBe('post.completed');
    expect(body.post.id).toBe(post.id);
    expect(body.event.data.status).toBe('completed');
  });

  it('refuses a webhook aimed at a private address unless allowed', async () => {
    const strict = await startStack({ workers: false, env: { WEBHOOK_SECRET: SECRET } });
    try {
      const res = await strict.request('POST', '/v1/posts', {
        topic: 'x',
        pages,
        webhookUrl: 'http://127.0.0.1:9/hook',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_webhook_url');
    } finally {
      await strict.close();
    }
  });
});

describe('live copy on a finished post', () => {
  it('streams copy.completed to a client following while copy is written, then ends', async () => {
    const copyJson = JSON.stringify({
      titles: ['一', '二', '三'],
      body: '宝宝保暖'.repeat(60),
      tags: ['育儿', '保暖', '冬季', '宝宝', '穿搭'],
    });
    const fake = await startFakeProvider({ latencyMs: 400, chatText: () => copyJson });
    const stack = await startStack({
      textProvidersYaml: [
        'providers:',
        '  slow:',
        '    type: openai_compatible',
        '    api_key: k-slow-0000',
        `    base_url: ${fake.url}`,
        '    model: m',
      ].join('\n'),
    });
    try {
      const created = await stack.createPost({ topic: '文案', pages, autoGenerate: true });
      await stack.follow(created.id);
      await stack.request('POST', `/v1/posts/${created.id}/copy`, {});
      const events = (await stack.follow(created.id, 10_000)).map((m) => m.event);
      expect(events).toEqual(['snapshot', 'copy.completed']);
      const post = (await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView;
      expect(post.copy?.tags).toEqual(['育儿', '保暖', '冬季', '宝宝', '穿搭']);
    } finally {
      await stack.close();
      await fake.close();
    }
  });
});

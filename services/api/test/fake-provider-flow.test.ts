import type { PostView } from '@inkpost/shared';
import { decodeFakeImage, type FakeProvider, isPng, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

const OUTLINE = `<think>
用户想要一篇关于冬季保暖的笔记，我需要封面、几页内容和总结。
</think>
好的，以下是大纲：
<page>
[封面]
3岁宝宝冬季保暖攻略
妈妈们必看的穿衣指南
<page>
[内容]
洋葱式穿衣法
- 内层吸汗：纯棉
- 中层保暖：抓绒
- 外层防风：羽绒
<page>
[内容]
摸后颈判断冷暖
- 后颈温热不出汗 = 刚好
- 出汗了就减一件
<page>
[内容]
室内外温差怎么办
- 进门先脱外套
- 室温保持 20℃ 左右
<page>
[总结]
保暖三原则
分层穿、勤摸颈、防温差
`;

function textYaml(fake: FakeProvider): string {
  // Written as RedInk users write it: base_url without /v1, endpoint_type with it.
  return [
    'active_provider: qwen',
    'providers:',
    '  qwen:',
    '    type: openai_compatible',
    '    api_key: ${FAKE_TEXT_KEY}',
    `    base_url: ${fake.url}`,
    '    model: Qwen3-14B',
    '    endpoint_type: /v1/chat/completions',
  ].join('\n');
}

function imageYaml(fake: FakeProvider): string {
  return [
    'active_provider: relay',
    'providers:',
    '  relay:',
    '    type: image_api',
    '    api_key: ${FAKE_IMAGE_KEY}',
    `    base_url: ${fake.url}`,
    '    model: banana-image',
    '    endpoint_type: /v1/images/edits',
    '    high_concurrency: false',
    '    short_prompt: false',
  ].join('\n');
}

describe('a post through real provider code against the fake provider', () => {
  let fake: FakeProvider;
  let stack: Stack;
  let post: PostView;

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 40, chatText: () => OUTLINE });
    stack = await startStack({
      textProvidersYaml: textYaml(fake),
      imageProvidersYaml: imageYaml(fake),
      env: { FAKE_TEXT_KEY: 'sk-text-secret-1234', FAKE_IMAGE_KEY: 'sk-image-secret-5678' },
    });
    const created = await stack.createPost({ topic: '3岁宝宝冬季保暖攻略', autoGenerate: true });
    const messages = await stack.follow(created.id, 30_000);
    expect(messages.at(-1)?.event).toBe('post.completed');
    post = (await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView;
  });

  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('writes the outline with the text model, parsed from Qwen-style output with <think>', async () => {
    const chat = fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(chat).toHaveLength(1);
    expect(chat[0]!.path).toBe('/v1/chat/completions');
    expect(chat[0]!.headers.authorization).toBe('Bearer sk-text-secret-1234');
    expect(chat[0]!.json.model).toBe('Qwen3-14B');
    expect(post.pages.map((p) => p.type)).toEqual(['cover', 'content', 'content', 'content', 'summary']);
    expect(post.pages[1]!.content).toContain('洋葱式穿衣法');
    expect(post.pages.some((p) => p.content.includes('think'))).toBe(false);
    expect(post.usage.textTokensOut).toBeGreaterThan(0);
  });

  it('renders the cover before any other page, and every later page carries the cover', () => {
    const images = fake.requests.filter((r) => r.path.includes('/images/'));
    expect(images).toHaveLength(post.pages.length);
    const [cover, ...rest] = images;
    // The cover has no reference to send, so it goes to the generations endpoint next to the configured edits one.
    expect(cover!.path).toBe('/v1/images/generations');
    expect(cover!.json.prompt).toContain('3岁宝宝冬季保暖攻略');
    for (const req of rest) {
      expect(req.startedAt).toBeGreaterThanOrEqual(cover!.endedAt!);
      expect(req.path).toBe('/v1/images/edits');
      const refs = (req.files ?? []).filter((f) => f.field === 'image[]');
      expect(refs).toHaveLength(1);
      expect(refs[0]!.data.equals(cover!.response!.image!)).toBe(true);
      expect(decodeFakeImage(refs[0]!.data)?.requestId).toBe(cover!.id);
    }
  });

  it('never has two image requests in flight with concurrency 1', () => {
    expect(fake.maxImageInflight).toBe(1);
  });

  it('stores each page image in S3 exactly as the provider made it', async () => {
    const keys = (await stack.listObjects(`posts/${post.id}/pages/`)).filter((k) => !k.includes('/thumbs/'));
    expect(keys).toEqual(post.pages.map((p) => `posts/${post.id}/pages/${p.id}/v1.png`).sort());
    const images = fake.requests.filter((r) => r.path.includes('/images/'));
    const answered = images.map((r) => r.response!.image!);
    for (const page of post.pages) {
      expect(page.image.status).toBe('completed');
      const res = await stack.request('GET', page.image.url!);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(isPng(bytes)).toBe(true);
      expect(answered.some((a) => a.equals(bytes))).toBe(true);
    }
    expect(post.usage).toMatchObject({
      imagesGenerated: post.pages.length,
      providerCalls: post.pages.length + 1,
    });
  });

  it('serves a thumbnail of the provider’s image, and the image itself when it is one no thumbnail can be made of', async () => {
    const thumb = await stack.request('GET', post.pages[1]!.image.thumbnailUrl!);
    expect([thumb.status, thumb.headers.get('content-type')]).toEqual([200, 'image/webp']);

    // A PNG signature and end marker around garbage: it passes the provider checks and does not decode.
    const png = fake.requests.find((r) => r.response?.image)!.response!.image!;
    const broken = Buffer.concat([png.subarray(0, 8), Buffer.alloc(300, 0x41), png.subarray(-12)]);
    const answer = { created: 1, data: [{ b64_json: broken.toString('base64') }] };
    fake.enqueue('/v1/images/generations', { kind: 'status', status: 200, body: answer });
    const created = await stack.createPost({
      topic: 'broken',
      pages: [{ type: 'cover', content: '封面' }],
      autoGenerate: true,
    });
    await stack.follow(created.id);
    const page = ((await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView)
      .pages[0]!;
    expect(page.image.status).toBe('completed');
    const res = await stack.request('GET', page.image.thumbnailUrl!);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await res.arrayBuffer()).equals(broken)).toBe(true);
  });

  it('never shows a provider key in the post or its events', async () => {
    const body = await (await stack.request('GET', `/v1/posts/${post.id}`)).text();
    const events = JSON.stringify(await stack.follow(post.id, 5_000, '0-0'));
    for (const text of [body, events]) {
      expect(text).not.toContain('secret');
    }
  });
});

import type { PostView } from '@inkpost/shared';
import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

const OUTLINE = '[封面]\n标题\n<page>\n[内容]\n要点\n<page>\n[总结]\n收尾';

describe('providers, usage and cost', () => {
  let fake: FakeProvider;
  let stack: Stack;

  beforeAll(async () => {
    fake = await startFakeProvider({ chatText: () => OUTLINE });
    stack = await startStack({
      textProvidersYaml: [
        'active_provider: priced',
        'providers:',
        '  priced:',
        '    type: openai_compatible',
        '    api_key: sk-text-abcdef123456',
        `    base_url: ${fake.url}/v1`,
        '    model: qwen',
        '    price_per_1k_input_tokens: 0.002',
        '    price_per_1k_output_tokens: 0.006',
        '    currency: usd',
      ].join('\n'),
      imageProvidersYaml: [
        'active_provider: paid',
        'providers:',
        '  paid:',
        '    type: image_api',
        '    api_key: sk-image-zyx987654321',
        `    base_url: ${fake.url}`,
        '    model: img',
        '    endpoint_type: /v1/images/generations',
        '    price_per_image: 0.04',
        '    currency: USD',
        '  broken:',
        '    type: image_api',
        '    api_key: sk-broken-000011112222',
        '    base_url: http://127.0.0.1:9/never',
        '    model: img',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('lists providers with keys masked to the last 4 characters', async () => {
    const res = await stack.request('GET', '/v1/providers');
    const body = (await res.json()) as {
      text: { name: string; apiKey: string | null; active: boolean }[];
      image: { name: string; apiKey: string | null; concurrency: number }[];
    };
    const raw = JSON.stringify(body);
    expect(raw).not.toContain('abcdef123456');
    expect(raw).not.toContain('zyx987654321');
    expect(body.text.find((p) => p.name === 'priced')).toMatchObject({ apiKey: '****3456', active: true });
    expect(body.image.find((p) => p.name === 'paid')).toMatchObject({ apiKey: '****4321', concurrency: 1 });
    expect(body.image.map((p) => p.name)).toEqual(expect.arrayContaining(['text_card', 'paid', 'broken']));
  });

  it('tests a provider with a real tiny call and reports latency or the provider’s own message', async () => {
    const ok = (await (await stack.request('POST', '/v1/providers/image/paid/test', {})).json()) as {
      ok: boolean;
      latencyMs: number;
    };
    expect(ok.ok).toBe(true);
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    expect(fake.requests.some((r) => r.path === '/v1/models')).toBe(true);
    const bad = (await (await stack.request('POST', '/v1/providers/image/broken/test', {})).json()) as {
      ok: boolean;
      message: string;
    };
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/could not be reached/);
    expect(bad.message).not.toContain('sk-broken');
    const missing = await stack.request('POST', '/v1/providers/image/nope/test', {});
    expect(missing.status).toBe(404);
  });

  it('estimates before generating and counts tokens, images, calls and cost', async () => {
    const created = await stack.createPost({ topic: '成本测试' });
    const outlined = await stack.waitFor(created.id, (p) => p.status !== 'outlining');
    expect(outlined.status).toBe('outlined');
    expect(outlined.estimate).toEqual({ images: 3, cost: 0.12, currency: 'USD' });
    expect(outlined.usage.imagesGenerated).toBe(0);
    const tokens = outlined.usage;
    expect(tokens.textTokensIn).toBeGreaterThan(0);
    expect(tokens.cost).toBeCloseTo((tokens.textTokensIn * 0.002 + tokens.textTokensOut * 0.006) / 1000, 6);

    await stack.request('POST', `/v1/posts/${created.id}/generate`, {});
    await stack.follow(created.id, 20_000);
    const done = (await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView;
    expect(done.usage).toMatchObject({ imagesGenerated: 3, providerCalls: 4, currency: 'USD' });
    expect(done.usage.cost).toBeCloseTo((tokens.cost ?? 0) + 0.12, 6);
  });
});

import type { PostView } from '@inkpost/shared';
import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

const yaml = (fake: FakeProvider) =>
  [
    'active_provider: flaky',
    'providers:',
    '  flaky:',
    '    type: image_api',
    '    api_key: k-flaky-0001',
    `    base_url: ${fake.url}`,
    '    model: m',
    '    endpoint_type: /v1/images/generations',
    '    timeout_seconds: 1',
    '    max_attempts: 3',
  ].join('\n');

const ENDPOINT = '/v1/images/generations';
const onePage = [{ type: 'cover', content: 'Only page' }];

describe('provider failures through the whole pipeline', () => {
  let fake: FakeProvider;
  let stack: Stack;

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 10 });
    stack = await startStack({ imageProvidersYaml: yaml(fake) });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  async function render(): Promise<{ post: PostView; events: string[] }> {
    const created = await stack.createPost({ topic: 'Flaky', pages: onePage, autoGenerate: true });
    const events = (await stack.follow(created.id, 30_000)).map((m) => m.event);
    const post = (await (await stack.request('GET', `/v1/posts/${created.id}`)).json()) as PostView;
    return { post, events };
  }

  it('a 429 with Retry-After pauses the provider and then resumes, without failing the page', async () => {
    fake.enqueue(ENDPOINT, { kind: 'rate-limit', retryAfter: '1' });
    const { post, events } = await render();
    expect(post.status).toBe('completed');
    expect(events).not.toContain('page.failed');
    const [limited, retried] = fake.requests;
    expect(retried!.startedAt - limited!.endedAt!).toBeGreaterThanOrEqual(900);
  });

  it('a 500 is retried with backoff and the page completes', async () => {
    fake.enqueue(ENDPOINT, { kind: 'status', status: 500 });
    const { post } = await render();
    expect(post.status).toBe('completed');
    expect(fake.requests).toHaveLength(2);
    expect(post.usage.providerCalls).toBeGreaterThanOrEqual(1);
  });

  it('a timeout is retried; a garbage body is retried; the page completes', async () => {
    fake.enqueue(ENDPOINT, { kind: 'hang' }, { kind: 'malformed' });
    const { post } = await render();
    expect(post.status).toBe('completed');
    expect(fake.requests).toHaveLength(3);
  });

  it('a refused key fails the page at once with a message a person understands, not retryable', async () => {
    fake.enqueue(ENDPOINT, {
      kind: 'status',
      status: 401,
      body: { error: { message: 'Incorrect API key provided: k-flaky-0001' } },
    });
    const { post, events } = await render();
    expect(fake.requests).toHaveLength(1);
    expect(post.status).toBe('failed');
    expect(events.at(-1)).toBe('post.failed');
    const error = post.pages[0]!.image.error!;
    expect(error.code).toBe('provider_auth');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/API key/);
    expect(error.message).not.toContain('k-flaky-0001');
  });

  it('a content-policy refusal fails the page at once, not retryable', async () => {
    fake.enqueue(ENDPOINT, {
      kind: 'status',
      status: 400,
      body: {
        error: {
          message: 'Your request was rejected by the safety system.',
          code: 'content_policy_violation',
        },
      },
    });
    const { post } = await render();
    expect(fake.requests).toHaveLength(1);
    expect(post.pages[0]!.image.error).toMatchObject({ code: 'content_policy', retryable: false });
  });

  it('gives up after max_attempts with a retryable error on the page', async () => {
    fake.enqueue(
      ENDPOINT,
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
    );
    const { post } = await render();
    expect(fake.requests).toHaveLength(3);
    expect(post.pages[0]!.image.error).toMatchObject({ code: 'provider_unavailable', retryable: true });
  }, 40_000);
});

import type { PostView } from '@inkpost/shared';
import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

const yaml = (fake: FakeProvider) =>
  [
    'active_provider: limited',
    'providers:',
    '  limited:',
    '    type: image_api',
    '    api_key: k-limited',
    `    base_url: ${fake.url}`,
    '    model: m',
    '    endpoint_type: /v1/images/generations',
    '    concurrency: 2',
  ].join('\n');

const pages = [
  { type: 'cover', content: 'Cover' },
  ...Array.from({ length: 10 }, (_, i) => ({ type: 'content', content: `Point ${i + 1}` })),
  { type: 'summary', content: 'Summary' },
];

describe('provider concurrency across image-worker processes', () => {
  let fake: FakeProvider;
  let stack: Stack;

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 150 });
    stack = await startStack({ imageProvidersYaml: yaml(fake), imageWorkerProcesses: 3 });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('three worker processes together never exceed the configured 2 in flight, and do use both', async () => {
    const posts = await Promise.all(
      [1, 2].map(() => stack.createPost({ topic: 'Limits', pages, autoGenerate: true }) as Promise<PostView>),
    );
    const ends = await Promise.all(posts.map((p) => stack.follow(p.id, 45_000)));
    for (const messages of ends) expect(messages.at(-1)?.event).toBe('post.completed');
    expect(fake.requests.filter((r) => r.path.includes('/images/'))).toHaveLength(pages.length * 2);
    expect(fake.maxImageInflight).toBe(2);
  }, 60_000);
});

import type { PostView } from '@inkpost/shared';
import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, workerLogs } from './harness.js';

const yaml = (fake: FakeProvider) =>
  [
    'active_provider: limited',
    'providers:',
    '  limited:',
    '    type: image_api',
    '    api_key: sk-limited-secret-9876',
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
    // The provider key is in the config the workers read, never in anything they log.
    expect(workerLogs.join('').length).toBeGreaterThan(0);
    expect(workerLogs.join('')).not.toContain('sk-limited-secret-9876');
  }, 60_000);

  it('spaces requests by the rate limit across processes (rate_limit 300/min: one every 200 ms)', async () => {
    const rated = await startFakeProvider({ latencyMs: 10 });
    const limited = await startStack({
      imageProvidersYaml: yaml(rated).replace(
        '    concurrency: 2',
        '    concurrency: 4\n    rate_limit: 300',
      ),
      imageWorkerProcesses: 2,
    });
    try {
      const post = await limited.createPost({ topic: 'Rate', pages: pages.slice(0, 6), autoGenerate: true });
      expect((await limited.follow(post.id, 30_000)).at(-1)?.event).toBe('post.completed');
      const starts = rated.requests
        .filter((r) => r.path.includes('/images/'))
        .map((r) => r.startedAt)
        .sort((a, b) => a - b);
      expect(starts).toHaveLength(6);
      // Jobs start one per 200 ms; each request then leaves after its own Redis/S3 reads, so individual gaps jitter.
      // Over the five pages after the cover: four intervals of 200 ms, less jitter on a loaded 2-core machine
      // (without the limit they start together, within a few ms).
      expect(starts[5]! - starts[1]!).toBeGreaterThanOrEqual(450);
    } finally {
      await limited.close();
      await rated.close();
    }
  }, 60_000);
});

import type { PostView } from '@inkpost/shared';
import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

const yaml = (fake: FakeProvider, concurrency = 1) =>
  [
    'active_provider: paid',
    'providers:',
    '  paid:',
    '    type: image_api',
    '    api_key: k-paid-0001',
    `    base_url: ${fake.url}`,
    '    model: m',
    '    endpoint_type: /v1/images/generations',
    `    concurrency: ${concurrency}`,
  ].join('\n');

const pages = (n: number) => [
  { type: 'cover', content: 'Cover' },
  ...Array.from({ length: n - 2 }, (_, i) => ({ type: 'content', content: `Point ${i + 1}` })),
  { type: 'summary', content: 'Summary' },
];

const imageRequests = (fake: FakeProvider) => fake.requests.filter((r) => r.path.includes('/images/'));

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('no double spend', () => {
  let fake: FakeProvider;
  let stack: Stack;

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 60 });
    stack = await startStack({ imageProvidersYaml: yaml(fake) });
  });
  afterEach(() => {
    fake.release();
    fake.reset();
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('the same Idempotency-Key returns the first answer and does no new work', async () => {
    const body = { topic: 'Idempotent', pages: pages(3), autoGenerate: true };
    const headers = { 'idempotency-key': 'create-123' };
    const [a, b] = await Promise.all([
      stack.request('POST', '/v1/posts', body, headers),
      stack.request('POST', '/v1/posts', body, headers),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const first = (await a.json()) as PostView;
    const second = (await b.json()) as PostView;
    expect(second.id).toBe(first.id);
    const replay = await stack.request('POST', '/v1/posts', body, headers);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as PostView).id).toBe(first.id);
    await stack.follow(first.id);
    expect(imageRequests(fake)).toHaveLength(3);

    const conflict = await stack.request('POST', '/v1/posts', { ...body, topic: 'Other' }, headers);
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { code: string } }).error.code).toBe('idempotency_conflict');
  });

  it('a second generate while pages are queued or running queues nothing new', async () => {
    const post = await stack.createPost({ topic: 'Twice', pages: pages(4) });
    const calls = await Promise.all(
      [1, 2, 3].map(() => stack.request('POST', `/v1/posts/${post.id}/generate`, {})),
    );
    expect(calls.map((c) => c.status)).toEqual([202, 202, 202]);
    const again = await stack.request('POST', `/v1/posts/${post.id}/generate`, {});
    expect(again.status).toBe(202);
    const events = await stack.follow(post.id);
    expect(events.at(-1)?.event).toBe('post.completed');
    expect(imageRequests(fake)).toHaveLength(4);
    const final = (await (await stack.request('GET', `/v1/posts/${post.id}`)).json()) as PostView;
    expect(final.pages.map((p) => p.image.version)).toEqual([1, 1, 1, 1]);
  });

  it('cancel removes queued pages and aborts the running provider call', async () => {
    const post = await stack.createPost({ topic: 'Cancel me', pages: pages(5) });
    fake.hold();
    const stream = stack.follow(post.id);
    await stack.request('POST', `/v1/posts/${post.id}/generate`, {});
    await until(() => fake.imageInflight === 1);
    const res = await stack.request('POST', `/v1/posts/${post.id}/cancel`, {});
    expect(res.status).toBe(202);
    const cancelled = (await res.json()) as PostView;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.pages.map((p) => p.image.status)).toEqual(Array(5).fill('cancelled'));
    // The held request was aborted by the worker: the provider no longer has it in flight.
    await until(() => fake.imageInflight === 0);
    fake.release();
    const events = await stream;
    expect(events.at(-1)?.event).toBe('post.cancelled');
    await new Promise((r) => setTimeout(r, 300));
    expect(imageRequests(fake)).toHaveLength(1);
    expect(await stack.listObjects(`posts/${post.id}/pages/`)).toEqual([]);
  });

  it('cancel of a post with nothing running changes nothing', async () => {
    const post = await stack.createPost({ topic: 'Idle', pages: pages(3) });
    const res = await stack.request('POST', `/v1/posts/${post.id}/cancel`, {});
    expect(res.status).toBe(202);
    const after = (await res.json()) as PostView;
    expect(after.status).toBe('outlined');
    expect(after.revision).toBe(post.revision);
  });
});

describe('a worker killed mid-call', () => {
  it('leads to exactly one stored image per page version after another worker recovers the job', async () => {
    const fake = await startFakeProvider({ latencyMs: 20 });
    const stack = await startStack({
      imageProvidersYaml: yaml(fake),
      imageWorkerProcesses: 1,
      env: { JOB_LOCK_MS: '2000', STALLED_INTERVAL_MS: '1000' },
    });
    try {
      const post = await stack.createPost({ topic: 'Kill -9', pages: pages(3) });
      fake.hold();
      await stack.request('POST', `/v1/posts/${post.id}/generate`, {});
      await until(() => fake.imageInflight === 1);
      stack.imageWorkers[0]!.kill('SIGKILL');
      await until(
        () => stack.imageWorkers[0]!.exitCode !== null || stack.imageWorkers[0]!.signalCode !== null,
      );
      fake.release();
      await stack.spawnImageWorker();
      const events = await stack.follow(post.id, 30_000);
      expect(events.at(-1)?.event).toBe('post.completed');
      const final = (await (await stack.request('GET', `/v1/posts/${post.id}`)).json()) as PostView;
      const keys = (await stack.listObjects(`posts/${post.id}/pages/`)).filter(
        (k) => !k.includes('/thumbs/'),
      );
      expect(keys).toEqual(final.pages.map((p) => `posts/${post.id}/pages/${p.id}/v1.png`).sort());
      // The killed call was paid once and lost; everything else exactly once.
      expect(imageRequests(fake)).toHaveLength(4);
    } finally {
      await stack.close();
      await fake.close();
    }
  }, 60_000);
});

describe('SIGTERM during generation', () => {
  it('lets the worker finish its running call, exit cleanly, and loses nothing', async () => {
    const fake = await startFakeProvider({ latencyMs: 300 });
    const stack = await startStack({ imageProvidersYaml: yaml(fake), imageWorkerProcesses: 1 });
    try {
      const post = await stack.createPost({ topic: 'SIGTERM', pages: pages(4) });
      await stack.request('POST', `/v1/posts/${post.id}/generate`, {});
      await until(() => fake.imageInflight === 1);
      const worker = stack.imageWorkers[0]!;
      const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The call that was running when the signal came finished and was recorded, not abandoned.
      expect(fake.imageInflight).toBe(0);
      await stack.spawnImageWorker();
      const events = await stack.follow(post.id, 30_000);
      expect(events.at(-1)?.event).toBe('post.completed');
      expect(imageRequests(fake)).toHaveLength(4);
      const keys = (await stack.listObjects(`posts/${post.id}/pages/`)).filter(
        (k) => !k.includes('/thumbs/'),
      );
      expect(keys).toHaveLength(4);
    } finally {
      await stack.close();
      await fake.close();
    }
  }, 60_000);
});

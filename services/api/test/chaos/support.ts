import type { ChildProcess } from 'node:child_process';
import type { PostView } from '@inkpost/shared';
import { crashLines, type FakeProvider, type RecordedRequest, type RejectionWatch } from '@inkpost/testkit';
import { expect } from 'vitest';
import type { Stack } from '../harness.js';

/** Short locks and backoffs, so a dead worker's job is picked up within ~3 s and retries do not idle the run. */
export const FAST_RECOVERY = { JOB_LOCK_MS: '2000', STALLED_INTERVAL_MS: '1000', RETRY_BACKOFF_MS: '100' };

export const POSTS = 20;
export const IMAGE_ENDPOINT = '/v1/images/generations';
/** What the fake text provider answers: an outline of exactly three pages. */
export const OUTLINE = '[封面]\n标题\n<page>\n[内容]\n要点\n<page>\n[总结]\n收尾';

const ENDED = ['completed', 'partial', 'failed'];
// Page failures recorded without a provider call being counted: the error came from our side (storage, a stalled
// job, no provider) or the page was never called because its cover failed.
const UNCOUNTED_FAILURES = ['render_failed', 'cover_failed', 'unknown_provider'];

export interface ImageYamlOptions {
  concurrency: number;
  maxAttempts: number;
  timeoutSeconds?: number;
}

export function imageYaml(fake: FakeProvider, o: ImageYamlOptions): string {
  return [
    'active_provider: chaos',
    'providers:',
    '  chaos:',
    '    type: image_api',
    '    api_key: sk-chaos-image-000111',
    `    base_url: ${fake.url}`,
    '    model: m',
    `    endpoint_type: ${IMAGE_ENDPOINT}`,
    `    concurrency: ${o.concurrency}`,
    `    max_attempts: ${o.maxAttempts}`,
    `    timeout_seconds: ${o.timeoutSeconds ?? 5}`,
  ].join('\n');
}

export function textYaml(fake: FakeProvider): string {
  return [
    'active_provider: chaos-text',
    'providers:',
    '  chaos-text:',
    '    type: openai_compatible',
    '    api_key: sk-chaos-text-000222',
    `    base_url: ${fake.url}/v1`,
    '    model: qwen',
    '    stream: false',
    '    timeout_seconds: 5',
  ].join('\n');
}

export const pages = (n: number) => [
  { type: 'cover', content: 'Cover' },
  ...Array.from({ length: n - 2 }, (_, i) => ({ type: 'content', content: `Point ${i + 1}` })),
  { type: 'summary', content: 'Summary' },
];

export const isImageRequest = (r: RecordedRequest) => r.path.includes('/images/');
export const isTextRequest = (r: RecordedRequest) => r.path.endsWith('/chat/completions');

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Creates `n` posts at once (all 20 in flight together). */
export async function createPosts(stack: Stack, n: number, body: Record<string, unknown>): Promise<string[]> {
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) => stack.createPost({ ...body, topic: `Chaos ${i + 1}` })),
  );
  return created.map((p) => p.id);
}

async function tryGet(stack: Stack, id: string): Promise<PostView | null> {
  try {
    const res = await stack.request('GET', `/v1/posts/${id}`);
    return res.ok ? ((await res.json()) as PostView) : null;
  } catch {
    return null; // Redis or the API may be down for a moment during a fault: ask again
  }
}

function describePost(p: PostView | null, id: string): string {
  if (!p) return `${id}: unreadable`;
  return `${id}: ${p.status} [${p.pages.map((pg) => pg.image.status).join(',')}]`;
}

/**
 * Polls until every post has ended (completed, partial or failed) and answers the final views with how long
 * that took from `since`; past the deadline it fails, naming every post still stuck and its pages' states.
 */
export async function settle(
  stack: Stack,
  ids: string[],
  o: { deadlineMs: number; since?: number },
): Promise<{ posts: PostView[]; settledAfterMs: number }> {
  const since = o.since ?? Date.now();
  const deadline = Date.now() + o.deadlineMs;
  const latest = new Map<string, PostView | null>();
  for (;;) {
    const open = ids.filter((id) => !ENDED.includes(latest.get(id)?.status ?? ''));
    if (open.length === 0) break;
    if (Date.now() > deadline) {
      const stuck = open.map((id) => describePost(latest.get(id) ?? null, id)).join('\n  ');
      throw new Error(`${open.length} posts did not end within ${o.deadlineMs} ms:\n  ${stuck}`);
    }
    await Promise.all(open.map(async (id) => latest.set(id, await tryGet(stack, id))));
    if (ids.some((id) => !ENDED.includes(latest.get(id)?.status ?? ''))) await sleep(100);
  }
  const settledAfterMs = Date.now() - since;
  return { posts: ids.map((id) => latest.get(id)!), settledAfterMs };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Accounting {
  /** The provider's configured concurrency. */
  concurrency: number;
  /** Its max_attempts: attempts BullMQ may spend on one page version. */
  maxAttempts: number;
  /**
   * Calls that may be re-made without spending an attempt: those in flight when a worker died or its job's lock
   * lapsed (a stalled job goes back to the queue as it was).
   */
  rerunsAllowed: number;
  /** Whether each post's outline was written by the (fake) text provider, which counts as one provider call. */
  textOutline?: boolean;
}

/**
 * What must hold after any fault, once every post has ended:
 *
 * - every post ended `completed`, `partial` or `failed`, every page `completed` or `failed`, and every failure
 *   (post or page) carries a code and a message;
 * - storage holds exactly one `v<n>.<ext>` per completed page version (thumbnails are `thumbs/v<n>.webp`, apart),
 *   and never two for one version of any page;
 * - the provider never had more than `concurrency` image requests in flight;
 * - usage: `imagesGenerated` of a post = its completed pages; `providerCalls` of a post = its completed pages + its
 *   pages that failed on a provider error (+1 when its outline came from the text provider) — the calls that
 *   decided an outcome;
 * - against what the fake counted: Σ imagesGenerated ≤ image answers the fake gave with an image; Σ image
 *   providerCalls ≤ image requests the fake received ≤ Σ pages × max_attempts + 429s answered (a 429 gives
 *   the attempt back) + the re-runs the fault allows.
 */
export async function checkInvariants(
  stack: Stack,
  fake: FakeProvider,
  posts: PostView[],
  a: Accounting,
): Promise<{ completed: number; failed: number; imageRequests: number; orphans: string[] }> {
  let completed = 0;
  let failed = 0;
  let imageCalls = 0;
  let imagesGenerated = 0;
  let pageCount = 0;
  const orphans: string[] = [];
  for (const post of posts) {
    expect(ENDED, `post ${post.id} status`).toContain(post.status);
    if (post.status === 'failed') expect(post.error, `post ${post.id} error`).toMatchObject(anError);
    const done = post.pages.filter((p) => p.image.status === 'completed');
    const broken = post.pages.filter((p) => p.image.status === 'failed');
    expect(done.length + broken.length, `post ${post.id} pages all ended`).toBe(post.pages.length);
    for (const p of broken) expect(p.image.error, `post ${post.id} page ${p.index}`).toMatchObject(anError);
    if (post.status === 'completed') expect(broken).toEqual([]);
    if (post.status === 'partial') expect(done.length * broken.length).toBeGreaterThan(0);
    const providerFailures = broken.filter((p) => !UNCOUNTED_FAILURES.includes(p.image.error!.code)).length;
    const textCalls = a.textOutline ? 1 : 0;
    expect(post.usage.imagesGenerated, `post ${post.id} imagesGenerated`).toBe(done.length);
    expect(post.usage.providerCalls, `post ${post.id} providerCalls`).toBe(
      done.length + providerFailures + textCalls,
    );
    completed += done.length;
    failed += broken.length;
    imageCalls += post.usage.providerCalls - textCalls;
    imagesGenerated += post.usage.imagesGenerated;
    pageCount += post.pages.length;

    // Storage: one object per completed page version, never two for one version.
    const keys = await stack.listObjects(`posts/${post.id}/pages/`);
    const perVersion = new Map<string, string[]>();
    for (const key of keys) {
      const m = /^posts\/[^/]+\/pages\/([^/]+)\/(thumbs\/)?v(\d+)\.([a-z]+)$/.exec(key);
      expect(m, `unexpected object ${key}`).not.toBeNull();
      if (m![2]) continue;
      const id = `${m![1]}/v${m![3]}`;
      perVersion.set(id, [...(perVersion.get(id) ?? []), key]);
    }
    for (const [id, found] of perVersion) expect(found, `stored images of ${id}`).toHaveLength(1);
    for (const p of done) {
      expect(perVersion.has(`${p.id}/v${p.image.version}`), `image of ${post.id} page ${p.index}`).toBe(true);
    }
    const wanted = new Set(done.map((p) => `${p.id}/v${p.image.version}`));
    orphans.push(...[...perVersion.keys()].filter((id) => !wanted.has(id)));
  }

  const images = fake.requests.filter(isImageRequest);
  const answeredWithImage = images.filter((r) => r.response?.status === 200 && r.response.image).length;
  const rateLimited = images.filter((r) => r.response?.status === 429).length;
  expect(fake.maxImageInflight, 'image requests in flight at once').toBeLessThanOrEqual(a.concurrency);
  expect(imagesGenerated).toBe(completed);
  expect(imagesGenerated).toBeLessThanOrEqual(answeredWithImage);
  expect(imageCalls).toBeLessThanOrEqual(images.length);
  expect(images.length).toBeLessThanOrEqual(pageCount * a.maxAttempts + rateLimited + a.rerunsAllowed);
  return { completed, failed, imageRequests: images.length, orphans };
}

const anError = { code: expect.any(String), message: expect.stringMatching(/\S/) };

/**
 * No unhandled rejection in this process, and no worker process crashed or printed one: every process that is
 * not running any more is one the test killed.
 */
export function checkNoCrash(stack: Stack, watch: RejectionWatch, killed: ChildProcess[]): void {
  expect(watch.rejections.map(String), 'unhandled rejections in the test process').toEqual([]);
  const output = stack.processOutput.map((o) => o.text).join('');
  expect(crashLines(output), 'crash lines in worker output').toEqual([]);
  for (const child of [...stack.imageWorkers, ...stack.outlineWorkers]) {
    if (killed.includes(child)) continue;
    expect({ pid: child.pid, exitCode: child.exitCode, signal: child.signalCode }).toEqual({
      pid: child.pid,
      exitCode: null,
      signal: null,
    });
  }
}

/** One line for the log (and the README): what a fault proved and how long recovery took. */
export function report(name: string, line: string): void {
  console.log(`[chaos] ${name}: ${line}`);
}

import {
  type ImageVersionRecord,
  type PageError,
  type PageRecord,
  type PostEvent,
  type PostRecord,
  type PostStatus,
  postEvent,
  toPageView,
} from '@inkpost/shared';
import type { MutationResult } from './post-store.js';
import { addCost } from './usage.js';

// Pure state transitions of a post. Each takes the record, changes it in place and returns the events the change
// emits, so the store can apply it atomically and retry it on conflict.

/** A page render that may run now: its cover (when it has one) is already rendered. */
export interface RunnableRender {
  pageId: string;
  version: number;
  provider: string;
  cover: { pageId: string; version: number } | null;
}

function setStatus(post: PostRecord, status: PostStatus, events: PostEvent[]): void {
  if (post.status === status) return;
  post.status = status;
  events.push(postEvent('post.status', { status }));
}

function coverIndex(post: PostRecord): number {
  return post.pages.findIndex((p) => p.type === 'cover');
}

function findPage(post: PostRecord, pageId: string): { page: PageRecord; index: number } | null {
  const index = post.pages.findIndex((p) => p.id === pageId);
  const page = post.pages[index];
  return page ? { page, index } : null;
}

/** Pages `generate` renders by default: every page without a completed image and not already on its way. */
export function defaultGenerationTargets(post: PostRecord): number[] {
  return post.pages.flatMap((p, i) => (p.image.status === 'completed' || p.image.pending ? [] : [i]));
}

/**
 * Marks the given pages queued with a fresh version each. When the cover is among them, the other pages wait for
 * it: they render with the new cover as their style reference. Pages already queued or rendering are left alone,
 * so asking twice never pays twice.
 */
export function planGeneration(
  post: PostRecord,
  indexes: number[],
  provider: string,
  now: string,
): MutationResult<{ queued: number[] }> {
  const targets = [...new Set(indexes)]
    .filter((i) => post.pages[i] && !post.pages[i]!.image.pending)
    .sort((a, b) => a - b);
  if (targets.length === 0) return { unchanged: true, value: { queued: [] } };
  const cover = coverIndex(post);
  const coverInRun = targets.includes(cover);
  const events: PostEvent[] = [];
  for (const i of targets) {
    const page = post.pages[i]!;
    page.image.lastVersion += 1;
    page.image.pending = {
      version: page.image.lastVersion,
      provider,
      waitingForCover: coverInRun && i !== cover,
      queuedAt: now,
    };
    page.image.status = 'queued';
    page.image.error = null;
    events.push(postEvent('page.queued', { index: i, pageId: page.id }));
  }
  post.error = null;
  setStatus(post, 'generating', events);
  return { events, value: { queued: targets } };
}

/** Every pending render whose job may be enqueued now (idempotent: job ids are deterministic). */
export function runnableRenders(post: PostRecord): RunnableRender[] {
  const cover = post.pages[coverIndex(post)];
  const coverRef =
    cover && cover.image.version > 0 ? { pageId: cover.id, version: cover.image.version } : null;
  return post.pages.flatMap((page) => {
    const pending = page.image.pending;
    if (!pending || pending.waitingForCover) return [];
    const ref = page === cover ? null : coverRef;
    return [{ pageId: page.id, version: pending.version, provider: pending.provider, cover: ref }];
  });
}

/** Whether a job for this page version is still wanted (not superseded, cancelled or done). */
export function isPendingRender(post: PostRecord, pageId: string, version: number): boolean {
  return findPage(post, pageId)?.page.image.pending?.version === version;
}

export function markStarted(post: PostRecord, pageId: string, version: number): MutationResult<boolean> {
  const found = findPage(post, pageId);
  if (!found || found.page.image.pending?.version !== version) return { unchanged: true, value: false };
  if (found.page.image.status === 'generating') return { unchanged: true, value: true };
  found.page.image.status = 'generating';
  return { events: [postEvent('page.started', { index: found.index, pageId })], value: true };
}

/** Records a rendered image as the page's current version; a finished cover releases the pages waiting for it. */
export function markCompleted(
  post: PostRecord,
  pageId: string,
  image: ImageVersionRecord,
  providerCalls: number,
  cost: { amount: number | null; currency: string | null } = { amount: null, currency: null },
): MutationResult<boolean> {
  const found = findPage(post, pageId);
  if (!found || found.page.image.pending?.version !== image.version) return { unchanged: true, value: false };
  const { page, index } = found;
  page.image.versions = [...page.image.versions.filter((v) => v.version !== image.version), image];
  page.image.version = image.version;
  page.image.pending = null;
  page.image.status = 'completed';
  page.image.error = null;
  post.usage.imagesGenerated += 1;
  post.usage.providerCalls += providerCalls;
  addCost(post, cost.amount, cost.currency);
  const view = toPageView(post.id, page, index);
  const events: PostEvent[] = [
    postEvent('page.completed', {
      index,
      pageId,
      version: image.version,
      url: view.image.url!,
      thumbnailUrl: view.image.thumbnailUrl,
    }),
  ];
  if (page.type === 'cover') {
    for (const p of post.pages) if (p.image.pending?.waitingForCover) p.image.pending.waitingForCover = false;
  }
  events.push(...settle(post));
  return { events, value: true };
}

/** Records a failed render; a failed cover fails the pages waiting for it (they would have no style to follow). */
export function markFailed(
  post: PostRecord,
  pageId: string,
  version: number,
  error: PageError,
  providerCalls: number,
): MutationResult<boolean> {
  const found = findPage(post, pageId);
  if (!found || found.page.image.pending?.version !== version) return { unchanged: true, value: false };
  const events: PostEvent[] = [];
  failPage(found.page, found.index, error, events);
  post.usage.providerCalls += providerCalls;
  if (found.page.type === 'cover') {
    const coverError: PageError = {
      code: 'cover_failed',
      message: 'The cover could not be rendered, so this page was not rendered without its style reference.',
      retryable: true,
    };
    post.pages.forEach((p, i) => {
      if (p.image.pending?.waitingForCover) failPage(p, i, coverError, events);
    });
  }
  events.push(...settle(post));
  return { events, value: true };
}

function failPage(page: PageRecord, index: number, error: PageError, events: PostEvent[]): void {
  page.image.pending = null;
  page.image.status = 'failed';
  page.image.error = error;
  events.push(postEvent('page.failed', { index, pageId: page.id, error }));
}

/** Ends a generation when no page is pending any more: completed, partial, or failed when nothing rendered. */
export function settle(post: PostRecord): PostEvent[] {
  if (post.status !== 'generating' || post.pages.some((p) => p.image.pending)) return [];
  const completed = post.pages.filter((p) => p.image.status === 'completed').length;
  const failed = post.pages.filter((p) => p.image.status === 'failed').length;
  const events: PostEvent[] = [];
  if (completed === 0 && failed > 0) {
    const error = { code: 'all_pages_failed', message: `All ${failed} page images failed to render.` };
    post.error = error;
    setStatus(post, 'failed', events);
    events.push(postEvent('post.failed', { error }));
    return events;
  }
  const status = completed === post.pages.length ? 'completed' : 'partial';
  setStatus(post, status, events);
  events.push(postEvent('post.completed', { status, completed, failed }));
  return events;
}

/** A render a cancel stopped: its job is removed when still queued, aborted when running. */
export interface CancelledRender {
  provider: string;
  pageId: string;
  version: number;
}

/**
 * Stops a post's work: pending renders are dropped (their pages end `cancelled`), an outline in progress is
 * abandoned, and the post ends `cancelled`. A post with nothing running is left as it is.
 */
export function cancelWork(
  post: PostRecord,
): MutationResult<{ renders: CancelledRender[]; outline: boolean }> {
  if (post.status !== 'outlining' && post.status !== 'generating') {
    return { unchanged: true, value: { renders: [], outline: false } };
  }
  const renders: CancelledRender[] = [];
  for (const page of post.pages) {
    const pending = page.image.pending;
    if (!pending) continue;
    renders.push({ provider: pending.provider, pageId: page.id, version: pending.version });
    page.image.pending = null;
    page.image.status = 'cancelled';
  }
  const outline = post.status === 'outlining';
  const events: PostEvent[] = [];
  setStatus(post, 'cancelled', events);
  events.push(postEvent('post.cancelled', {}));
  return { events, value: { renders, outline } };
}

type PostBasics = Pick<PostRecord, 'id' | 'tenant' | 'topic' | 'status' | 'textProvider' | 'imageProvider'>;

/** A new post record: the given basics, everything else at its starting value (no usage, no copy, revision 0). */
export function newPostRecord(basics: PostBasics & Partial<PostRecord>): PostRecord {
  const now = new Date().toISOString();
  return {
    aspectRatio: '3:4',
    style: null,
    pageCountHint: null,
    autoGenerate: false,
    webhookUrl: null,
    referenceImages: [],
    pages: [],
    copy: null,
    copyState: { status: 'none', attempt: 0, error: null },
    usage: {
      textTokensIn: 0,
      textTokensOut: 0,
      imagesGenerated: 0,
      providerCalls: 0,
      cost: null,
      currency: null,
    },
    estimate: null,
    error: null,
    outlineAttempt: 0,
    requestId: null,
    createdAt: now,
    updatedAt: now,
    revision: 0,
    ...basics,
  };
}

/** A fresh page record for outline text. */
export function newPageRecord(id: string, type: PageRecord['type'], content: string): PageRecord {
  return {
    id,
    type,
    content,
    image: { status: 'pending', version: 0, lastVersion: 0, pending: null, versions: [], error: null },
  };
}

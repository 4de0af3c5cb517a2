import {
  newPageId,
  type PageRecord,
  type PageType,
  type PostEvent,
  type PostRecord,
  type ProviderPricing,
  postEvent,
  toPageView,
} from '@inkpost/shared';
import { PostStateError } from './generation.js';
import { newPageRecord } from './post-state.js';
import type { MutationResult } from './post-store.js';
import { estimateFor } from './usage.js';

export interface PageEdit {
  id?: string;
  type: PageType;
  content: string;
}

/** A revision the client expected (If-Match) that is no longer current (answered 412). */
export class StaleRevisionError extends Error {
  override readonly name = 'StaleRevisionError';
}

function assertEditable(post: PostRecord): void {
  if (post.status === 'outlining') {
    throw new PostStateError('post_busy', 'The outline is still being written; edit it once it is ready.');
  }
  if (post.pages.some((p) => p.image.pending)) {
    throw new PostStateError(
      'post_busy',
      'Pages are rendering; cancel or wait for them before editing the outline.',
    );
  }
}

/**
 * Keeps each edited page's identity (and its images) when the client names its id or sends it back unchanged;
 * anything else is a new page. Reordering, adding, deleting and retyping are all just a new list.
 */
function matchPages(current: PageRecord[], edits: PageEdit[]): PageRecord[] {
  const unused = new Map(current.map((p) => [p.id, p]));
  return edits.map((edit) => {
    const byId = edit.id ? unused.get(edit.id) : undefined;
    const same = byId ?? [...unused.values()].find((p) => p.type === edit.type && p.content === edit.content);
    if (!same) return newPageRecord(newPageId(), edit.type, edit.content);
    unused.delete(same.id);
    return { ...same, type: edit.type, content: edit.content };
  });
}

/** The status of a post with nothing running, from its pages' images. */
export function restingStatus(post: PostRecord): PostRecord['status'] {
  if (post.pages.length === 0) return post.status === 'failed' ? 'failed' : 'outlined';
  const completed = post.pages.filter((p) => p.image.status === 'completed').length;
  if (completed === post.pages.length) return 'completed';
  return completed > 0 ? 'partial' : 'outlined';
}

/** Replaces the topic and/or the page list; refused while work runs, or when `ifRevision` is stale. */
export function editPost(
  post: PostRecord,
  edit: { topic?: string; pages?: PageEdit[] },
  ifRevision: number | null,
  pricing: ProviderPricing | null = null,
): MutationResult<void> {
  if (ifRevision !== null && ifRevision !== post.revision) {
    throw new StaleRevisionError(
      `The post changed (revision ${post.revision}, not ${ifRevision}); reload and edit again.`,
    );
  }
  assertEditable(post);
  if (edit.topic !== undefined) post.topic = edit.topic;
  if (edit.pages) {
    const unknown = edit.pages.find((p) => p.id && !post.pages.some((q) => q.id === p.id));
    if (unknown)
      throw new PostStateError('page_not_found', `Page id ${unknown.id} is not a page of this post.`);
    post.pages = matchPages(post.pages, edit.pages);
  }
  const events: PostEvent[] = [
    postEvent('outline.updated', {
      topic: post.topic,
      pages: post.pages.map((p, i) => toPageView(post.id, p, i)),
    }),
  ];
  const status = restingStatus(post);
  if (status !== post.status) {
    post.status = status;
    events.push(postEvent('post.status', { status }));
  }
  post.error = null;
  post.estimate = estimateFor(post, pricing);
  return { events };
}

/** Makes an existing image version of a page its current one. */
export function selectVersion(post: PostRecord, index: number, version: number): MutationResult<void> {
  const page = post.pages[index];
  if (!page) throw new PostStateError('page_not_found', `Page ${index} does not exist.`);
  const record = page.image.versions.find((v) => v.version === version);
  if (!record)
    throw new PostStateError('version_not_found', `Page ${index} has no image version ${version}.`);
  if (page.image.version === version) return { unchanged: true };
  page.image.version = version;
  if (!page.image.pending) page.image.status = 'completed';
  const view = toPageView(post.id, page, index);
  const events: PostEvent[] = [
    postEvent('page.selected', {
      index,
      pageId: page.id,
      version,
      url: view.image.url!,
      thumbnailUrl: view.image.thumbnailUrl,
    }),
  ];
  const running = post.status === 'outlining' || post.pages.some((p) => p.image.pending);
  const status = restingStatus(post);
  if (!running && status !== post.status) {
    post.status = status;
    events.push(postEvent('post.status', { status }));
  }
  return { events };
}

/** Indexes of pages whose last render failed. */
export function failedPages(post: PostRecord): number[] {
  return post.pages.flatMap((p, i) => (p.image.status === 'failed' ? [i] : []));
}

import type { InkpostEvent, Page, Post, PostStatus } from './types.js';

/** Statuses a generation ends in; `waitFor` waits for one of these by default. */
export const FINISHED_STATUSES: readonly PostStatus[] = ['completed', 'partial', 'failed', 'cancelled'];

/** The post's generation has ended (it may still be writing copy: see `isSettled`). */
export function isFinished(post: Post): boolean {
  return FINISHED_STATUSES.includes(post.status);
}

/** Nothing runs for the post any more: ended, no page queued or rendering, no copy being written. */
export function isSettled(post: Post): boolean {
  const busyPage = post.pages.some((p) => p.image.status === 'queued' || p.image.status === 'generating');
  const busyCopy = post.copyStatus === 'queued' || post.copyStatus === 'writing';
  return isFinished(post) && !busyPage && !busyCopy;
}

function withPage(post: Post, index: number, change: (image: Page['image']) => Partial<Page['image']>): Post {
  const page = post.pages[index];
  if (!page) return post;
  const pages = post.pages.slice();
  pages[index] = { ...page, image: { ...page.image, ...change(page.image) } };
  return { ...post, pages };
}

function applyPageEvent(post: Post, event: InkpostEvent): Post {
  switch (event.name) {
    case 'page.queued':
      return withPage(post, event.data.index, () => ({ status: 'queued', error: null }));
    case 'page.started':
      return withPage(post, event.data.index, () => ({ status: 'generating' }));
    case 'page.failed':
      return withPage(post, event.data.index, () => ({ status: 'failed', error: event.data.error }));
    case 'page.completed':
    case 'page.selected': {
      const { version, url, thumbnailUrl } = event.data;
      const status = event.name === 'page.completed' ? 'completed' : undefined;
      return withPage(post, event.data.index, (image) => ({
        status: status ?? image.status,
        version,
        url,
        thumbnailUrl,
        error: status ? null : image.error,
      }));
    }
    default:
      return post;
  }
}

/**
 * The post as it is after `event`, from the post before it: what a UI needs to stay live without refetching.
 * An approximation in one respect: `versions` of a page are only refreshed by a snapshot or a GET (events
 * carry the current version, not the version's metadata).
 */
export function applyEvent(post: Post, event: InkpostEvent): Post {
  switch (event.name) {
    case 'snapshot':
      return event.data;
    case 'post.status':
      return { ...post, status: event.data.status };
    case 'outline.completed':
      return { ...post, pages: event.data.pages };
    case 'outline.updated':
      return { ...post, topic: event.data.topic, pages: event.data.pages };
    case 'copy.completed':
      return { ...post, copy: event.data.copy, copyStatus: 'completed', copyError: null };
    case 'copy.failed':
      return { ...post, copyStatus: 'failed', copyError: event.data.error };
    case 'post.completed':
      return { ...post, status: event.data.status };
    case 'post.failed':
      return { ...post, status: 'failed', error: event.data.error };
    case 'post.cancelled': {
      const pages = post.pages.map((p) =>
        p.image.status === 'queued' || p.image.status === 'generating'
          ? { ...p, image: { ...p.image, status: 'cancelled' as const } }
          : p,
      );
      return { ...post, status: 'cancelled', pages };
    }
    default:
      return applyPageEvent(post, event);
  }
}

import type {
  EventName,
  EventPayload,
  PageImageStatus,
  PageView,
  PostStatus,
  PostView,
} from '@inkpost/shared/contract';

export type StreamEvent = { [N in EventName]: { name: N; data: EventPayload<N> } }[EventName];

const RUNNING_PAGE: readonly PageImageStatus[] = ['queued', 'generating'];
const RUNNING_POST: readonly PostStatus[] = ['outlining', 'generating'];

/** Whether work is under way for the post, so its event stream should stay open. */
export function isActive(post: PostView): boolean {
  return (
    RUNNING_POST.includes(post.status) ||
    post.pages.some((p) => RUNNING_PAGE.includes(p.image.status)) ||
    post.copyStatus === 'queued' ||
    post.copyStatus === 'writing'
  );
}

/** Whether the outline may be edited now (the API answers 409 post_busy while pages render). */
export function isEditable(post: PostView): boolean {
  return post.status !== 'outlining' && !isActive(post);
}

function updatePage(post: PostView, index: number, change: (page: PageView) => PageView): PostView {
  const page = post.pages[index];
  if (!page) return post;
  const pages = post.pages.slice();
  pages[index] = change(page);
  return { ...post, pages };
}

function withImage(page: PageView, image: Partial<PageView['image']>): PageView {
  return { ...page, image: { ...page.image, ...image } };
}

function shown(post: PostView, data: EventPayload<'page.completed'>): PostView {
  return updatePage(post, data.index, (page) => {
    const known = page.image.versions.some((v) => v.version === data.version);
    const versions = known
      ? page.image.versions
      : [
          ...page.image.versions,
          {
            version: data.version,
            url: data.url,
            createdAt: new Date().toISOString(),
            provider: post.imageProvider,
            model: null,
          },
        ];
    return withImage(page, {
      status: 'completed',
      version: data.version,
      url: data.url,
      thumbnailUrl: data.thumbnailUrl,
      versions,
      error: null,
    });
  });
}

function cancelled(post: PostView): PostView {
  const pages = post.pages.map((p) =>
    RUNNING_PAGE.includes(p.image.status) ? withImage(p, { status: 'cancelled' }) : p,
  );
  return { ...post, status: 'cancelled', pages };
}

/** Applies one event of `GET /v1/posts/:id/events` to the post as the client holds it. */
export function applyEvent(post: PostView, event: StreamEvent): PostView {
  switch (event.name) {
    case 'post.status':
      return { ...post, status: event.data.status };
    case 'outline.completed':
      return { ...post, pages: event.data.pages };
    case 'outline.updated':
      return { ...post, topic: event.data.topic, pages: event.data.pages };
    case 'page.queued':
      return updatePage(post, event.data.index, (p) => withImage(p, { status: 'queued', error: null }));
    case 'page.started':
      return updatePage(post, event.data.index, (p) => withImage(p, { status: 'generating', error: null }));
    case 'page.completed':
      return shown(post, event.data);
    case 'page.selected':
      return updatePage(post, event.data.index, (p) =>
        withImage(p, {
          version: event.data.version,
          url: event.data.url,
          thumbnailUrl: event.data.thumbnailUrl,
        }),
      );
    case 'page.failed':
      return updatePage(post, event.data.index, (p) =>
        withImage(p, { status: 'failed', error: event.data.error }),
      );
    case 'copy.completed':
      return { ...post, copy: event.data.copy, copyStatus: 'completed', copyError: null };
    case 'copy.failed':
      return { ...post, copyStatus: 'failed', copyError: event.data.error };
    case 'post.completed':
      return { ...post, status: event.data.status };
    case 'post.failed':
      return { ...post, status: 'failed', error: event.data.error };
    case 'post.cancelled':
      return cancelled(post);
    default:
      return post;
  }
}

/** Counts for the progress bar and the tab labels. */
export function progress(post: PostView): { done: number; failed: number; running: number; total: number } {
  let done = 0;
  let failed = 0;
  let running = 0;
  for (const page of post.pages) {
    if (page.image.status === 'completed') done++;
    else if (page.image.status === 'failed') failed++;
    else if (RUNNING_PAGE.includes(page.image.status)) running++;
  }
  return { done, failed, running, total: post.pages.length };
}

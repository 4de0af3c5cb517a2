import { z } from 'zod';
import { Copy, ErrorInfo, PageError, PageView, PostStatus } from './post.js';

/** Event names of a post's stream (../shared/API.md, "Events"). */
export const EventName = z.enum([
  'post.status',
  'outline.completed',
  'page.queued',
  'page.started',
  'page.completed',
  'page.failed',
  'copy.completed',
  'post.completed',
  'post.failed',
  'post.cancelled',
  // Extensions beyond API.md's list: an edited outline, and an older image version made current.
  'outline.updated',
  'page.selected',
  'copy.failed',
]);
export type EventName = z.infer<typeof EventName>;

/** Events after which a post's SSE stream ends. */
export const TERMINAL_EVENTS: readonly EventName[] = ['post.completed', 'post.failed', 'post.cancelled'];

export const EventPayloads = {
  'post.status': z.object({ status: PostStatus }),
  'outline.completed': z.object({ pages: z.array(PageView) }),
  'page.queued': z.object({ index: z.number().int(), pageId: z.string() }),
  'page.started': z.object({ index: z.number().int(), pageId: z.string() }),
  'page.completed': z.object({
    index: z.number().int(),
    pageId: z.string(),
    version: z.number().int(),
    url: z.string(),
    thumbnailUrl: z.string().nullable(),
  }),
  'page.failed': z.object({ index: z.number().int(), pageId: z.string(), error: PageError }),
  'copy.completed': z.object({ copy: Copy }),
  'post.completed': z.object({
    status: z.enum(['completed', 'partial']),
    completed: z.number().int(),
    failed: z.number().int(),
  }),
  'post.failed': z.object({ error: ErrorInfo }),
  'post.cancelled': z.object({}),
  'copy.failed': z.object({ error: ErrorInfo }),
  'outline.updated': z.object({ topic: z.string(), pages: z.array(PageView) }),
  'page.selected': z.object({
    index: z.number().int(),
    pageId: z.string(),
    version: z.number().int(),
    url: z.string(),
    thumbnailUrl: z.string().nullable(),
  }),
} as const satisfies Record<EventName, z.ZodType>;

export type EventPayload<N extends EventName> = z.infer<(typeof EventPayloads)[N]>;

/** An event as a mutation produces it, before the stream assigns its id. */
export type PostEvent = { [N in EventName]: { name: N; data: EventPayload<N> } }[EventName];

/** An event as it sits in a post's stream. */
export type StoredEvent = PostEvent & { id: string };

/** Builds a typed event. */
export function postEvent<N extends EventName>(name: N, data: EventPayload<N>): PostEvent {
  return { name, data } as PostEvent;
}

import type {
  CreatePostBody,
  ListPostsQuery as ListPostsQuerySchema,
  PageView,
  PatchPostBody,
  PostList as PostListSchema,
  PostStatus as PostStatusSchema,
  PostView,
  StoredEvent,
} from '@inkpost/shared/contract';
import type { z } from 'zod';

// Every resource type is inferred from the contract's zod schemas, so the client cannot drift from the API.
export type Post = z.infer<typeof PostView>;
export type Page = z.infer<typeof PageView>;
export type PostStatus = z.infer<typeof PostStatusSchema>;
export type PostList = z.infer<typeof PostListSchema>;
/** What `createPost` accepts: the request body before the API applies its defaults. */
export type CreatePostInput = z.input<typeof CreatePostBody>;
export type UpdatePostInput = z.input<typeof PatchPostBody>;
export type ListPostsQuery = Partial<z.infer<typeof ListPostsQuerySchema>>;

/**
 * One message of a post's event stream: the `snapshot` (the whole Post) or a stored event, each with its id.
 */
export type InkpostEvent = StoredEvent | { id: string; name: 'snapshot'; data: Post };
export type InkpostEventName = InkpostEvent['name'];

/** A reference image file for `createPost` (sent as multipart under `images`). */
export type ImageFile = Blob | { bytes: Uint8Array; mimeType: string; filename?: string };

// Response shapes of the provider, style and health routes, from the same contract the API validates with.
export type {
  Health,
  ProviderInfo,
  ProviderList,
  ProviderTestResult,
  StyleList,
} from '@inkpost/shared/contract';
export type ProviderKind = 'text' | 'image';

/** Per-call options every method takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options of the POSTs that start work: the Idempotency-Key to send (a random one by default). */
export interface MutationOptions extends CallOptions {
  idempotencyKey?: string;
}

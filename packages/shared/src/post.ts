import { z } from 'zod';

/** The aspect ratios a post can be rendered in; 3:4 is RED's native portrait. */
export const AspectRatio = z.enum(['3:4', '1:1', '4:3', '9:16', '16:9']);
export type AspectRatio = z.infer<typeof AspectRatio>;

export const PostStatus = z.enum([
  'outlining',
  'outlined',
  'generating',
  'completed',
  'partial',
  'failed',
  'cancelled',
]);
export type PostStatus = z.infer<typeof PostStatus>;

/** Post statuses after which no work is running for the post. */
export const SETTLED_POST_STATUSES: readonly PostStatus[] = [
  'outlined',
  'completed',
  'partial',
  'failed',
  'cancelled',
];

export const PageType = z.enum(['cover', 'content', 'summary']);
export type PageType = z.infer<typeof PageType>;

export const PageImageStatus = z.enum([
  'pending',
  'queued',
  'generating',
  'completed',
  'failed',
  'cancelled',
]);
export type PageImageStatus = z.infer<typeof PageImageStatus>;

export const ErrorInfo = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export const PageError = ErrorInfo.extend({ retryable: z.boolean() });
export type PageError = z.infer<typeof PageError>;

export const Usage = z.object({
  textTokensIn: z.number().int(),
  textTokensOut: z.number().int(),
  imagesGenerated: z.number().int(),
  providerCalls: z.number().int(),
  cost: z.number().nullable(),
  currency: z.string().nullable(),
});
export type Usage = z.infer<typeof Usage>;

export const Estimate = z.object({
  images: z.number().int(),
  cost: z.number().nullable(),
  currency: z.string().nullable(),
});
export type Estimate = z.infer<typeof Estimate>;

export const Copy = z.object({
  titles: z.array(z.string()),
  body: z.string(),
  tags: z.array(z.string()),
});
export type Copy = z.infer<typeof Copy>;

// ---- Stored record (Redis and the manifest). Internal fields the API view does not show live here. ----

export const ImageVersionRecord = z.object({
  version: z.number().int().positive(),
  key: z.string(),
  mimeType: z.string(),
  thumbKey: z.string().nullable(),
  createdAt: z.string(),
  provider: z.string(),
  model: z.string().nullable(),
});
export type ImageVersionRecord = z.infer<typeof ImageVersionRecord>;

/** A render that was asked for and has not settled yet. */
export const PendingRender = z.object({
  version: z.number().int().positive(),
  provider: z.string(),
  /** Set while the page waits for the cover of the same run; the cover's worker queues it. */
  waitingForCover: z.boolean(),
  queuedAt: z.string(),
});
export type PendingRender = z.infer<typeof PendingRender>;

export const PageRecord = z.object({
  id: z.string(),
  type: PageType,
  content: z.string(),
  image: z.object({
    status: PageImageStatus,
    version: z.number().int().nonnegative(),
    lastVersion: z.number().int().nonnegative(),
    pending: PendingRender.nullable(),
    versions: z.array(ImageVersionRecord),
    error: PageError.nullable(),
  }),
});
export type PageRecord = z.infer<typeof PageRecord>;

export const ReferenceImageRecord = z.object({ key: z.string(), mimeType: z.string() });
export type ReferenceImageRecord = z.infer<typeof ReferenceImageRecord>;

export const CopyStatus = z.enum(['none', 'queued', 'writing', 'completed', 'failed']);
export type CopyStatus = z.infer<typeof CopyStatus>;

/** Where the post's copy generation stands (the copy itself is `copy`). */
export const CopyState = z.object({
  status: CopyStatus,
  attempt: z.number().int(),
  error: ErrorInfo.nullable(),
});
export type CopyState = z.infer<typeof CopyState>;

export const PostRecord = z.object({
  id: z.string(),
  tenant: z.string(),
  topic: z.string(),
  status: PostStatus,
  aspectRatio: AspectRatio,
  style: z.string().nullable(),
  pageCountHint: z.number().int().nullable(),
  autoGenerate: z.boolean(),
  textProvider: z.string(),
  imageProvider: z.string(),
  webhookUrl: z.string().nullable(),
  referenceImages: z.array(ReferenceImageRecord),
  pages: z.array(PageRecord),
  copy: Copy.nullable(),
  copyState: CopyState.default({ status: 'none', attempt: 0, error: null }),
  usage: Usage,
  estimate: Estimate.nullable(),
  error: ErrorInfo.nullable(),
  outlineAttempt: z.number().int().nonnegative(),
  requestId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  revision: z.number().int().nonnegative(),
});
export type PostRecord = z.infer<typeof PostRecord>;

// ---- API view (../shared/API.md) ----

export const ImageVersionView = z.object({
  version: z.number().int(),
  url: z.string(),
  createdAt: z.string(),
  provider: z.string(),
  model: z.string().nullable(),
});

export const PageView = z.object({
  index: z.number().int(),
  id: z.string(),
  type: PageType,
  content: z.string(),
  image: z.object({
    status: PageImageStatus,
    version: z.number().int(),
    url: z.string().nullable(),
    thumbnailUrl: z.string().nullable(),
    versions: z.array(ImageVersionView),
    error: PageError.nullable(),
  }),
});
export type PageView = z.infer<typeof PageView>;

export const PostView = z.object({
  id: z.string(),
  topic: z.string(),
  status: PostStatus,
  aspectRatio: AspectRatio,
  style: z.string().nullable(),
  textProvider: z.string(),
  imageProvider: z.string(),
  referenceImages: z.array(z.object({ url: z.string(), mimeType: z.string() })),
  pages: z.array(PageView),
  copy: Copy.nullable(),
  copyStatus: CopyStatus,
  copyError: ErrorInfo.nullable(),
  usage: Usage,
  estimate: Estimate.nullable(),
  error: ErrorInfo.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  revision: z.number().int(),
});
export type PostView = z.infer<typeof PostView>;

/** The URL of one page image version (relative to the API's origin). */
export function pageImageUrl(postId: string, index: number, version: number, size?: 'thumb'): string {
  const thumb = size === 'thumb' ? '&size=thumb' : '';
  return `/v1/posts/${postId}/pages/${index}/image?version=${version}${thumb}`;
}

export function referenceImageUrl(postId: string, n: number): string {
  return `/v1/posts/${postId}/reference-images/${n}`;
}

/** Maps a stored page to its API view. */
export function toPageView(postId: string, page: PageRecord, index: number): PageView {
  const current = page.image.versions.find((v) => v.version === page.image.version) ?? null;
  return {
    index,
    id: page.id,
    type: page.type,
    content: page.content,
    image: {
      status: page.image.status,
      version: page.image.version,
      url: current ? pageImageUrl(postId, index, current.version) : null,
      thumbnailUrl: current?.thumbKey ? pageImageUrl(postId, index, current.version, 'thumb') : null,
      versions: page.image.versions.map((v) => ({
        version: v.version,
        url: pageImageUrl(postId, index, v.version),
        createdAt: v.createdAt,
        provider: v.provider,
        model: v.model,
      })),
      error: page.image.error,
    },
  };
}

/** Maps a stored post to its API view: internal fields (tenant, storage keys, webhook) never leave. */
export function toPostView(post: PostRecord): PostView {
  return {
    id: post.id,
    topic: post.topic,
    status: post.status,
    aspectRatio: post.aspectRatio,
    style: post.style,
    textProvider: post.textProvider,
    imageProvider: post.imageProvider,
    referenceImages: post.referenceImages.map((r, n) => ({
      url: referenceImageUrl(post.id, n),
      mimeType: r.mimeType,
    })),
    pages: post.pages.map((p, i) => toPageView(post.id, p, i)),
    copy: post.copy,
    copyStatus: post.copyState.status,
    copyError: post.copyState.error,
    usage: post.usage,
    estimate: post.estimate,
    error: post.error,
    createdAt: post.createdAt,
    updatedAt: post.updatedAt,
    revision: post.revision,
  };
}

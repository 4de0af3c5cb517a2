import { z } from 'zod';
import { AspectRatio, PageType, PostStatus, PostView } from './post.js';

/** Limits on user input, shared by the API's validation and its documentation. */
export const LIMITS = {
  topicChars: 500,
  pageChars: 4_000,
  maxPages: 20,
  referenceImages: 6,
  referenceImageBytes: 10 * 1024 * 1024,
  styleChars: 64,
} as const;

export const ReferenceImageInput = z.object({
  data: z.string().min(1).describe('base64 image bytes (a data: URL is accepted too)'),
  mimeType: z.enum(['image/png', 'image/jpeg', 'image/webp', 'image/gif']),
});

export const PageInput = z.object({
  type: PageType,
  content: z.string().trim().min(1, 'page content must not be empty').max(LIMITS.pageChars),
});
export type PageInput = z.infer<typeof PageInput>;

const providerName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'unknown provider name');

export const CreatePostBody = z.object({
  topic: z.string().trim().min(1, 'topic must not be empty').max(LIMITS.topicChars),
  referenceImages: z.array(ReferenceImageInput).max(LIMITS.referenceImages).optional(),
  pages: z.array(PageInput).min(1).max(LIMITS.maxPages).optional(),
  autoGenerate: z.boolean().optional(),
  aspectRatio: AspectRatio.optional(),
  textProvider: providerName.optional(),
  imageProvider: providerName.optional(),
  webhookUrl: z.url().optional(),
  style: z.string().trim().max(LIMITS.styleChars).optional(),
  pageCount: z
    .number()
    .int()
    .min(3)
    .max(15)
    .optional()
    .describe('a hint for the outline: total pages wanted'),
});
export type CreatePostBody = z.infer<typeof CreatePostBody>;

export const GenerateBody = z
  .object({ pages: z.array(z.number().int().nonnegative()).max(LIMITS.maxPages).optional() })
  .default({});
export type GenerateBody = z.infer<typeof GenerateBody>;

export const PostParams = z.object({ id: z.string().min(1).max(100) });
export const PageParams = PostParams.extend({
  index: z.coerce.number().int().nonnegative().max(LIMITS.maxPages),
});

export const ImageQuery = z.object({
  version: z.coerce.number().int().positive().optional(),
  size: z.enum(['full', 'thumb']).default('full'),
});

export const EventsQuery = z.object({ lastEventId: z.string().max(64).optional() });

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const PostResponse = PostView;

export const PageEditInput = PageInput.extend({
  id: z.string().max(64).optional().describe('keep this existing page (and its images) at this position'),
});

export const PatchPostBody = z
  .object({
    topic: z.string().trim().min(1, 'topic must not be empty').max(LIMITS.topicChars).optional(),
    pages: z.array(PageEditInput).min(1).max(LIMITS.maxPages).optional(),
  })
  .refine((b) => b.topic !== undefined || b.pages !== undefined, { message: 'give topic or pages' });
export type PatchPostBody = z.infer<typeof PatchPostBody>;

export const SelectVersionBody = z.object({ version: z.number().int().positive() });

export const ListPostsQuery = z.object({
  status: PostStatus.optional(),
  q: z.string().trim().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export type ListPostsQuery = z.infer<typeof ListPostsQuery>;

export const PostList = z.object({ items: z.array(PostView), nextCursor: z.string().nullable() });

export const ProviderPricingView = z
  .object({
    perImage: z.number().nullable(),
    per1kInputTokens: z.number().nullable(),
    per1kOutputTokens: z.number().nullable(),
    currency: z.string(),
  })
  .nullable();

/** One configured provider as `GET /v1/providers` shows it: the key masked to its last 4 characters. */
export const ProviderInfo = z.object({
  name: z.string(),
  type: z.string(),
  model: z.string().nullable(),
  endpoint: z.string().nullable(),
  apiKey: z.string().nullable().describe('masked: only the last 4 characters are shown'),
  active: z.boolean(),
  concurrency: z.number().int().nullable(),
  rateLimitPerMinute: z.number().nullable(),
  pricing: ProviderPricingView,
});
export type ProviderInfo = z.infer<typeof ProviderInfo>;

export const ProviderList = z.object({ text: z.array(ProviderInfo), image: z.array(ProviderInfo) });
export type ProviderList = z.infer<typeof ProviderList>;

export const ProviderTestResult = z.object({ ok: z.boolean(), latencyMs: z.number(), message: z.string() });
export type ProviderTestResult = z.infer<typeof ProviderTestResult>;

export const StyleList = z.object({ styles: z.array(z.object({ name: z.string() })) });
export type StyleList = z.infer<typeof StyleList>;

export const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.string()).optional(),
});
export type Health = z.infer<typeof Health>;

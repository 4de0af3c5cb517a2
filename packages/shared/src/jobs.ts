import { z } from 'zod';

/** Payload of `outline.generate`: ids only; the worker re-reads the post. */
export const OutlineJobData = z.object({
  postId: z.string(),
  attempt: z.number().int(),
  requestId: z.string().optional(),
});
export type OutlineJobData = z.infer<typeof OutlineJobData>;

/** Payload of `page.render`: which page version to render and which cover version to take the style from. */
export const PageJobData = z.object({
  postId: z.string(),
  pageId: z.string(),
  version: z.number().int().positive(),
  /** The cover version this page must use as its style reference, when the cover rendered in the same run. */
  cover: z.object({ pageId: z.string(), version: z.number().int().positive() }).nullable(),
  requestId: z.string().optional(),
});
export type PageJobData = z.infer<typeof PageJobData>;

const keepJobs = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The job catalog: queue, job name and payload schema of every job both sides must agree on. */
export const jobs = {
  outline: {
    queue: 'outline',
    name: 'outline.generate',
    schema: OutlineJobData,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
      ...keepJobs,
    },
  },
  pageRender: {
    /** One queue per image provider: `image-<provider>`. */
    queue: (provider: string) => `image-${provider}`,
    name: 'page.render',
    schema: PageJobData,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 3_000, jitter: 0.5 },
      ...keepJobs,
    },
  },
} as const;

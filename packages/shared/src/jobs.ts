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

/** The post events delivered to webhooks (../shared/API.md, "Webhooks"): the terminal ones. */
export const WEBHOOK_EVENTS = ['post.completed', 'post.failed', 'post.cancelled'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** Payload of a webhook delivery job: ids and the event; the worker re-reads the post before each attempt. */
export const WebhookJobData = z.object({
  deliveryId: z.string(),
  postId: z.string(),
  tenant: z.string(),
  url: z.string(),
  event: z.object({ id: z.string(), name: z.enum(WEBHOOK_EVENTS), data: z.unknown() }),
  requestId: z.string().optional(),
});
export type WebhookJobData = z.infer<typeof WebhookJobData>;

/** Payload of `copy.generate`. */
export const CopyJobData = z.object({
  postId: z.string(),
  attempt: z.number().int(),
  requestId: z.string().optional(),
});
export type CopyJobData = z.infer<typeof CopyJobData>;

// Completed jobs are kept by count only: their deterministic ids are what makes a repeated enqueue a no-op, and a
// count bound is one command when a job finishes, where an age bound adds a scan of the finished set to every job.
const keepJobs = {
  removeOnComplete: { count: 10_000 },
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
  webhook: {
    queue: 'webhook',
    name: 'webhook.deliver',
    schema: WebhookJobData,
    // About a day of retries: 10 s, 20 s, 40 s … capped by the attempts.
    defaultJobOptions: {
      attempts: 12,
      backoff: { type: 'exponential', delay: 10_000, jitter: 0.2 },
      ...keepJobs,
    },
  },
  copy: {
    /** Copy is a text job: it runs on the outline queue's worker process, in its own queue. */
    queue: 'copy',
    name: 'copy.generate',
    schema: CopyJobData,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
      ...keepJobs,
    },
  },
} as const;

import { jobs, type OutlineJobData, outlineJobId, pageJobId } from '@inkpost/shared';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunnableRender } from './post-state.js';
import { keySpace } from './redis.js';

/** The BullMQ queues of one deployment (one key prefix), created on first use and shared. */
export class Queues {
  private readonly queues = new Map<string, Queue>();
  readonly prefix: string;

  constructor(
    private readonly connection: Redis,
    keyPrefix: string,
    private readonly onError: (err: Error, queue: string) => void = () => {},
    /** First retry delay of a page render (RETRY_BACKOFF_MS). */
    private readonly backoffMs = 3_000,
  ) {
    this.prefix = keySpace(keyPrefix);
  }

  get(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', (err) => this.onError(err, name));
      this.queues.set(name, queue);
    }
    return queue;
  }

  outline(): Queue {
    return this.get(jobs.outline.queue);
  }

  image(provider: string): Queue {
    return this.get(jobs.pageRender.queue(provider));
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  async enqueueOutline(data: OutlineJobData): Promise<void> {
    const payload = jobs.outline.schema.parse(data);
    await this.outline().add(jobs.outline.name, payload, {
      ...jobs.outline.defaultJobOptions,
      jobId: outlineJobId(data.postId, data.attempt),
    });
  }

  /**
   * Enqueues page renders. Job ids are deterministic per page version, so enqueueing the same render again (a
   * retried fan-out, a repeated request) is a no-op in BullMQ rather than a second paid call.
   */
  async enqueueRenders(
    postId: string,
    renders: RunnableRender[],
    requestId: string | undefined,
    attemptsFor: (provider: string) => number,
  ): Promise<void> {
    await Promise.all(
      renders.map((r) =>
        this.image(r.provider).add(
          jobs.pageRender.name,
          jobs.pageRender.schema.parse({
            postId,
            pageId: r.pageId,
            version: r.version,
            cover: r.cover,
            requestId,
          }),
          {
            ...jobs.pageRender.defaultJobOptions,
            backoff: { ...jobs.pageRender.defaultJobOptions.backoff, delay: this.backoffMs },
            attempts: attemptsFor(r.provider),
            jobId: pageJobId(postId, r.pageId, r.version),
          },
        ),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}

/**
 * Whether a failed job will not run again: its attempts are spent, or BullMQ failed it as unrecoverable (a job that
 * stalled more often than allowed fails so, whatever attempts it has left). Such failures happen outside the
 * processor, so the post must be told from the worker's `failed` event.
 */
export function isFinalFailure(
  job: { attemptsMade: number; opts: { attempts?: number } },
  err: Error,
): boolean {
  return job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
}

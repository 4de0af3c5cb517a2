import { outlineJobId, type PostRecord, pageJobId } from '@inkpost/shared';
import type { Queue } from 'bullmq';
import type { DailyImageBudget } from './budget.js';
import { cancelWork, defaultGenerationTargets, planGeneration, runnableRenders } from './post-state.js';
import type { PostStore } from './post-store.js';
import { PostNotFoundError } from './post-store.js';
import type { Queues } from './queues.js';

/** A request that the post's current state does not allow (answered 409 by the API). */
export class PostStateError extends Error {
  override readonly name = 'PostStateError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface GenerationDeps {
  store: PostStore;
  queues: Queues;
  /** The job attempts of an image provider (its `max_attempts`). */
  attemptsFor: (provider: string) => number;
  /** Daily image budgets; without it there is no limit. */
  budget?: DailyImageBudget;
}

/**
 * Queues page renders: the given pages, or every page without a completed image. The cover goes first when it is
 * among them. Pages already queued or rendering are not queued again, but their jobs are (re-)added — a no-op
 * when they exist — so a request interrupted between recording and enqueueing heals on the next call.
 */
export async function startGeneration(
  deps: GenerationDeps,
  postId: string,
  indexes: number[] | undefined | ((post: PostRecord) => number[]),
  requestId: string | undefined,
): Promise<{ post: PostRecord; queued: number[] }> {
  const targetsOf = (post: PostRecord) => {
    const chosen = typeof indexes === 'function' ? indexes(post) : indexes;
    assertCanGenerate(post, chosen);
    return (chosen ?? defaultGenerationTargets(post)).filter((i) => !post.pages[i]?.image.pending);
  };
  // Reserve the budget before anything is queued, so no provider call happens over it. Without any budget
  // configured there is nothing to reserve, and no reason for the extra read.
  const budget = deps.budget?.enabled ? deps.budget : undefined;
  const before = budget ? await deps.store.get(postId) : null;
  if (budget && !before) throw new PostNotFoundError(`post ${postId} not found`);
  const reserved = before ? new Set(targetsOf(before)).size : 0;
  if (before) await budget?.reserve(before.tenant, reserved);
  let queued: number[] = [];
  try {
    const outcome = await deps.store.update(postId, (post) =>
      planGeneration(post, targetsOf(post), post.imageProvider, new Date().toISOString()),
    );
    queued = outcome.value?.queued ?? [];
    await enqueueRunnable(deps, outcome.post, requestId);
    return { post: outcome.post, queued };
  } finally {
    if (before && queued.length < reserved) await budget?.release(before.tenant, reserved - queued.length);
  }
}

/** Adds the BullMQ job of every render that may run now (idempotent). */
export async function enqueueRunnable(
  deps: GenerationDeps,
  post: PostRecord,
  requestId: string | undefined,
): Promise<void> {
  const renders = runnableRenders(post);
  if (renders.length > 0) await deps.queues.enqueueRenders(post.id, renders, requestId, deps.attemptsFor);
}

function assertCanGenerate(post: PostRecord, indexes: number[] | undefined): void {
  if (post.status === 'outlining') {
    throw new PostStateError(
      'outline_in_progress',
      'The outline is still being written; generate once it is ready.',
    );
  }
  if (post.pages.length === 0) {
    throw new PostStateError('no_outline', 'The post has no pages to render; give it pages first.');
  }
  const bad = (indexes ?? []).find((i) => i >= post.pages.length);
  if (bad !== undefined) {
    throw new PostStateError(
      'page_not_found',
      `Page ${bad} does not exist; the post has ${post.pages.length} pages.`,
    );
  }
}

/**
 * Cancels a post's work: records it (pages `cancelled`, post `cancelled`), removes the jobs still queued and tells
 * every worker to abort the ones running, whose provider calls are aborted through their AbortSignal.
 */
export async function cancelGeneration(
  deps: Pick<GenerationDeps, 'store' | 'queues'> & { publish: (jobIds: string[]) => Promise<void> },
  postId: string,
): Promise<PostRecord> {
  const outcome = await deps.store.update(postId, (post) => cancelWork(post));
  if (!outcome.changed || !outcome.value) return outcome.post;
  const { renders, outline } = outcome.value;
  const jobIds = renders.map((r) => pageJobId(postId, r.pageId, r.version));
  if (outline) jobIds.push(outlineJobId(postId, outcome.post.outlineAttempt));
  await Promise.all([
    ...renders.map((r) =>
      removeIfQueued(deps.queues.image(r.provider), pageJobId(postId, r.pageId, r.version)),
    ),
    ...(outline
      ? [removeIfQueued(deps.queues.outline(), outlineJobId(postId, outcome.post.outlineAttempt))]
      : []),
  ]);
  await deps.publish(jobIds);
  return outcome.post;
}

async function removeIfQueued(queue: Queue, jobId: string): Promise<void> {
  // A running job is locked and cannot be removed; it is aborted instead, and finds its render no longer wanted.
  await queue.remove(jobId).catch(() => 0);
}

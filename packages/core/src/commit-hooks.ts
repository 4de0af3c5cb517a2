import { type CommonEnv, jobs, type PostRecord, parseTenantMap, type StoredEvent } from '@inkpost/shared';
import type { Logger } from 'pino';
import type { ManifestWriter } from './manifests.js';
import type { PostStore } from './post-store.js';
import type { Queues } from './queues.js';
import { isWebhookEvent, webhookJobFor } from './webhooks.js';

/** Where a post's webhooks go: its own URL, else its tenant's default. */
export function webhookUrlResolver(
  env: Pick<CommonEnv, 'WEBHOOK_URLS'>,
): (post: PostRecord) => string | null {
  const defaults = parseTenantMap('WEBHOOK_URLS', env.WEBHOOK_URLS);
  return (post) => post.webhookUrl ?? defaults.get(post.tenant) ?? null;
}

/**
 * What happens after every committed change of a post, in every process that changes posts: its manifest is
 * mirrored to storage and its terminal events are queued for webhook delivery. Delivery ids are the event ids,
 * so queueing the same event twice delivers it once. The commit itself put those events in the webhook outbox;
 * queueing clears them, and `sweepWebhookOutbox` queues what a dying process left there.
 */
export function installCommitHooks(
  store: PostStore,
  deps: {
    manifests: ManifestWriter;
    queues: Queues;
    webhookUrlFor: (post: PostRecord) => string | null;
    log: Logger;
    /** First retry delay of a failed delivery (WEBHOOK_BACKOFF_MS). */
    webhookBackoffMs?: number;
  },
): void {
  const options = webhookJobOptions(deps.webhookBackoffMs);
  store.onCommit = (post: PostRecord, events: StoredEvent[]) => {
    deps.manifests.committed(post);
    for (const event of events) {
      if (!isWebhookEvent(event)) continue;
      void queueDelivery(store, deps.queues, post, event, deps.webhookUrlFor(post), options).catch((err) =>
        deps.log.error(
          { err, postId: post.id, event: event.name },
          'could not queue a webhook; the outbox will',
        ),
      );
    }
  };
}

function webhookJobOptions(backoffMs: number | undefined) {
  return {
    ...jobs.webhook.defaultJobOptions,
    backoff: { ...jobs.webhook.defaultJobOptions.backoff, delay: backoffMs ?? 10_000 },
  };
}

/**
 * Queues a committed event's webhook delivery (none when the post has no URL) and clears its outbox entry. The job
 * id is the delivery id, so queueing it again (the sweeper, a retried commit hook) delivers once.
 */
async function queueDelivery(
  store: PostStore,
  queues: Queues,
  post: PostRecord,
  event: StoredEvent,
  url: string | null,
  options: ReturnType<typeof webhookJobOptions>,
): Promise<void> {
  const job = webhookJobFor(post, event, url, post.requestId ?? undefined);
  if (job)
    await queues.get(jobs.webhook.queue).add(jobs.webhook.name, job, { ...options, jobId: job.deliveryId });
  await store.outboxDone(post.id, event.id);
}

/**
 * Queues the deliveries a process committed but died before queueing: outbox entries older than `minAgeMs` (their
 * own process had that long). Run periodically by the worker that delivers webhooks; returns how many it queued or
 * cleared. A post deleted since, or an event its stream no longer holds, owes nothing any more.
 */
export async function sweepWebhookOutbox(
  store: PostStore,
  deps: {
    queues: Queues;
    webhookUrlFor: (post: PostRecord) => string | null;
    webhookBackoffMs?: number;
    minAgeMs?: number;
  },
): Promise<number> {
  const due = await store.outboxDue(deps.minAgeMs ?? 30_000);
  const options = webhookJobOptions(deps.webhookBackoffMs);
  for (const { postId, eventId } of due) {
    const [post, event] = await Promise.all([store.get(postId), store.eventById(postId, eventId)]);
    if (!post || !event || !isWebhookEvent(event)) {
      await store.outboxDone(postId, eventId);
      continue;
    }
    await queueDelivery(store, deps.queues, post, event, deps.webhookUrlFor(post), options);
  }
  return due.length;
}

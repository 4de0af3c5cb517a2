import { type CommonEnv, jobs, type PostRecord, parseTenantMap, type StoredEvent } from '@inkpost/shared';
import type { Logger } from 'pino';
import type { ManifestWriter } from './manifests.js';
import type { PostStore } from './post-store.js';
import type { Queues } from './queues.js';
import { webhookJobFor } from './webhooks.js';

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
 * so queueing the same event twice delivers it once.
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
  const options = {
    ...jobs.webhook.defaultJobOptions,
    backoff: { ...jobs.webhook.defaultJobOptions.backoff, delay: deps.webhookBackoffMs ?? 10_000 },
  };
  store.onCommit = (post: PostRecord, events: StoredEvent[]) => {
    deps.manifests.committed(post);
    const url = events.length > 0 ? deps.webhookUrlFor(post) : null;
    if (!url) return;
    for (const event of events) {
      const job = webhookJobFor(post, event, url, post.requestId ?? undefined);
      if (!job) continue;
      deps.queues
        .get(jobs.webhook.queue)
        .add(jobs.webhook.name, job, { ...options, jobId: job.deliveryId })
        .catch((err) =>
          deps.log.error({ err, postId: post.id, event: event.name }, 'could not queue a webhook'),
        );
    }
  };
}

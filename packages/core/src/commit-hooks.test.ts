import { jobs, postEvent } from '@inkpost/shared';
import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCommitHooks, sweepWebhookOutbox } from './commit-hooks.js';
import type { ManifestWriter } from './manifests.js';
import { PostStore } from './post-store.js';
import { Queues } from './queues.js';
import { createRedis } from './redis.js';
import { samplePost } from './test-fixtures.js';
import { webhookDeliveryId } from './webhooks.js';

const completed = () => postEvent('post.completed', { status: 'completed', completed: 4, failed: 0 });

describe('webhook outbox', () => {
  const prefix = randomPrefix();
  let redis: Redis;
  let store: PostStore;
  let queues: Queues;
  const url = 'https://hooks.example.com/inkpost';
  const noManifests = { committed: () => {} } as unknown as ManifestWriter;

  beforeAll(() => {
    redis = createRedis(testEnv().redisUrl, 'worker');
    store = new PostStore(redis, prefix);
    queues = new Queues(redis, prefix);
  });
  afterAll(async () => {
    await queues.close();
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
    await redis.quit();
  });

  const deliveryJob = (postId: string, eventId: string) =>
    queues.get(jobs.webhook.queue).getJob(webhookDeliveryId(postId, eventId));

  async function settleHooks() {
    await new Promise((r) => setTimeout(r, 100));
  }

  it('queues the delivery when the commit hook runs and clears the outbox entry', async () => {
    installCommitHooks(store, {
      manifests: noManifests,
      queues,
      webhookUrlFor: () => url,
      log: pino({ level: 'silent' }),
    });
    const { post } = await store.create(samplePost());
    const { events } = await store.update(post.id, () => ({ events: [completed()] }));
    await settleHooks();
    expect((await deliveryJob(post.id, events[0]!.id))?.data).toMatchObject({
      url,
      event: { name: 'post.completed' },
    });
    expect(await store.outboxDue(0)).not.toContainEqual({ postId: post.id, eventId: events[0]!.id });
  });

  it('keeps what a process committed but never queued (it died), and the sweep queues it once', async () => {
    // The committing process dies right after its commit: no hook runs.
    store.onCommit = null;
    const { post } = await store.create(samplePost());
    const { events } = await store.update(post.id, () => ({
      events: [postEvent('page.started', { index: 0, pageId: post.pages[0]!.id }), completed()],
    }));
    const eventId = events[1]!.id;
    expect(await store.outboxDue(0)).toContainEqual({ postId: post.id, eventId });
    expect(await deliveryJob(post.id, eventId)).toBeUndefined();

    // Too recent for the sweep: its own process may still be queueing it.
    await sweepWebhookOutbox(store, { queues, webhookUrlFor: () => url, minAgeMs: 60_000 });
    expect(await deliveryJob(post.id, eventId)).toBeUndefined();

    await sweepWebhookOutbox(store, { queues, webhookUrlFor: () => url, minAgeMs: 0 });
    const job = await deliveryJob(post.id, eventId);
    expect(job?.data).toMatchObject({ postId: post.id, url, event: { id: eventId, name: 'post.completed' } });
    expect(await store.outboxDue(0)).not.toContainEqual({ postId: post.id, eventId });
    // Only the event that owes a webhook went to the outbox.
    expect(await store.outboxDue(0)).not.toContainEqual({ postId: post.id, eventId: events[0]!.id });
  });

  it('clears entries that owe nothing: no webhook URL, or the post was deleted', async () => {
    store.onCommit = null;
    const { post: noUrl } = await store.create(samplePost());
    const { events: a } = await store.update(noUrl.id, () => ({ events: [completed()] }));
    const { post: deleted } = await store.create(samplePost());
    const { events: b } = await store.update(deleted.id, () => ({ events: [completed()] }));
    await store.delete(deleted);
    await sweepWebhookOutbox(store, { queues, webhookUrlFor: () => null, minAgeMs: 0 });
    const due = await store.outboxDue(0);
    expect(due).not.toContainEqual({ postId: noUrl.id, eventId: a[0]!.id });
    expect(due).not.toContainEqual({ postId: deleted.id, eventId: b[0]!.id });
    expect(await deliveryJob(noUrl.id, a[0]!.id)).toBeUndefined();
  });
});

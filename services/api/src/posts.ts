import {
  assertPublicUrl,
  cancelGeneration,
  editPost,
  estimateFor,
  failedPages,
  newPageRecord,
  newPostRecord,
  publishCancel,
  requestCopy,
  StaleRevisionError,
  selectVersion,
  startGeneration,
  WebhookUrlError,
} from '@inkpost/core';
import {
  type CreatePostBody,
  jobs,
  type ListPostsQuery,
  newPageId,
  newPostId,
  type PatchPostBody,
  type PostEvent,
  type PostRecord,
  parseTenantMap,
  postEvent,
  storageKeys,
} from '@inkpost/shared';
import type { ApiContext } from './context.js';
import { HttpError, notFound } from './errors.js';
import { storeReferenceImages } from './reference-images.js';

function checkProvider(kind: 'text' | 'image', names: Map<string, unknown>, name: string | undefined): void {
  if (name !== undefined && !names.has(name)) {
    const known = [...names.keys()].join(', ');
    throw new HttpError(
      400,
      'unknown_provider',
      `${kind}Provider "${name}" is not configured; configured: ${known}.`,
    );
  }
}

/** Creates a post: stores its reference images and record, then queues its outline (or its images). */
export async function createPost(
  ctx: ApiContext,
  tenant: string,
  body: CreatePostBody,
  requestId: string,
): Promise<PostRecord> {
  checkProvider('text', ctx.textProviders.providers, body.textProvider);
  checkProvider('image', ctx.imageProviders.providers, body.imageProvider);
  if (body.webhookUrl) await checkWebhookUrl(ctx, tenant, body.webhookUrl);
  const id = newPostId();
  const referenceImages = await storeReferenceImages(
    ctx.storage,
    id,
    body.referenceImages ?? [],
    ctx.env.MAX_IMAGE_PIXELS,
  );
  const record = newPostRecord({
    id,
    tenant,
    topic: body.topic,
    status: body.pages ? 'outlined' : 'outlining',
    aspectRatio: body.aspectRatio ?? '3:4',
    style: body.style ?? null,
    pageCountHint: body.pageCount ?? null,
    autoGenerate: body.autoGenerate ?? false,
    textProvider: body.textProvider ?? ctx.textProviders.active,
    imageProvider: body.imageProvider ?? ctx.imageProviders.active,
    webhookUrl: body.webhookUrl ?? null,
    referenceImages,
    pages: (body.pages ?? []).map((p) => newPageRecord(newPageId(), p.type, p.content)),
    outlineAttempt: body.pages ? 0 : 1,
    requestId,
  });
  if (body.pages) record.estimate = estimateFor(record, imagePricing(ctx, record.imageProvider));
  const events: PostEvent[] = [postEvent('post.status', { status: record.status })];
  const created = await ctx.store.create(record, events);
  if (!body.pages) {
    await enqueueOrFail(ctx, created.post, () =>
      ctx.queues.enqueueOutline({ postId: id, attempt: record.outlineAttempt, requestId }),
    );
    return created.post;
  }
  if (body.autoGenerate) return (await startGeneration(generationDeps(ctx), id, undefined, requestId)).post;
  return created.post;
}

/**
 * Enqueues the post's first job; if the queue refuses, the post is marked failed (not left "outlining" forever)
 * and the client is told to retry.
 */
async function enqueueOrFail(ctx: ApiContext, post: PostRecord, enqueue: () => Promise<void>): Promise<void> {
  try {
    await enqueue();
  } catch (err) {
    ctx.log.error({ err, postId: post.id }, 'could not enqueue the outline job');
    const error = {
      code: 'enqueue_failed',
      message: 'The job queue was unavailable; create the post again.',
    };
    await ctx.store
      .update(post.id, (p) => {
        p.status = 'failed';
        p.error = error;
        return {
          events: [postEvent('post.status', { status: 'failed' }), postEvent('post.failed', { error })],
        };
      })
      .catch(() => {});
    throw new HttpError(503, 'unavailable', 'The job queue is unavailable right now; try again shortly.');
  }
}

function imagePricing(ctx: ApiContext, provider: string) {
  return ctx.imageProviders.providers.get(provider)?.pricing ?? null;
}

/** A webhook needs a signing secret and, unless allowed, a public address (never the internal network). */
async function checkWebhookUrl(ctx: ApiContext, tenant: string, url: string): Promise<void> {
  const secrets = parseTenantMap('WEBHOOK_SECRETS', ctx.env.WEBHOOK_SECRETS);
  if (!secrets.get(tenant) && !ctx.env.WEBHOOK_SECRET) {
    throw new HttpError(
      400,
      'webhooks_not_configured',
      'webhookUrl needs WEBHOOK_SECRET set on the server to sign deliveries.',
    );
  }
  try {
    await assertPublicUrl(url, { allowPrivate: ctx.env.WEBHOOK_ALLOW_PRIVATE });
  } catch (err) {
    if (err instanceof WebhookUrlError)
      throw new HttpError(400, 'invalid_webhook_url', `webhookUrl: ${err.message}`);
    throw err;
  }
}

/** Queues copy (titles, body, tags) for the post; asking again while it is being written queues nothing. */
export async function requestPostCopy(
  ctx: ApiContext,
  tenant: string,
  id: string,
  requestId: string,
): Promise<PostRecord> {
  await getOwnedPost(ctx, tenant, id);
  const outcome = await ctx.store.update(id, (post) => requestCopy(post));
  if (outcome.value?.queued) {
    await ctx.queues
      .get(jobs.copy.queue)
      .add(
        jobs.copy.name,
        jobs.copy.schema.parse({ postId: id, attempt: outcome.value.attempt, requestId }),
        {
          ...jobs.copy.defaultJobOptions,
          jobId: `copy-${id}-a${outcome.value.attempt}`,
        },
      );
  }
  return outcome.post;
}

/** The post if it exists and belongs to the tenant; otherwise 404 (another tenant's post does not exist for it). */
export async function getOwnedPost(ctx: ApiContext, tenant: string, id: string): Promise<PostRecord> {
  const post = await ctx.store.get(id);
  if (!post || post.tenant !== tenant) throw notFound();
  return post;
}

export function generationDeps(ctx: ApiContext) {
  return {
    store: ctx.store,
    queues: ctx.queues,
    attemptsFor: (provider: string) => ctx.imageProviders.providers.get(provider)?.maxAttempts ?? 3,
    budget: ctx.budget,
  };
}

/** Queues the post's page images (all missing ones by default). */
export async function generatePost(
  ctx: ApiContext,
  tenant: string,
  id: string,
  pages: number[] | undefined,
  requestId: string,
): Promise<PostRecord> {
  await getOwnedPost(ctx, tenant, id);
  const { post } = await startGeneration(generationDeps(ctx), id, pages, requestId);
  return post;
}

/** Stops the post's queued and running work; a post with nothing running is answered as it is. */
export async function cancelPost(ctx: ApiContext, tenant: string, id: string): Promise<PostRecord> {
  await getOwnedPost(ctx, tenant, id);
  return cancelGeneration(
    {
      store: ctx.store,
      queues: ctx.queues,
      publish: (jobIds) => publishCancel(ctx.redis, ctx.env.KEY_PREFIX, jobIds),
    },
    id,
  );
}

/** Replaces topic and/or pages; `ifMatch` is the client's If-Match revision, if it sent one. */
export async function editPostById(
  ctx: ApiContext,
  tenant: string,
  id: string,
  body: PatchPostBody,
  ifMatch: number | null,
): Promise<PostRecord> {
  await getOwnedPost(ctx, tenant, id);
  try {
    return (
      await ctx.store.update(id, (post) =>
        editPost(post, body, ifMatch, imagePricing(ctx, post.imageProvider)),
      )
    ).post;
  } catch (err) {
    if (err instanceof StaleRevisionError) throw new HttpError(412, 'precondition_failed', err.message);
    throw err;
  }
}

export async function selectPageVersion(
  ctx: ApiContext,
  tenant: string,
  id: string,
  index: number,
  version: number,
) {
  await getOwnedPost(ctx, tenant, id);
  return (await ctx.store.update(id, (post) => selectVersion(post, index, version))).post;
}

/** Re-queues every page whose last render failed (the cover first when it is one of them). */
export async function retryFailed(ctx: ApiContext, tenant: string, id: string, requestId: string) {
  await getOwnedPost(ctx, tenant, id);
  return (await startGeneration(generationDeps(ctx), id, (post) => failedPages(post), requestId)).post;
}

function encodeCursor(position: { score: number; id: string }): string {
  return Buffer.from(`${position.score}:${position.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { score: number; id: string } {
  const [score, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (!id || !Number.isFinite(Number(score)))
    throw new HttpError(400, 'invalid_request', 'Invalid request: cursor is not valid.');
  return { score: Number(score), id };
}

function matches(post: PostRecord, query: ListPostsQuery): boolean {
  if (query.status && post.status !== query.status) return false;
  if (!query.q) return true;
  const needle = query.q.toLowerCase();
  return (
    post.topic.toLowerCase().includes(needle) ||
    post.pages.some((p) => p.content.toLowerCase().includes(needle))
  );
}

/** The tenant's posts, newest first, filtered by status and text, one page at a time. */
export async function listPosts(ctx: ApiContext, tenant: string, query: ListPostsQuery) {
  const items: PostRecord[] = [];
  let position = query.cursor ? decodeCursor(query.cursor) : null;
  // Filters run on the records, so scan in batches until the page is full or the history ends.
  for (let scanned = 0; items.length < query.limit && scanned < 5_000; ) {
    const ids = await ctx.store.listIds(tenant, position, 100);
    if (ids.length === 0) return { items, nextCursor: null };
    scanned += ids.length;
    const posts = new Map((await ctx.store.getMany(ids.map((i) => i.id))).map((p) => [p.id, p]));
    for (const entry of ids) {
      position = entry;
      const post = posts.get(entry.id);
      if (post && matches(post, query)) items.push(post);
      if (items.length === query.limit) break;
    }
  }
  const more = position ? (await ctx.store.listIds(tenant, position, 1)).length > 0 : false;
  return { items, nextCursor: more && position ? encodeCursor(position) : null };
}

/** Deletes a post: stops its work, then removes its record, events and every stored object. */
export async function deletePost(ctx: ApiContext, tenant: string, id: string): Promise<void> {
  const post = await getOwnedPost(ctx, tenant, id);
  await cancelPost(ctx, tenant, id);
  await ctx.store.delete(post);
  await ctx.storage.deletePrefix(storageKeys.postPrefix(id));
}

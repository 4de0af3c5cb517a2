import { cancelGeneration, newPageRecord, publishCancel, startGeneration } from '@inkpost/core';
import {
  type CreatePostBody,
  newPageId,
  newPostId,
  type PostEvent,
  type PostRecord,
  postEvent,
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
  const id = newPostId();
  const referenceImages = await storeReferenceImages(ctx.storage, id, body.referenceImages ?? []);
  const now = new Date().toISOString();
  const pages = (body.pages ?? []).map((p) => newPageRecord(newPageId(), p.type, p.content));
  const record: PostRecord = {
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
    pages,
    copy: null,
    usage: {
      textTokensIn: 0,
      textTokensOut: 0,
      imagesGenerated: 0,
      providerCalls: 0,
      cost: null,
      currency: null,
    },
    estimate: body.pages ? { images: pages.length, cost: null, currency: null } : null,
    error: null,
    outlineAttempt: body.pages ? 0 : 1,
    requestId,
    createdAt: now,
    updatedAt: now,
    revision: 0,
  };
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

import { setTimeout } from 'node:timers/promises';
import {
  enqueueRunnable,
  type GenerationDeps,
  isPendingRender,
  type Logger,
  type MetricsRecorder,
  markCompleted,
  markFailed,
  markStarted,
  PostNotFoundError,
  type ProviderSlots,
  type Storage,
} from '@inkpost/core';
import { type ImageProvider, type ImageReference, ProviderError } from '@inkpost/providers';
import {
  extensionForMime,
  type ImageVersionRecord,
  mimeForExtension,
  type PageError,
  type PageJobData,
  type PostRecord,
  type ProviderPricing,
  storageKeys,
} from '@inkpost/shared';

export interface RenderDeps extends GenerationDeps {
  storage: Storage;
  providerFor: (name: string) => ImageProvider | null;
  log: Logger;
  /** A provider's prices, for the post's cost. */
  pricingFor?: (provider: string) => ProviderPricing | null;
  /** Provider latency and outcomes for /metrics. */
  metrics?: MetricsRecorder;
  /** The providers' concurrency and rate limits, held around each provider call (absent: the queue's limits). */
  slots?: ProviderSlots;
  /** Waits between tries of storing a rendered image (default about 16 s in all); for tests. */
  storeRetryDelaysMs?: number[];
  /** Pauses the provider's queue for every worker (a 429's Retry-After). */
  pauseProvider?: (provider: string, ms: number) => Promise<void>;
}

export interface JobAttempt {
  attemptsMade: number;
  maxAttempts: number;
  /** How many times the job was started (a stalled restart counts, unlike attemptsMade); 1 on a first run. */
  attemptsStarted?: number;
  signal?: AbortSignal;
}

export type RenderOutcome = 'completed' | 'reused' | 'skipped' | 'failed' | 'cancelled';

/** Thrown to let BullMQ retry the job with its backoff. */
export class RetryLater extends Error {}

/** Thrown after the provider's queue was paused for its Retry-After: the job goes back to wait, no attempt spent. */
export class RateLimited extends Error {}

/**
 * `page.render`: renders one page version and records it. Re-reads the post and skips a version nobody wants any
 * more; an image already stored for this version (a worker died after storing it) is reused instead of paid for
 * again; storing uses the version's deterministic key, so a retry overwrites rather than duplicates.
 */
export async function renderPage(
  data: PageJobData,
  attempt: JobAttempt,
  deps: RenderDeps,
): Promise<RenderOutcome> {
  const post = await deps.store.get(data.postId);
  if (!post) return 'skipped';
  if (!isPendingRender(post, data.pageId, data.version)) {
    // A cover recorded by a worker that died before queueing the pages it releases: queue them now (queueing is
    // idempotent by job id, so a cover that did queue them changes nothing).
    const page = post.pages.find((p) => p.id === data.pageId);
    const recorded = page?.image.versions.some((v) => v.version === data.version);
    if (page?.type === 'cover' && recorded) await enqueueRunnable(deps, post, data.requestId);
    return 'skipped';
  }
  const pending = post.pages.find((p) => p.id === data.pageId)!.image.pending!;
  // Only a job that ran before (retried, or restarted after its worker died) can find its image already stored.
  const firstRun = (attempt.attemptsStarted ?? attempt.attemptsMade + 1) <= 1 && attempt.attemptsMade === 0;
  const existing = firstRun
    ? null
    : await deps.storage.findFirst(storageKeys.pageImagePrefix(post.id, data.pageId, data.version));
  if (existing) {
    const image = recordFor(existing, post.id, data, pending.provider);
    // The call that made it was paid by the worker that died before recording it.
    await complete(deps, post.id, data, image, 1);
    return 'reused';
  }
  const provider = deps.providerFor(pending.provider);
  if (!provider) {
    const error = {
      code: 'unknown_provider',
      message: `Image provider "${pending.provider}" is not configured.`,
      retryable: false,
    };
    await fail(deps, data, error, 0);
    return 'failed';
  }
  try {
    const references = provider.usesReferences ? await loadReferences(deps.storage, post, data) : [];
    const rendered = await withProviderSlot(deps, provider.name, attempt.signal, async () => {
      // The call starts together with marking the page started (a page waiting for a slot is still queued): the
      // post was read as wanting this render, edits are refused while it renders and a cancel aborts the job, so
      // the mark almost always agrees; when it does not, the call is aborted at once.
      const call = new AbortController();
      const signal = attempt.signal ? AbortSignal.any([attempt.signal, call.signal]) : call.signal;
      const rendering = observed(
        deps,
        provider.name,
        performance.now(),
        provider.render({
          topic: post.topic,
          pageIndex: post.pages.findIndex((p) => p.id === data.pageId),
          pages: post.pages.map((p) => ({ type: p.type, content: p.content })),
          aspectRatio: post.aspectRatio,
          style: post.style,
          references,
          signal,
        }),
      );
      rendering.catch(() => {});
      const started = await deps.store
        .update(post.id, (p) => markStarted(p, data.pageId, data.version))
        .catch(async (err) => {
          call.abort(err);
          await rendering.catch(() => {});
          throw err;
        });
      if (!started.value) {
        call.abort(new Error('the page is no longer waiting for this render'));
        // Its slot is given back only once the aborted call has ended, so the provider never sees more than C.
        await rendering.catch(() => {});
        return null;
      }
      return rendering;
    });
    if (!rendered) return 'skipped';
    const key = storageKeys.pageImage(
      post.id,
      data.pageId,
      data.version,
      extensionForMime(rendered.mimeType),
    );
    await storeRendered(deps, key, rendered, attempt.signal);
    const image = imageRecord(key, rendered.mimeType, post.id, data, provider.name, rendered.model);
    await complete(deps, post.id, data, image, 1);
    return 'completed';
  } catch (err) {
    if (err instanceof PostNotFoundError) {
      // The post was deleted while this page rendered: drop what was stored for it.
      await deps.storage.deletePrefix(storageKeys.pageImagePrefix(post.id, data.pageId, data.version));
      return 'skipped';
    }
    return handleFailure(err, data, attempt, deps, pending.provider);
  }
}

async function handleFailure(
  err: unknown,
  data: PageJobData,
  attempt: JobAttempt,
  deps: RenderDeps,
  provider: string,
): Promise<RenderOutcome> {
  const lastAttempt = attempt.attemptsMade + 1 >= attempt.maxAttempts;
  // Aborted by a cancel: the post already records it; the job just ends.
  if (attempt.signal?.aborted || (err instanceof ProviderError && err.code === 'aborted')) return 'cancelled';
  if (err instanceof ProviderError) {
    if (err.retryable && !lastAttempt) {
      if (err.code === 'rate_limited' && err.retryAfterMs && deps.pauseProvider) {
        await deps.pauseProvider(provider, err.retryAfterMs);
        throw new RateLimited(err.message);
      }
      throw new RetryLater(err.message);
    }
    await fail(deps, data, { code: err.code, message: err.message, retryable: err.retryable }, 1);
    return 'failed';
  }
  deps.log.error({ err, postId: data.postId, pageId: data.pageId }, 'page render failed unexpectedly');
  if (!lastAttempt) throw new RetryLater('unexpected error');
  await fail(
    deps,
    data,
    { code: 'render_failed', message: 'The page could not be rendered; try again.', retryable: true },
    0,
  );
  return 'failed';
}

async function complete(
  deps: RenderDeps,
  postId: string,
  data: PageJobData,
  image: ImageVersionRecord,
  calls: number,
) {
  const pricing = deps.pricingFor?.(image.provider) ?? null;
  const cost = { amount: pricing?.perImage ?? null, currency: pricing?.currency ?? null };
  const outcome = await deps.store.update(postId, (p) => markCompleted(p, data.pageId, image, calls, cost));
  // A finished cover releases the pages waiting for it; enqueueing is idempotent, so a retry of this job re-does it.
  // Other pages release nothing, and re-adding every pending job after each page would grow with the post's size.
  const page = outcome.post.pages.find((p) => p.id === data.pageId);
  if (page?.type === 'cover') await enqueueRunnable(deps, outcome.post, data.requestId);
}

/** Records a page version as failed for good. Idempotent; exported for jobs that fail outside the processor. */
export async function fail(
  deps: RenderDeps,
  data: PageJobData,
  error: PageError,
  calls: number,
): Promise<void> {
  await deps.store.update(data.postId, (p) => markFailed(p, data.pageId, data.version, error, calls));
}

/**
 * The images the provider is sent along with the prompt: the cover version the job names (the style to match) and
 * the user's reference images. Several MB from storage, so `renderPage` reads them only for a provider that uses
 * them.
 */
async function loadReferences(
  storage: Storage,
  post: PostRecord,
  data: PageJobData,
): Promise<ImageReference[]> {
  const refs: ImageReference[] = [];
  if (data.cover) {
    const cover = post.pages.find((p) => p.id === data.cover!.pageId);
    const version = cover?.image.versions.find((v) => v.version === data.cover!.version);
    const bytes = version ? await storage.getBuffer(version.key) : null;
    if (bytes && version) refs.push({ bytes, mimeType: version.mimeType, role: 'cover' });
  }
  for (const ref of post.referenceImages) {
    const bytes = await storage.getBuffer(ref.key);
    if (bytes) refs.push({ bytes, mimeType: ref.mimeType, role: 'user' });
  }
  return refs;
}

/** Waits before each new try of storing a rendered image: about 16 s in all, longer than a storage hiccup. */
const STORE_RETRY_DELAYS_MS = [200, 500, 1_000, 2_000, 4_000, 8_000];

/**
 * Stores a rendered image under its version's key. The image is paid for by now: when storage refuses it (an outage
 * outlasting the SDK's own retries), it is kept in memory and the write tried again, rather than failing the job
 * and paying the provider for the same image again.
 */
async function storeRendered(
  deps: RenderDeps,
  key: string,
  rendered: { bytes: Buffer; mimeType: string },
  signal: AbortSignal | undefined,
): Promise<void> {
  const delays = deps.storeRetryDelaysMs ?? STORE_RETRY_DELAYS_MS;
  for (let i = 0; ; i++) {
    try {
      await deps.storage.put(key, rendered.bytes, rendered.mimeType);
      return;
    } catch (err) {
      const delay = delays[i];
      if (delay === undefined || signal?.aborted) throw err;
      deps.log.warn({ err, key, retryInMs: delay }, 'storing a rendered image failed; trying again');
      await setTimeout(delay, undefined, { signal }).catch(() => {});
    }
  }
}

/**
 * Runs the provider call in one of the provider's slots (its concurrency and rate limit across every worker
 * process), so only the call itself holds one. A 429 pauses the provider before its slot is given back.
 */
function withProviderSlot<T>(
  deps: RenderDeps,
  provider: string,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  if (!deps.slots) return call();
  return deps.slots.run(provider, call, {
    signal,
    pauseAfter: (err) =>
      err instanceof ProviderError && err.code === 'rate_limited' ? (err.retryAfterMs ?? null) : null,
  });
}

/** Records a provider call's latency and result (ok, or the error's code) as it settles. */
async function observed<T>(
  deps: RenderDeps,
  provider: string,
  started: number,
  call: Promise<T>,
): Promise<T> {
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await call;
    deps.metrics?.providerCall(provider, 'ok', seconds());
    return result;
  } catch (err) {
    deps.metrics?.providerCall(provider, err instanceof ProviderError ? err.code : 'error', seconds());
    throw err;
  }
}

/**
 * The record of a stored page version. Its thumbnail is not made here: the API makes it on the first request for it
 * and stores it under `thumbKey`, the version's deterministic thumbnail key, so no page pays for a thumbnail nobody
 * looks at and rendering a page does no image decoding.
 */
function imageRecord(
  key: string,
  mimeType: string,
  postId: string,
  data: PageJobData,
  provider: string,
  model: string | null,
): ImageVersionRecord {
  return {
    version: data.version,
    key,
    mimeType,
    thumbKey: storageKeys.pageThumb(postId, data.pageId, data.version),
    createdAt: new Date().toISOString(),
    provider,
    model,
  };
}

function recordFor(key: string, postId: string, data: PageJobData, provider: string): ImageVersionRecord {
  const mimeType = mimeForExtension(key.slice(key.lastIndexOf('.') + 1));
  return imageRecord(key, mimeType, postId, data, provider, null);
}

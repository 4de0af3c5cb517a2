import {
  addTextUsage,
  BudgetExceededError,
  estimateFor,
  type GenerationDeps,
  type Logger,
  newPageRecord,
  type PostStore,
  type Storage,
  startGeneration,
  type TextUsage,
  textCost,
} from '@inkpost/core';
import { ProviderError, type TextClient } from '@inkpost/providers';
import {
  newPageId,
  type OutlineJobData,
  type PostRecord,
  type ProviderPricing,
  type ProvidersConfig,
  postEvent,
  type TextProviderConfig,
  toPageView,
} from '@inkpost/shared';
import { writeLocalOutline } from '../outline/local-writer.js';
import { type OutlinePage, OutlineParseError, parseOutline } from '../outline/parse-outline.js';
import { buildOutlinePrompt } from '../outline/prompt.js';

export interface OutlineDeps extends GenerationDeps {
  /** An image provider's prices, for the estimate of what generate will spend. */
  imagePricingFor?: (provider: string) => ProviderPricing | null;
  store: PostStore;
  storage: Storage;
  textProviders: ProvidersConfig<TextProviderConfig>;
  log: Logger;
  /** Chat clients by provider name (built once per process). */
  clientFor: (config: TextProviderConfig) => TextClient | null;
}

export interface JobAttempt {
  /** Attempts already made before this one. */
  attemptsMade: number;
  maxAttempts: number;
  signal?: AbortSignal;
}

export type OutlineOutcome = 'outlined' | 'skipped' | 'failed';

interface RawOutline extends TextUsage {
  text: string;
}

interface Written extends Omit<RawOutline, 'text'> {
  pages: OutlinePage[];
}

const NO_USAGE = { tokensIn: 0, tokensOut: 0, calls: 0 };

/**
 * `outline.generate`: writes the post's pages with its text provider, stores them, and starts the images when
 * the post asked for it. Re-reads the post first and does nothing for a post that moved on, so a retried or
 * duplicated job never writes twice.
 */
export async function generateOutline(
  data: OutlineJobData,
  attempt: JobAttempt,
  deps: OutlineDeps,
): Promise<OutlineOutcome> {
  const post = await deps.store.get(data.postId);
  if (!post || post.outlineAttempt !== data.attempt) return 'skipped';
  if (post.status === 'outlined') return (await autoGenerate(post, data, deps)) ? 'outlined' : 'skipped';
  if (post.status !== 'outlining') return 'skipped';
  const config = deps.textProviders.providers.get(post.textProvider);
  if (!config) {
    const message = `Text provider "${post.textProvider}" is not configured.`;
    await failOutline(deps, post.id, data.attempt, { code: 'unknown_provider', message }, NO_USAGE);
    return 'failed';
  }
  let raw: RawOutline;
  try {
    raw = await requestOutline(post, config, attempt, deps);
  } catch (err) {
    if (attempt.signal?.aborted) return 'skipped';
    const final =
      !(err instanceof ProviderError && err.retryable) || attempt.attemptsMade + 1 >= attempt.maxAttempts;
    if (!final) throw err;
    await failOutline(deps, post.id, data.attempt, describe(err), { ...NO_USAGE, calls: 1 });
    return 'failed';
  }
  let pages: OutlinePage[];
  try {
    pages = parseOutline(raw.text);
  } catch (err) {
    // The model answered and was paid for; a retry would likely answer the same way, so the post fails here.
    await failOutline(deps, post.id, data.attempt, describe(err), raw);
    return 'failed';
  }
  const imagePricing = deps.imagePricingFor?.(post.imageProvider) ?? null;
  const outcome = await deps.store.update(post.id, (p) =>
    applyOutline(p, data.attempt, { ...raw, pages }, imagePricing),
  );
  if (outcome.changed) await autoGenerate(outcome.post, data, deps);
  return outcome.changed ? 'outlined' : 'skipped';
}

async function requestOutline(
  post: PostRecord,
  config: TextProviderConfig,
  attempt: JobAttempt,
  deps: OutlineDeps,
): Promise<RawOutline> {
  const pageCount = post.pageCountHint ?? undefined;
  const client = deps.clientFor(config);
  if (!client) return { text: writeLocalOutline({ topic: post.topic, pageCount }), ...NO_USAGE };
  const prompt = buildOutlinePrompt({
    topic: post.topic,
    pageCount,
    referenceImageCount: post.referenceImages.length,
  });
  const images = await Promise.all(
    post.referenceImages.map(async (r) => ({
      bytes: await deps.storage.getBuffer(r.key),
      mimeType: r.mimeType,
    })),
  );
  const result = await client.complete({
    ...prompt,
    images: images.flatMap((i) => (i.bytes ? [{ bytes: i.bytes, mimeType: i.mimeType }] : [])),
    signal: attempt.signal,
  });
  deps.log.debug({ postId: post.id, tokensOut: result.tokensOut }, 'outline text received');
  const cost = {
    amount: textCost(config.pricing, result.tokensIn, result.tokensOut),
    currency: config.pricing?.currency ?? null,
  };
  return { ...result, calls: 1, cost };
}

function applyOutline(
  post: PostRecord,
  attempt: number,
  written: Written,
  imagePricing: ProviderPricing | null,
) {
  if (post.status !== 'outlining' || post.outlineAttempt !== attempt) return { unchanged: true };
  post.pages = written.pages.map((p) => newPageRecord(newPageId(), p.type, p.content));
  post.status = 'outlined';
  addUsage(post, written);
  post.estimate = estimateFor(post, imagePricing);
  return {
    events: [
      postEvent('outline.completed', { pages: post.pages.map((p, i) => toPageView(post.id, p, i)) }),
      postEvent('post.status', { status: 'outlined' }),
    ],
  };
}

/** Starts the images of an auto-generating post whose pages have never been queued (idempotent). */
async function autoGenerate(post: PostRecord, data: OutlineJobData, deps: OutlineDeps): Promise<boolean> {
  if (!post.autoGenerate || post.pages.some((p) => p.image.lastVersion > 0)) return false;
  try {
    await startGeneration(deps, post.id, undefined, data.requestId);
  } catch (err) {
    if (!(err instanceof BudgetExceededError)) throw err;
    // The outline stands; the images wait until the budget allows (the user can generate then).
    await deps.store.update(post.id, (p) => {
      p.error = { code: err.code, message: err.message };
      return {};
    });
    return false;
  }
  return true;
}

function describe(err: unknown): { code: string; message: string } {
  if (err instanceof OutlineParseError || err instanceof ProviderError)
    return { code: err.code, message: err.message };
  return {
    code: 'outline_failed',
    message: 'The outline could not be written because of an internal error.',
  };
}

async function failOutline(
  deps: OutlineDeps,
  postId: string,
  attempt: number,
  error: { code: string; message: string },
  usage: Omit<RawOutline, 'text'>,
) {
  await deps.store.update(postId, (p) => {
    if (p.status !== 'outlining' || p.outlineAttempt !== attempt) return { unchanged: true };
    p.status = 'failed';
    p.error = error;
    addUsage(p, usage);
    return { events: [postEvent('post.status', { status: 'failed' }), postEvent('post.failed', { error })] };
  });
}

/** Records a job that failed for good outside the processor (e.g. stalled too often). Idempotent. */
export async function outlineJobFailed(data: OutlineJobData, err: Error, deps: OutlineDeps): Promise<void> {
  const error =
    err instanceof ProviderError
      ? describe(err)
      : { code: 'outline_failed', message: 'Writing the outline failed repeatedly.' };
  await failOutline(deps, data.postId, data.attempt, error, NO_USAGE);
}

function addUsage(post: PostRecord, usage: Omit<RawOutline, 'text'>): void {
  addTextUsage(post, usage);
}

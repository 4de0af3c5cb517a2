import {
  type Logger,
  markCopyDone,
  markCopyFailed,
  markCopyWriting,
  type PostStore,
  type TextUsage,
  textCost,
} from '@inkpost/core';
import { ProviderError, type TextClient } from '@inkpost/providers';
import type { CopyJobData, PostRecord, ProvidersConfig, TextProviderConfig } from '@inkpost/shared';
import { writeLocalCopy } from '../copy/local-copy.js';
import { CopyParseError, type PostCopy, parseCopy } from '../copy/parse-copy.js';
import { buildCopyPrompt } from '../copy/prompt.js';
import type { JobAttempt } from './generate-outline.js';

export interface CopyDeps {
  store: PostStore;
  textProviders: ProvidersConfig<TextProviderConfig>;
  clientFor: (config: TextProviderConfig) => TextClient | null;
  /** A tenant's own copy prompt template, if it has one. */
  templateFor: (tenant: string) => string | undefined;
  log: Logger;
}

const NO_USAGE: TextUsage = { tokensIn: 0, tokensOut: 0, calls: 0 };

/**
 * `copy.generate`: writes the post's titles, body and tags with its text provider (or the offline writer) and
 * stores them on the post. An attempt that is no longer current is skipped, so a retried job never writes twice.
 */
export async function generateCopy(
  data: CopyJobData,
  attempt: JobAttempt,
  deps: CopyDeps,
): Promise<'written' | 'skipped' | 'failed'> {
  const started = await deps.store
    .update(data.postId, (p) => markCopyWriting(p, data.attempt))
    .catch(() => null);
  const post = started?.post;
  if (!post || post.copyState.attempt !== data.attempt || post.copyState.status !== 'writing')
    return 'skipped';
  const config = deps.textProviders.providers.get(post.textProvider);
  if (!config)
    return fail(
      deps,
      post,
      data,
      { code: 'unknown_provider', message: `Text provider "${post.textProvider}" is not configured.` },
      NO_USAGE,
    );
  const client = deps.clientFor(config);
  const pages = post.pages.map((p) => ({ type: p.type, content: p.content }));
  if (!client) return done(deps, post, data, writeLocalCopy({ topic: post.topic, pages }), NO_USAGE);
  let result: { text: string; tokensIn: number; tokensOut: number };
  try {
    const prompt = buildCopyPrompt({ topic: post.topic, pages, template: deps.templateFor(post.tenant) });
    result = await client.complete({ ...prompt, signal: attempt.signal });
  } catch (err) {
    if (attempt.signal?.aborted) return 'skipped';
    const final =
      !(err instanceof ProviderError && err.retryable) || attempt.attemptsMade + 1 >= attempt.maxAttempts;
    if (!final) throw err;
    const error = err instanceof ProviderError ? { code: err.code, message: err.message } : internalError();
    return fail(deps, post, data, error, { ...NO_USAGE, calls: 1 });
  }
  const cost = {
    amount: textCost(config.pricing, result.tokensIn, result.tokensOut),
    currency: config.pricing?.currency ?? null,
  };
  const usage = { tokensIn: result.tokensIn, tokensOut: result.tokensOut, calls: 1, cost };
  try {
    return done(deps, post, data, parseCopy(result.text), usage);
  } catch (err) {
    if (!(err instanceof CopyParseError)) throw err;
    return fail(deps, post, data, { code: err.code, message: err.message }, usage);
  }
}

function internalError() {
  return { code: 'copy_failed', message: 'The copy could not be written because of an internal error.' };
}

async function done(deps: CopyDeps, post: PostRecord, data: CopyJobData, copy: PostCopy, usage: TextUsage) {
  await deps.store.update(post.id, (p) => markCopyDone(p, data.attempt, copy, usage));
  return 'written' as const;
}

async function fail(
  deps: CopyDeps,
  post: PostRecord,
  data: CopyJobData,
  error: { code: string; message: string },
  usage: TextUsage,
) {
  await deps.store.update(post.id, (p) => markCopyFailed(p, data.attempt, error, usage));
  return 'failed' as const;
}

/** Records a copy job that failed for good outside the processor. Idempotent. */
export async function copyJobFailed(data: CopyJobData, deps: Pick<CopyDeps, 'store'>): Promise<void> {
  await deps.store
    .update(data.postId, (p) => markCopyFailed(p, data.attempt, internalError(), NO_USAGE))
    .catch(() => {});
}

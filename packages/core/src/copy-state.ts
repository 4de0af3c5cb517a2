import { type Copy, type ErrorInfo, type PostRecord, postEvent } from '@inkpost/shared';
import { PostStateError } from './generation.js';
import type { MutationResult } from './post-store.js';
import { addCost } from './usage.js';

/** Asks for copy: a new attempt unless one is already queued or being written (no double spend). */
export function requestCopy(post: PostRecord): MutationResult<{ attempt: number; queued: boolean }> {
  if (post.pages.length === 0) {
    throw new PostStateError('no_outline', 'The post has no outline yet; copy is written from its pages.');
  }
  const state = post.copyState;
  if (state.status === 'queued' || state.status === 'writing') {
    return { unchanged: true, value: { attempt: state.attempt, queued: false } };
  }
  post.copyState = { status: 'queued', attempt: state.attempt + 1, error: null };
  return { value: { attempt: post.copyState.attempt, queued: true } };
}

export function markCopyWriting(post: PostRecord, attempt: number): MutationResult<boolean> {
  if (post.copyState.attempt !== attempt) return { unchanged: true, value: false };
  // A retry of the same attempt finds it already writing and goes on.
  if (post.copyState.status === 'writing') return { unchanged: true, value: true };
  if (post.copyState.status !== 'queued') return { unchanged: true, value: false };
  post.copyState = { ...post.copyState, status: 'writing' };
  return { value: true };
}

export interface TextUsage {
  tokensIn: number;
  tokensOut: number;
  calls: number;
  cost?: { amount: number | null; currency: string | null };
}

/** Adds a text call's tokens, calls and cost to the post's usage. */
export function addTextUsage(post: PostRecord, usage: TextUsage): void {
  post.usage.textTokensIn += usage.tokensIn;
  post.usage.textTokensOut += usage.tokensOut;
  post.usage.providerCalls += usage.calls;
  if (usage.cost) addCost(post, usage.cost.amount, usage.cost.currency);
}

/** Stores the copy of an attempt still current. */
export function markCopyDone(
  post: PostRecord,
  attempt: number,
  copy: Copy,
  usage: TextUsage,
): MutationResult<boolean> {
  if (post.copyState.attempt !== attempt || post.copyState.status === 'completed')
    return { unchanged: true, value: false };
  post.copy = copy;
  post.copyState = { status: 'completed', attempt, error: null };
  addTextUsage(post, usage);
  return { events: [postEvent('copy.completed', { copy })], value: true };
}

export function markCopyFailed(
  post: PostRecord,
  attempt: number,
  error: ErrorInfo,
  usage: TextUsage,
): MutationResult<boolean> {
  if (post.copyState.attempt !== attempt || post.copyState.status === 'completed')
    return { unchanged: true, value: false };
  if (post.copyState.status === 'failed') return { unchanged: true, value: false };
  post.copyState = { status: 'failed', attempt, error };
  addTextUsage(post, usage);
  return { events: [postEvent('copy.failed', { error })], value: true };
}

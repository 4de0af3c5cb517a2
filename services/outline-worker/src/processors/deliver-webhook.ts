import {
  assertPublicUrl,
  type Logger,
  type PostStore,
  signWebhook,
  type WebhookJobData,
  WebhookUrlError,
  webhookBody,
} from '@inkpost/core';
import { toPostView } from '@inkpost/shared';
import { UnrecoverableError } from 'bullmq';
import { FORBIDDEN_AT_CONNECT, publicOnlyFetch } from './pinned-fetch.js';

export interface WebhookDeps {
  store: PostStore;
  secretFor: (tenant: string) => string;
  /** Lets webhooks reach loopback/private addresses (tests, single-host setups). */
  allowPrivate: boolean;
  timeoutMs: number;
  log: Logger;
  fetch?: typeof fetch;
}

export type WebhookOutcome = 'delivered' | 'gone' | 'skipped';

const USER_AGENT = 'Inkpost-Webhooks/1';
const SNIPPET_CHARS = 200;

/**
 * `webhook.deliver`: POSTs one terminal event with the post as it is now. Throws on anything but 2xx/410 so
 * BullMQ retries with its backoff; each attempt is signed afresh but keeps the delivery id, which is what
 * receivers deduplicate on. A 410 means the receiver wants no more, so it is not retried.
 */
export async function deliverWebhook(
  data: WebhookJobData,
  attempt: { attemptsMade: number; maxAttempts: number },
  deps: WebhookDeps,
): Promise<WebhookOutcome> {
  const post = await deps.store.get(data.postId);
  if (!post) return 'gone';
  // Never send one tenant's post to a URL that was queued for another (a recycled id would be the only way).
  if (post.tenant !== data.tenant) return 'skipped';
  await checkUrl(data.url, deps.allowPrivate);
  const body = webhookBody(data.event, toPostView(post), data.deliveryId);
  const log = deps.log.child({ deliveryId: data.deliveryId, event: data.event.name, host: hostOf(data.url) });
  const started = Date.now();
  const res = await send(data, body, deps);
  const n = `${attempt.attemptsMade + 1}/${attempt.maxAttempts}`;
  return outcomeOf(res, data.url, log.child({ status: res.status, ms: Date.now() - started, attempt: n }));
}

async function outcomeOf(res: Response, url: string, log: Logger): Promise<'delivered' | 'gone'> {
  if (res.ok || res.status === 410) {
    await res.body?.cancel().catch(() => {});
    log.info(res.ok ? 'webhook delivered' : 'webhook receiver answered 410 Gone; not retrying');
    return res.ok ? 'delivered' : 'gone';
  }
  const snippet = await readSnippet(res);
  log.warn({ body: snippet }, 'webhook delivery refused');
  if (res.status >= 300 && res.status < 400) {
    const to = hostOf(res.headers.get('location') ?? '', url);
    throw new Error(`webhook answered ${res.status} (redirect to ${to}); redirects are not followed`);
  }
  throw new Error(`webhook answered ${res.status}: ${snippet}`);
}

async function checkUrl(url: string, allowPrivate: boolean): Promise<void> {
  try {
    await assertPublicUrl(url, { allowPrivate });
  } catch (err) {
    // A refused scheme or address stays refused on every retry; a failed DNS lookup may recover, so it retries.
    if (err instanceof WebhookUrlError && err.code !== 'unresolvable')
      throw new UnrecoverableError(err.message);
    throw err;
  }
}

async function send(data: WebhookJobData, body: string, deps: WebhookDeps): Promise<Response> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = signWebhook(deps.secretFor(data.tenant), body, timestamp);
  try {
    // Without private addresses allowed, connections are pinned to checked addresses (no rebinding after the check).
    const post = deps.fetch ?? (deps.allowPrivate ? fetch : publicOnlyFetch);
    return await post(data.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'Inkpost-Delivery': data.deliveryId,
        'Inkpost-Event': data.event.name,
        'Inkpost-Signature': signature,
      },
      body,
      // A redirect could point anywhere, including addresses assertPublicUrl would refuse: treat it as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') throw new Error(`webhook timed out after ${deps.timeoutMs} ms`);
    if (e.cause?.code === FORBIDDEN_AT_CONNECT)
      throw new UnrecoverableError(`webhook refused: ${e.cause.message}`);
    throw new Error(`webhook request failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
  }
}

/** The start of a refusal's body, for the error and the log, without reading an arbitrarily large answer. */
async function readSnippet(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < SNIPPET_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut short by the timeout or the peer still leaves the status to report.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, SNIPPET_CHARS).trim();
}

/** Only the host goes to the logs: a webhook URL's path or query often carries the receiver's own token. */
function hostOf(url: string, base?: string): string {
  try {
    return new URL(url, base).host;
  } catch {
    return '<invalid url>';
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import {
  type PostRecord,
  type PostView,
  type StoredEvent,
  WEBHOOK_EVENTS,
  type WebhookEventName,
  type WebhookJobData,
} from '@inkpost/shared';

export { WEBHOOK_EVENTS, type WebhookEventName, WebhookJobData } from '@inkpost/shared';

/** Whether events of this name are delivered to webhooks (and so enter the webhook outbox when committed). */
export function isWebhookEventName(name: string): name is WebhookEventName {
  return (WEBHOOK_EVENTS as readonly string[]).includes(name);
}

export function isWebhookEvent(
  event: StoredEvent,
): event is Extract<StoredEvent, { name: WebhookEventName }> {
  return isWebhookEventName(event.name);
}

/**
 * The delivery id of one event of one post. Deterministic so that enqueueing the same event twice is a no-op in
 * BullMQ and every attempt carries the same `Inkpost-Delivery`; BullMQ refuses ':' in custom ids, so anything
 * outside [A-Za-z0-9_-] becomes '_' (post ids and stream ids like `1700000000000-0` never need it).
 */
export function webhookDeliveryId(postId: string, eventId: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return `whd_${safe(postId)}_${safe(eventId)}`;
}

/** The job for one terminal event of a post, or null when the post has no webhook or the event is not sent. */
export function webhookJobFor(
  post: PostRecord,
  event: StoredEvent,
  url: string | null,
  requestId?: string,
): WebhookJobData | null {
  if (!url || !isWebhookEvent(event)) return null;
  return {
    deliveryId: webhookDeliveryId(post.id, event.id),
    postId: post.id,
    tenant: post.tenant,
    url,
    event: { id: event.id, name: event.name, data: event.data },
    ...(requestId ? { requestId } : {}),
  };
}

/** The signing secret of a tenant: its own when configured, else the deployment's WEBHOOK_SECRET. */
export function webhookSecretFor(tenant: string, secrets: Map<string, string>, fallback: string): string {
  const secret = secrets.get(tenant) || fallback;
  // An empty key would still produce a valid-looking HMAC that anyone can forge, so refuse to sign with it.
  if (!secret)
    throw new Error(`No webhook signing secret is configured for tenant "${tenant}" (WEBHOOK_SECRET).`);
  return secret;
}

function hmacHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The `Inkpost-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const t = Math.trunc(timestamp);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/**
 * Checks an `Inkpost-Signature` the way a receiver should: the timestamp must be within `toleranceSeconds` of now
 * (a captured request cannot be replayed later) and one `v1` must match in constant time. Several `v1` entries are
 * accepted so a sender can sign with an old and a new secret while rotating.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string,
  toleranceSeconds = 300,
  now: number = Math.floor(Date.now() / 1000),
): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  if (!t || !/^\d{1,12}$/.test(t)) return false;
  const timestamp = Number(t);
  if (Math.abs(now - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  return parts.some(
    ([k, v]) =>
      k === 'v1' &&
      v !== undefined &&
      /^[0-9a-f]{64}$/i.test(v) &&
      timingSafeEqual(Buffer.from(v, 'hex'), expected),
  );
}

/** When an event happened: stream ids start with the millisecond they were appended at. */
function eventTime(eventId: string): string {
  const ms = Number(/^(\d+)-\d+$/.exec(eventId)?.[1]);
  return new Date(Number.isFinite(ms) ? ms : Date.now()).toISOString();
}

/** The JSON body of a delivery: the event as it happened and the post as it is now. */
export function webhookBody(event: WebhookJobData['event'], post: PostView, deliveryId: string): string {
  return JSON.stringify({
    id: deliveryId,
    type: event.name,
    createdAt: eventTime(event.id),
    event: { id: event.id, name: event.name, data: event.data },
    post,
  });
}

// ---- Where webhooks may go ----

/** Why a webhook URL is refused. `unresolvable` may be temporary (DNS); the others are not. */
export class WebhookUrlError extends Error {
  override readonly name = 'WebhookUrlError';
  constructor(
    readonly code: 'invalid_url' | 'forbidden_address' | 'unresolvable',
    message: string,
  ) {
    super(message);
  }
}

const BLOCKED_RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', '"this network"'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignment'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved/broadcast'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fc00::', 7, 'ipv6', 'unique-local'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

// One BlockList per range so a refusal can say which range matched. BlockList also matches IPv4-mapped IPv6
// addresses (::ffff:10.0.0.1) against the IPv4 ranges.
const BLOCKED = BLOCKED_RANGES.map(([net, prefix, type, label]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, label: `${label} ${net}/${prefix}` };
});

/** The IPv4 address a NAT64 (64:ff9b::/96) address stands for, which a NAT64 gateway would reach. */
function nat64Target(address: string): string | null {
  const normalized = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const m = /^64:ff9b::(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})$/.exec(normalized);
  if (!m) return null;
  const n = (Number.parseInt(m[1] ?? '0', 16) << 16) | Number.parseInt(m[2] ?? '0', 16);
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** The blocked range an IP address falls in, or null for a public address. */
export function forbiddenRange(raw: string): string | null {
  const address = raw.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) only names the interface
  const version = isIP(address);
  if (version === 0) return 'unparseable';
  const type = version === 6 ? 'ipv6' : 'ipv4';
  const hit = BLOCKED.find((b) => b.list.check(address, type));
  if (hit) return hit.label;
  const embedded = type === 'ipv6' ? nat64Target(address) : null;
  return embedded ? forbiddenRange(embedded) : null;
}

async function systemLookup(host: string): Promise<string[]> {
  const found = await dns.lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/**
 * Refuses a webhook URL that is not http(s) or whose host resolves to a non-public address (loopback, private,
 * link-local incl. 169.254.169.254, CGNAT, multicast, ULA, …), so a tenant cannot make the service call into its
 * own network. Every resolved address must be public: the connection may use any of them.
 */
export async function assertPublicUrl(
  url: string,
  opts: { allowPrivate?: boolean; lookup?: (host: string) => Promise<string[]> } = {},
): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookUrlError('invalid_url', 'The webhook URL is not a valid URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new WebhookUrlError(
      'invalid_url',
      `The webhook URL must use http or https, not ${parsed.protocol}`,
    );
  }
  if (opts.allowPrivate) return;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await (opts.lookup ?? systemLookup)(host);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new WebhookUrlError(
      'unresolvable',
      `The webhook host "${host}" could not be resolved (${reason}).`,
    );
  }
  if (addresses.length === 0) {
    throw new WebhookUrlError('unresolvable', `The webhook host "${host}" has no addresses.`);
  }
  for (const address of addresses) {
    const range = forbiddenRange(address);
    if (range) {
      throw new WebhookUrlError(
        'forbidden_address',
        `The webhook host "${host}" resolves to ${address}, a ${range} address; webhooks must go to a public address.`,
      );
    }
  }
}

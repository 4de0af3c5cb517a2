import { assertPublicUrl, WebhookUrlError } from '@inkpost/core';
import { sniffImageMime } from '@inkpost/shared';
import { ProviderError } from '../errors.js';
import { providerFetch } from '../http.js';
import type { RenderedImage } from './types.js';

/** What an image provider's follow-up calls (downloads) need to know. */
export interface ImageCallContext {
  provider: string;
  apiKey: string | null;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The provider's own host (`host:port`): its image URLs may be private, operators run relays on their network. */
  trustedHost?: string | null;
  /** `allow_private_urls: true` in the provider config: downloads may go to any address. */
  allowPrivate?: boolean;
}

// A page image is a few MB at most; anything far larger is not what we asked for.
const MAX_IMAGE_BYTES = 40 * 1024 * 1024;

const badResponse = (message: string) =>
  new ProviderError(message, { code: 'provider_bad_response', retryable: true });

/** The image of an answer, checked to be a complete image of a known type. */
export function checkedImage(provider: string, bytes: Buffer, model: string | null): RenderedImage {
  const mimeType = sniffImageMime(bytes);
  if (!mimeType) throw badResponse(`${provider} answered with data that is not an image`);
  if (!looksComplete(bytes, mimeType)) throw badResponse(`${provider} answered with a truncated image`);
  return { bytes, mimeType, model };
}

/**
 * False when an image visibly stops early: its format's end marker (PNG IEND, JPEG EOI, GIF trailer) is missing
 * from the last bytes, or a WebP is shorter than its RIFF header says. A cut-off download has the right magic
 * number, so sniffing the type alone would accept it.
 */
export function looksComplete(bytes: Buffer, mimeType: string): boolean {
  const tail = bytes.subarray(-32);
  switch (mimeType) {
    case 'image/png':
      return tail.includes('IEND', 0, 'latin1');
    case 'image/jpeg':
      return tail.includes(Buffer.from([0xff, 0xd9]));
    case 'image/gif':
      return tail.includes(0x3b);
    case 'image/webp':
      return bytes.length >= 12 && bytes.readUInt32LE(4) + 8 <= bytes.length;
    default:
      return true;
  }
}

/** Base64 image data, with or without a `data:…;base64,` prefix. */
export function decodeBase64Image(data: string): Buffer {
  return Buffer.from(data.replace(/^data:[^,]*,/, ''), 'base64');
}

/**
 * The bytes behind an image URL a model answered: a data URL is decoded, an http(s) URL downloaded (with the
 * provider's timeout and a size limit, and without the API key, which must not go to whatever host it names).
 */
/**
 * A provider's answer names the URL the worker downloads; it must not point the worker at its own network
 * (metadata endpoints, admin panels): only public addresses, or the provider's own host.
 */
async function assertDownloadAllowed(ctx: ImageCallContext, url: string): Promise<void> {
  if (ctx.allowPrivate || (ctx.trustedHost && new URL(url).host === ctx.trustedHost)) return;
  try {
    await assertPublicUrl(url);
  } catch (err) {
    if (!(err instanceof WebhookUrlError)) throw err;
    throw new ProviderError(
      `${ctx.provider} answered an image URL on a private address, which is not fetched`,
      {
        code: 'provider_bad_response',
        retryable: false,
      },
    );
  }
}

export async function imageFromUrl(ctx: ImageCallContext, url: string): Promise<Buffer> {
  if (/^data:/i.test(url)) {
    if (!/^data:[^,]*;base64,/i.test(url))
      throw badResponse(`${ctx.provider} answered a data URL that is not base64`);
    return decodeBase64Image(url);
  }
  if (!/^https?:\/\//i.test(url))
    throw badResponse(`${ctx.provider} answered an image URL it is not possible to fetch`);
  await assertDownloadAllowed(ctx, url);
  const res = await providerFetch({
    provider: ctx.provider,
    url,
    method: 'GET',
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    secrets: [ctx.apiKey],
    maxBytes: MAX_IMAGE_BYTES,
  });
  return res.body;
}

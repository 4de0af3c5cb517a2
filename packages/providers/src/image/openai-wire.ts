import { extensionForMime, type ImageProviderConfig } from '@inkpost/shared';
import type { ConnectionTestResult } from '../connection.js';
import { ProviderError } from '../errors.js';
import {
  formValue,
  type HttpCall,
  mergeBody,
  parseJsonAnswer,
  providerFetch,
  providerJson,
} from '../http.js';
import { listModels } from '../models.js';
import { decodeBase64Image, type ImageCallContext, imageFromUrl } from './answer.js';
import { b64JsonImage } from './b64-json.js';
import type { ImageReference } from './types.js';

/** The context of one call of an OpenAI-style image provider. */
export function callContext(config: ImageProviderConfig, signal?: AbortSignal): ImageCallContext {
  const trustedHost = config.endpointUrl ? new URL(config.endpointUrl).host : null;
  const allowPrivate = config.raw.allow_private_urls === true;
  return {
    provider: config.name,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs,
    signal,
    trustedHost,
    allowPrivate,
  };
}

/** Another endpoint of the same service: `…/v1/images/edits` → `…/v1/models`, keeping the service's prefix. */
export function siblingEndpoint(endpointUrl: string, path: string): string {
  return endpointUrl.replace(/\/(images\/generations|images\/edits|chat\/completions)\/?$/, path);
}

/** A JSON body: our fields with `extra_body` merged over them. */
export function jsonBody(fields: Record<string, unknown>, extra: Record<string, unknown>): string {
  return JSON.stringify(mergeBody(fields, extra));
}

/** An edits request: the fields (`extra_body` included) as form fields, the references as `image[]` files. */
export function editsForm(
  fields: Record<string, unknown>,
  extra: Record<string, unknown>,
  references: ImageReference[],
): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...fields, ...extra })) {
    if (v !== null && v !== undefined) form.append(k, formValue(v));
  }
  references.forEach((ref, i) => {
    const name = `${ref.role}-${i}.${extensionForMime(ref.mimeType)}`;
    form.append('image[]', new Blob([new Uint8Array(ref.bytes)], { type: ref.mimeType }), name);
  });
  return form;
}

/** A POST to an OpenAI-style endpoint with the bearer key. */
function openAiCall(ctx: ImageCallContext, url: string, body: string | FormData): HttpCall {
  const headers: Record<string, string> = { authorization: `Bearer ${ctx.apiKey}` };
  // fetch sets the multipart content type itself, boundary included.
  if (typeof body === 'string') headers['content-type'] = 'application/json';
  return {
    provider: ctx.provider,
    url,
    headers,
    body,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    secrets: [ctx.apiKey],
  };
}

/** POSTs to an OpenAI-style endpoint with the bearer key; the parsed JSON answer. */
export function postOpenAi(ctx: ImageCallContext, url: string, body: string | FormData): Promise<unknown> {
  return providerJson(openAiCall(ctx, url, body));
}

/** POSTs to an images-API endpoint (generations or edits); the image it answered. */
export async function postImagesApi(
  ctx: ImageCallContext,
  url: string,
  body: string | FormData,
): Promise<Buffer> {
  const res = await providerFetch(openAiCall(ctx, url, body));
  return imageFromImagesApi(ctx, res.body);
}

/**
 * The image of an images-API answer: `data[0].b64_json` (decoded from the body's bytes when it can be, see
 * `b64JsonImage`), or `data[0].url` downloaded.
 */
export async function imageFromImagesApi(ctx: ImageCallContext, body: Buffer): Promise<Buffer> {
  const decoded = b64JsonImage(body);
  if (decoded) return decoded;
  const answer = parseJsonAnswer(ctx.provider, body);
  const item = (answer as { data?: { b64_json?: unknown; url?: unknown }[] })?.data?.[0];
  if (typeof item?.b64_json === 'string' && item.b64_json.length > 0) return decodeBase64Image(item.b64_json);
  if (typeof item?.url === 'string' && /^(https?:|data:)/i.test(item.url)) return imageFromUrl(ctx, item.url);
  throw new ProviderError(`${ctx.provider} answered without an image (no data[0].b64_json or url)`, {
    code: 'provider_bad_response',
    retryable: true,
  });
}

/** The connection test of an OpenAI-style image provider: `GET <base>/v1/models`. */
export function testOpenAiImages(
  config: ImageProviderConfig,
  signal?: AbortSignal,
): Promise<ConnectionTestResult> {
  return listModels({
    provider: config.name,
    url: siblingEndpoint(config.endpointUrl!, '/models'),
    apiKey: config.apiKey,
    model: config.model!,
    timeoutMs: Math.min(config.timeoutMs, 30_000),
    signal,
  });
}

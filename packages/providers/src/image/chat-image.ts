import type { ImageProviderConfig } from '@inkpost/shared';
import { looksLikeRefusal, quoteModelText, scrubbedError } from '../errors.js';
import { checkedImage, imageFromUrl } from './answer.js';
import { callContext, jsonBody, postOpenAi } from './openai-wire.js';
import type { RenderedImage, RenderRequest } from './types.js';

interface ChatMessage {
  content?: unknown;
  images?: unknown;
  refusal?: unknown;
}

/** Where a chat answer keeps its image (a data or http(s) URL), and the words that came with it. */
export interface ChatImage {
  url: string | null;
  text: string;
}

const DATA_URL = /data:image\/[A-Za-z0-9.+-]+;base64,[A-Za-z0-9+/=]+/;
const MARKDOWN_IMAGE =
  /!\[[^\]]*\]\(\s*<?((?:https?:\/\/|data:image\/)[^\s)>]+)>?(?:\s+["'][^"']*["'])?\s*\)/i;
const BARE_URL = /https?:\/\/[^\s<>"'`()[\]]+/gi;
const IMAGE_PATH = /\.(?:png|jpe?g|webp|gif)$/i;

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

/** `{image_url: {url}}`, `{image_url: url}`, `{url}` or `{b64_json}`: the URL of one image entry. */
function entryUrl(entry: unknown): string | null {
  const e = obj(entry);
  const b64 = str(e.b64_json);
  return (
    str(obj(e.image_url).url) ??
    str(e.image_url) ??
    str(e.url) ??
    (b64 ? `data:image/png;base64,${b64}` : null)
  );
}

/** The first image in free text: a data URL, a markdown image link, or a bare link to an image file. */
function urlInText(text: string): string | null {
  const data = DATA_URL.exec(text)?.[0];
  if (data) return data;
  const markdown = MARKDOWN_IMAGE.exec(text)?.[1];
  if (markdown) return markdown;
  for (const match of text.matchAll(BARE_URL)) {
    const url = match[0].replace(/[.,;:!?。，]+$/, '');
    try {
      if (IMAGE_PATH.test(new URL(url).pathname)) return url;
    } catch {
      // not a URL after all
    }
  }
  return null;
}

/**
 * The image of a chat-completions answer, wherever the service put it: `message.images[]` (OpenRouter), content
 * parts of type `image_url`/`output_image`, or the text itself (data URL, markdown image, bare image link).
 */
export function findChatImage(message: ChatMessage): ChatImage {
  const texts: string[] = [];
  let url: string | null = null;
  if (Array.isArray(message.images)) url = message.images.map(entryUrl).find(Boolean) ?? null;
  if (Array.isArray(message.content)) {
    for (const part of message.content.map(obj)) {
      if (part.type === 'image_url' || part.type === 'output_image' || part.type === 'image') {
        url ??= entryUrl(part);
      }
      const text = str(part.text);
      if (text) texts.push(text);
    }
  } else if (typeof message.content === 'string') {
    texts.push(message.content);
  }
  const text = texts.join('\n');
  url ??= urlInText(text);
  const refusal = str(message.refusal);
  return { url, text: refusal ? [refusal, text].filter(Boolean).join(' ') : text };
}

/** The request body of a chat-completions image call: the prompt, then the references as data-URL parts. */
function chatBody(config: ImageProviderConfig, prompt: string, req: RenderRequest): string {
  const content = [
    { type: 'text', text: prompt },
    ...req.references.map((ref) => ({
      type: 'image_url',
      image_url: { url: `data:${ref.mimeType};base64,${ref.bytes.toString('base64')}` },
    })),
  ];
  const fields: Record<string, unknown> = { model: config.model, messages: [{ role: 'user', content }] };
  if (config.responseFormat) fields.response_format = config.responseFormat;
  return jsonBody(fields, config.extraBody);
}

/** `image_api` with `endpoint_type: …/chat/completions`: image models that answer in a chat message. */
export async function renderWithChat(
  config: ImageProviderConfig,
  prompt: string,
  req: RenderRequest,
): Promise<RenderedImage> {
  const ctx = callContext(config, req.signal);
  const answer = await postOpenAi(ctx, config.endpointUrl!, chatBody(config, prompt, req));
  const choice = obj((answer as { choices?: unknown[] })?.choices?.[0]);
  const message = obj(choice.message);
  const found = findChatImage(message);
  if (found.url) return checkedImage(config.name, await imageFromUrl(ctx, found.url), config.model);
  const quote = quoteModelText(found.text);
  const secrets = [config.apiKey];
  // A model that declines says so in words (or the service flags it); drawing the same page again would not help.
  if (choice.finish_reason === 'content_filter' || str(message.refusal) || looksLikeRefusal(found.text)) {
    throw scrubbedError(`${config.name} declined to draw this page: "${quote}"`, secrets, {
      code: 'content_policy',
      retryable: false,
    });
  }
  const said = quote ? `; it said: "${quote}"` : ' (the message was empty)';
  throw scrubbedError(`${config.name} answered without an image${said}`, secrets, {
    code: 'provider_bad_response',
    retryable: true,
  });
}

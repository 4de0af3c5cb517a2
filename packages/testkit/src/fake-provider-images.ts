/**
 * Where a chat-completions image model puts its image: in the text as a data URL, as a markdown image link, as a
 * bare link, in `message.images[]` (OpenRouter), as `image_url` content parts, or nowhere (`text-only`).
 */
export type ChatImageShape =
  | 'data-url'
  | 'markdown'
  | 'bare-url'
  | 'images-array'
  | 'content-parts'
  | 'text-only';

export const CHAT_IMAGE_SHAPES: readonly ChatImageShape[] = [
  'data-url',
  'markdown',
  'bare-url',
  'images-array',
  'content-parts',
  'text-only',
];

/** What a `text-only` answer says unless told otherwise: a chatty non-answer, not a refusal. */
export const DEFAULT_TEXT_ONLY =
  'Here is a description of the page: a warm breakfast table with oat yoghurt cups, soft morning light.';

/** The refusal a `policy` behaviour answers on chat completions, in OpenAI's `refusal` field and the text. */
export const CHAT_REFUSAL = "I'm sorry, but I can't help with creating that image.";

/** The assistant message of a chat image answer. `fileUrl` is where the fake serves the same PNG. */
export function chatImageMessage(
  shape: ChatImageShape,
  png: Buffer,
  fileUrl: () => string,
  text?: string,
): { role: 'assistant'; content: unknown; images?: object[]; refusal: null } {
  const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
  switch (shape) {
    case 'data-url':
      return { role: 'assistant', content: `${text ?? 'Here is your page:'}\n\n${dataUrl}`, refusal: null };
    case 'markdown':
      return { role: 'assistant', content: `${text ?? 'Done!'}\n\n![page](${fileUrl()})`, refusal: null };
    case 'bare-url':
      return { role: 'assistant', content: `${text ?? 'Your image is ready:'} ${fileUrl()}`, refusal: null };
    case 'images-array':
      return {
        role: 'assistant',
        content: text ?? 'Here is your page.',
        images: [{ type: 'image_url', image_url: { url: dataUrl } }],
        refusal: null,
      };
    case 'content-parts':
      return {
        role: 'assistant',
        content: [
          { type: 'text', text: text ?? 'Here is your page.' },
          { type: 'image_url', image_url: { url: dataUrl } },
        ],
        refusal: null,
      };
    case 'text-only':
      return { role: 'assistant', content: text ?? DEFAULT_TEXT_ONLY, refusal: null };
  }
}

/** The models `GET /v1/models` lists unless the fake is started with its own list. */
export const DEFAULT_MODELS: readonly string[] = [
  'gpt-4o-mini',
  'gpt-image-1',
  'dall-e-3',
  'qwen3-14b',
  'deepseek-chat',
];

/** `GET /v1/models` in OpenAI's list shape. */
export function modelList(models: readonly string[]): object {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake-provider' })),
  };
}

/** OpenAI's images-API refusal: 400 with code content_policy_violation. */
export function imagePolicyError(): object {
  return {
    error: {
      message:
        'Your request was rejected as a result of our safety system. Your request may contain content that is not allowed by our safety system.',
      type: 'image_generation_user_error',
      param: null,
      code: 'content_policy_violation',
    },
  };
}

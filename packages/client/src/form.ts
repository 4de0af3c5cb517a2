import type { CreatePostInput, ImageFile } from './types.js';

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

function toBlob(image: ImageFile): { blob: Blob; filename: string } {
  if (image instanceof Blob) {
    const name = (image as { name?: unknown }).name;
    return { blob: image, filename: typeof name === 'string' && name ? name : 'image' };
  }
  // Copied into a fresh buffer: a view into a larger (or shared) buffer is not a valid Blob part everywhere.
  const blob = new Blob([new Uint8Array(image.bytes)], { type: image.mimeType });
  return { blob, filename: image.filename ?? `image.${EXTENSIONS[image.mimeType] ?? 'bin'}` };
}

/**
 * `POST /v1/posts` as multipart/form-data: files under `images`, and every other field as text. The API
 * parses non-string fields (pages, autoGenerate, pageCount) as JSON, so those are sent JSON-encoded. Files
 * replace any base64 `referenceImages` in the body.
 */
export function createPostForm(input: CreatePostInput, images: readonly ImageFile[]): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || key === 'referenceImages') continue;
    form.append(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  for (const image of images) {
    const { blob, filename } = toBlob(image);
    form.append('images', blob, filename);
  }
  return form;
}

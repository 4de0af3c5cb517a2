import type { Storage } from '@inkpost/core';
import {
  extensionForMime,
  LIMITS,
  type ReferenceImageRecord,
  sniffImageMime,
  storageKeys,
} from '@inkpost/shared';
import { imageSize } from 'image-size';
import { HttpError } from './errors.js';

export interface ReferenceImageUpload {
  data: string;
  mimeType: string;
}

/**
 * Decodes and checks reference images, then stores them under the post. The type is read from the bytes, not
 * taken from the client's word.
 */
export async function storeReferenceImages(
  storage: Storage,
  postId: string,
  uploads: ReferenceImageUpload[],
  maxPixels: number,
): Promise<ReferenceImageRecord[]> {
  const decoded = uploads.map((u, i) => decode(u, i, maxPixels));
  return Promise.all(
    decoded.map(async ({ bytes, mimeType }, n) => {
      const key = storageKeys.referenceImage(postId, n, extensionForMime(mimeType));
      await storage.put(key, bytes, mimeType);
      return { key, mimeType };
    }),
  );
}

/**
 * Width and height from the image header (no decoding), so a decompression bomb or a huge canvas is refused before
 * any model or library tries to open it.
 */
function checkDimensions(bytes: Buffer, where: string, maxPixels: number): void {
  let size: { width?: number; height?: number };
  try {
    // A copy alone in its own memory: image-size reads through the Buffer's whole ArrayBuffer, and a small Buffer
    // shares Node's 8 KB pool with other allocations, so a truncated header was "completed" with unrelated bytes
    // (echoed back below as the image's size). Alone, reading past the end throws: an unreadable header.
    size = imageSize(new Uint8Array(bytes));
  } catch {
    throw new HttpError(400, 'invalid_image', `${where}: the image header cannot be read.`);
  }
  const { width = 0, height = 0 } = size;
  if (width <= 0 || height <= 0)
    throw new HttpError(400, 'invalid_image', `${where}: the image has no size.`);
  if (width * height > maxPixels || width > 20_000 || height > 20_000) {
    throw new HttpError(
      400,
      'image_too_large',
      `${where}: ${width}×${height} is too large; at most ${Math.floor(maxPixels / 1e6)} megapixels and 20000 px a side.`,
    );
  }
}

function decode(
  upload: ReferenceImageUpload,
  index: number,
  maxPixels: number,
): { bytes: Buffer; mimeType: string } {
  const base64 = upload.data.replace(/^data:[^,]*;base64,/, '');
  const bytes = Buffer.from(base64, 'base64');
  const where = `referenceImages.${index}`;
  if (bytes.length === 0)
    throw new HttpError(400, 'invalid_image', `${where}: the image data is empty or not base64.`);
  if (bytes.length > LIMITS.referenceImageBytes) {
    throw new HttpError(
      413,
      'image_too_large',
      `${where}: images may be at most ${LIMITS.referenceImageBytes / 1024 / 1024} MB.`,
    );
  }
  const mimeType = sniffImageMime(bytes);
  if (!mimeType)
    throw new HttpError(400, 'invalid_image', `${where}: the data is not a PNG, JPEG, WebP or GIF image.`);
  checkDimensions(bytes, where, maxPixels);
  return { bytes, mimeType };
}

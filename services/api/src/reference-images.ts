import type { Storage } from '@inkpost/core';
import {
  extensionForMime,
  LIMITS,
  type ReferenceImageRecord,
  sniffImageMime,
  storageKeys,
} from '@inkpost/shared';
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
): Promise<ReferenceImageRecord[]> {
  const decoded = uploads.map((u, i) => decode(u, i));
  return Promise.all(
    decoded.map(async ({ bytes, mimeType }, n) => {
      const key = storageKeys.referenceImage(postId, n, extensionForMime(mimeType));
      await storage.put(key, bytes, mimeType);
      return { key, mimeType };
    }),
  );
}

function decode(upload: ReferenceImageUpload, index: number): { bytes: Buffer; mimeType: string } {
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
  return { bytes, mimeType };
}

import sharp from 'sharp';

/** Thumbnail width in px: a cell of a two-column grid on a phone (about 180 pt) at 2× density. */
export const THUMB_WIDTH = 360;

const THUMB_QUALITY = 78;
/**
 * Images come from providers and user uploads, so they are untrusted: a small file can declare a canvas of
 * gigapixels. 100 MP is far above any page we render (4K×4K is 16.7 MP) and rejects such files before decoding.
 */
const MAX_INPUT_PIXELS = 100_000_000;

export interface Thumbnail {
  bytes: Buffer;
  mimeType: 'image/webp';
  width: number;
  height: number;
}

/**
 * A small WebP of a page image for grids and previews: THUMB_WIDTH wide (smaller images keep their size), turned
 * upright from EXIF, without metadata (sharp writes none unless asked). Rejects with an Error when the input is
 * not a decodable image or is too large.
 */
export async function makeThumbnail(image: Buffer): Promise<Thumbnail> {
  try {
    const { data, info } = await sharp(image, {
      // 'error' rather than the stricter default 'warning': generated images often carry harmless warnings
      // (trailing bytes, odd chunks) and a thumbnail should not be lost to them; corrupt pixel data still fails.
      failOn: 'error',
      limitInputPixels: MAX_INPUT_PIXELS,
      autoOrient: true,
    })
      .resize({ width: THUMB_WIDTH, withoutEnlargement: true })
      .webp({ quality: THUMB_QUALITY })
      .toBuffer({ resolveWithObject: true });
    return { bytes: data, mimeType: 'image/webp', width: info.width, height: info.height };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot make a thumbnail: ${message}`, { cause: err });
  }
}

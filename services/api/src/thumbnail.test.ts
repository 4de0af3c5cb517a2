import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeThumbnail, THUMB_WIDTH } from './thumbnail.js';

/** A flat-colour image of the given size and format. */
function solid(width: number, height: number, format: 'png' | 'jpeg' | 'webp'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .toFormat(format)
    .toBuffer();
}

/** Gradients plus noise, losslessly stored: something like a photo that PNG cannot shrink much. */
function photoLike(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const noise = Math.floor(Math.random() * 40);
      pixels[i] = Math.floor((x / width) * 200) + noise;
      pixels[i + 1] = Math.floor((y / height) * 200) + noise;
      pixels[i + 2] = 120 + noise;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A tiny PNG whose header claims width × height: what a decompression bomb looks like to the decoder. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solid(8, 8, 'png'));
  // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC covers type and data (12..29).
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('makeThumbnail', () => {
  it('scales a 1080×1440 PNG to a 360×480 WebP', async () => {
    const thumb = await makeThumbnail(await solid(1080, 1440, 'png'));
    expect(thumb).toMatchObject({ mimeType: 'image/webp', width: THUMB_WIDTH, height: 480 });
    const meta = await sharp(thumb.bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 360, height: 480 });
  });

  it('never enlarges a smaller image', async () => {
    const thumb = await makeThumbnail(await solid(200, 100, 'png'));
    expect([thumb.width, thumb.height]).toEqual([200, 100]);
    const meta = await sharp(thumb.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([200, 100]);
  });

  it.each(['jpeg', 'webp'] as const)('accepts %s input', async (format) => {
    const thumb = await makeThumbnail(await solid(720, 960, format));
    const meta = await sharp(thumb.bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 360, height: 480 });
  });

  it('turns the image upright from EXIF and keeps no metadata', async () => {
    // Stored 400×200 with orientation 6 (rotate 90° clockwise to view): upright it is 200×400.
    const input = await sharp(await solid(400, 200, 'jpeg'))
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const thumb = await makeThumbnail(input);
    expect([thumb.width, thumb.height]).toEqual([200, 400]);
    const meta = await sharp(thumb.bytes).metadata();
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
  });

  it('rejects bytes that are not an image', async () => {
    await expect(makeThumbnail(Buffer.from('definitely not an image'))).rejects.toThrow(Error);
    await expect(makeThumbnail(Buffer.alloc(0))).rejects.toThrow(Error);
  });

  it('rejects an image that declares more pixels than the limit, before decoding it', async () => {
    await expect(makeThumbnail(await pngClaiming(20_000, 20_000))).rejects.toThrow(/pixel limit/);
  });

  it('makes a thumbnail much smaller than a photo-like input', async () => {
    const input = await photoLike(1080, 1440);
    const thumb = await makeThumbnail(input);
    expect(thumb.bytes.length).toBeLessThan(input.length / 20);
  });
});

import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, decodePng, encodePng, isPng, readPngSize } from './png.js';

describe('png', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('encodes a PNG that decodes back to the same pixels', () => {
    const png = encodePng(7, 5, (x, y) => [x * 30, y * 50, 200, x === y ? 128 : 255]);
    expect(isPng(png)).toBe(true);
    expect(readPngSize(png)).toEqual({ width: 7, height: 5 });
    const decoded = decodePng(png)!;
    expect([...decoded.rgba.subarray((2 * 7 + 3) * 4, (2 * 7 + 3) * 4 + 4)]).toEqual([90, 100, 200, 255]);
    expect([...decoded.rgba.subarray((1 * 7 + 1) * 4, (1 * 7 + 1) * 4 + 4)]).toEqual([30, 50, 200, 128]);
  });

  it('rejects truncated, corrupted and non-PNG bytes', () => {
    const png = encodePng(30, 40, () => [1, 2, 3, 255]);
    expect(isPng(png.subarray(0, png.length - 1))).toBe(false);
    expect(isPng(png.subarray(0, 40))).toBe(false);
    const corrupt = Buffer.from(png);
    corrupt[corrupt.length - 20] = (corrupt[corrupt.length - 20] ?? 0) ^ 0xff;
    expect(isPng(corrupt)).toBe(false);
    expect(isPng(Buffer.from('GIF89a'))).toBe(false);
    expect(readPngSize(Buffer.from('not a png at all, really not'))).toBeNull();
    // The header survives truncation, so the size is still readable.
    expect(readPngSize(png.subarray(0, 30))).toEqual({ width: 30, height: 40 });
  });

  it('decodes every row filter type', () => {
    // Hand-built 2×5 RGB image using filters 0..4, as other encoders (e.g. a canvas) produce them.
    const rows = [0, 1, 2, 3, 4].map((filter) => Buffer.from([filter, 10, 20, 30, 1, 2, 3]));
    const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 5, 8, 2, 0, 0, 0]);
    const png = rawPng(ihdr, deflateSync(Buffer.concat(rows)));
    const { rgba } = decodePng(png)!;
    const pixel = (x: number, y: number) => [...rgba.subarray((y * 2 + x) * 4, (y * 2 + x) * 4 + 4)];
    expect(pixel(0, 0)).toEqual([10, 20, 30, 255]);
    expect(pixel(1, 0)).toEqual([1, 2, 3, 255]);
    expect(pixel(1, 1)).toEqual([11, 22, 33, 255]); // sub: left + delta
    expect(pixel(0, 2)).toEqual([20, 40, 60, 255]); // up: above + delta
    expect(pixel(0, 3)).toEqual([20, 40, 60, 255]); // average: floor((0 + 20) / 2) + 10
  });
});

function rawPng(ihdr: Buffer, idat: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

import { deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG chunks use it). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData), 8 + data.length);
  return out;
}

/** Encodes an 8-bit RGBA PNG (filter 0 on every row, which every decoder accepts). */
export function encodePng(
  width: number,
  height: number,
  rgba: (x: number, y: number) => [number, number, number, number],
): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid PNG size ${width}x${height}`);
  }
  const stride = width * 4 + 1;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = rgba(x, y);
      const at = y * stride + 1 + x * 4;
      for (let i = 0; i < 4; i++) raw[at + i] = Math.max(0, Math.min(255, Math.round(px[i] ?? 0)));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The size from the IHDR chunk, or null when the bytes do not start like a PNG. */
export function readPngSize(buf: Buffer): { width: number; height: number } | null {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(SIGNATURE)) return null;
  if (buf.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

interface Chunk {
  type: string;
  data: Buffer;
}

/** Every chunk with a valid CRC up to IEND, or null when the file is truncated or corrupt. */
function readChunks(buf: Buffer): Chunk[] | null {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) return null;
  const chunks: Chunk[] = [];
  let at = 8;
  while (at + 12 <= buf.length) {
    const length = buf.readUInt32BE(at);
    const end = at + 12 + length;
    if (end > buf.length) return null;
    const typeAndData = buf.subarray(at + 4, at + 8 + length);
    if (crc32(typeAndData) !== buf.readUInt32BE(at + 8 + length)) return null;
    const type = typeAndData.toString('latin1', 0, 4);
    chunks.push({ type, data: typeAndData.subarray(4) });
    at = end;
    if (type === 'IEND') return chunks[0]?.type === 'IHDR' ? chunks : null;
  }
  return null;
}

/**
 * True when the bytes are a complete PNG: signature, IHDR first, every chunk CRC valid, and IEND present. A
 * truncated download fails this even though its first bytes look right.
 */
export function isPng(buf: Buffer): boolean {
  return readChunks(buf) !== null;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

function predict(filter: number | undefined, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4:
      return paeth(a, b, c);
    default:
      return -1;
  }
}

function unfilter(raw: Buffer, width: number, height: number, bpp: number): Buffer | null {
  const stride = width * bpp;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[row + i - bpp]! : 0;
      const b = y > 0 ? out[row - stride + i]! : 0;
      const c = y > 0 && i >= bpp ? out[row - stride + i - bpp]! : 0;
      const predictor = predict(filter, a, b, c);
      if (predictor < 0) return null;
      out[row + i] = ((line[i] ?? 0) + predictor) & 0xff;
    }
  }
  return out;
}

/**
 * Decodes a non-interlaced 8-bit RGB or RGBA PNG into RGBA pixels (enough to read back images the fake provider
 * made, even after they were re-encoded by a canvas); null for anything else.
 */
export function decodePng(buf: Buffer): { width: number; height: number; rgba: Buffer } | null {
  const chunks = readChunks(buf);
  const ihdr = chunks?.[0]?.data;
  if (!chunks || !ihdr) return null;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const [depth, colourType, , , interlace] = ihdr.subarray(8);
  const bpp = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  if (depth !== 8 || bpp === 0 || interlace !== 0) return null;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  } catch {
    return null;
  }
  if (raw.length < (width * bpp + 1) * height) return null;
  const pixels = unfilter(raw, width, height, bpp);
  if (!pixels) return null;
  if (bpp === 4) return { width, height, rgba: pixels };
  const rgba = Buffer.alloc(width * height * 4, 0xff);
  for (let i = 0; i < width * height; i++) pixels.copy(rgba, i * 4, i * 3, i * 3 + 3);
  return { width, height, rgba };
}

import type { PostView } from '@inkpost/shared';
import { decompressionBombPng, encodePng, hugeGif, hugeJpeg, hugeWebp } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../harness.js';
import { isErrorShape, rawRequest } from './support.js';

/** A PNG that is only a signature and an IHDR claiming `width`×`height`. */
function pngHeader(width: number, height: number): Buffer {
  const png = encodePng(1, 1, () => [0, 0, 0, 255]);
  const out = Buffer.from(png.subarray(0, 33));
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  return out;
}

function multipart(files: { bytes: Buffer; type: string; name?: string }[]): { type: string; body: Buffer } {
  const boundary = 'refimgboundary';
  const parts = files.map((f, i) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="${f.name ?? `f${i}.png`}"\r\n` +
          `Content-Type: ${f.type}\r\n\r\n`,
      ),
      f.bytes,
      Buffer.from('\r\n'),
    ]),
  );
  const topic = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="topic"\r\n\r\nRefs\r\n`);
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    body: Buffer.concat([topic, ...parts, Buffer.from(`--${boundary}--\r\n`)]),
  };
}

describe('reference images: non-images, decompression bombs and huge canvases are refused before decoding', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ workers: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function refuse(bytes: Buffer, mimeType: string, expected: [number, string]) {
    const res = await stack.request('POST', '/v1/posts', {
      topic: 'Refs',
      referenceImages: [{ data: bytes.toString('base64'), mimeType }],
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    return { got: [res.status, body.error?.code], expected, message: body.error?.message };
  }

  it('refuses what is not an image, whatever type the client claims', async () => {
    const notImages: [string, Buffer][] = [
      ['text', Buffer.from('just some text')],
      ['html', Buffer.from('<!doctype html><script>alert(1)</script>')],
      ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')],
      ['pdf', Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF')],
      ['zip', Buffer.from('PK\u0003\u0004\u0014\u0000\u0000\u0000')],
      ['elf', Buffer.from('\u007fELF\u0002\u0001\u0001\u0000')],
      ['json', Buffer.from('{"a":1}')],
      ['png signature only', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
      ['gif signature only', Buffer.from('GIF89a')],
      ['jpeg start only', Buffer.from([0xff, 0xd8, 0xff])],
    ];
    for (const [what, bytes] of notImages) {
      for (const mimeType of ['image/png', 'image/jpeg', 'image/gif', 'image/webp']) {
        const { got, message } = await refuse(bytes, mimeType, [400, 'invalid_image']);
        expect([what, mimeType, ...got]).toEqual([what, mimeType, 400, 'invalid_image']);
        expect(message).toMatch(/referenceImages\.0/);
      }
    }
    const notBase64 = await stack.request('POST', '/v1/posts', {
      topic: 'Refs',
      referenceImages: [{ data: '!!!!', mimeType: 'image/png' }],
    });
    expect(notBase64.status).toBe(400);
  });

  it('refuses decompression bombs and huge canvases from their headers, without decoding them', async () => {
    const bomb = decompressionBombPng(20_000, 20_000);
    // Tiny on the wire, 400 megapixels (1.6 GB as RGBA) if anything decoded it.
    expect(bomb.length).toBeLessThan(200_000);
    const cases: [string, Buffer, string][] = [
      ['20000×20000 1-bit PNG bomb', bomb, 'image/png'],
      [
        '19999×19999 1-bit PNG (under the side limit, over the pixel limit)',
        decompressionBombPng(19_999, 19_999),
        'image/png',
      ],
      ['6400×6400 PNG (just over 40 megapixels)', decompressionBombPng(6_400, 6_400), 'image/png'],
      ['100000×1 PNG (one side too long)', decompressionBombPng(100_000, 1), 'image/png'],
      ['PNG header claiming 2^31-1 a side', pngHeader(2 ** 31 - 1, 2 ** 31 - 1), 'image/png'],
      ['GIF claiming 65535×65535', hugeGif(65_535, 65_535), 'image/gif'],
      ['WebP claiming 16384×16384', hugeWebp(16_384, 16_384), 'image/webp'],
      ['JPEG claiming 65535×65535', hugeJpeg(65_535, 65_535), 'image/jpeg'],
    ];
    const rssBefore = process.memoryUsage().rss;
    for (const [what, bytes, mimeType] of cases) {
      const started = performance.now();
      const { got } = await refuse(bytes, mimeType, [400, 'image_too_large']);
      expect([what, ...got]).toEqual([what, 400, 'image_too_large']);
      // Read from the header: no decoder ran (that would take seconds and gigabytes).
      expect(performance.now() - started, what).toBeLessThan(1_000);
    }
    // The API runs in this process: had it decoded a bomb, its memory would have jumped by gigabytes.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
    // Nothing of a refused post was stored.
    expect(await stack.listObjects('posts/')).toEqual([]);
  });

  it('applies the same checks to multipart uploads, whatever content type the parts claim', async () => {
    const cases: [Buffer, string, number, string][] = [
      [decompressionBombPng(20_000, 20_000), 'image/png', 400, 'image_too_large'],
      [hugeGif(65_535, 65_535), 'image/png', 400, 'image_too_large'],
      // Not sniffed as an image, so the declared type stands, and it is not one of the four accepted.
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml', 400, 'invalid_request'],
      [Buffer.from('<html></html>'), 'image/png', 400, 'invalid_image'],
    ];
    for (const [bytes, type, status, code] of cases) {
      const form = multipart([{ bytes, type }]);
      const res = await rawRequest(stack.url, {
        method: 'POST',
        path: '/v1/posts',
        headers: { 'content-type': form.type },
        body: form.body,
      });
      expect([type, res.status, JSON.parse(res.text).error?.code]).toEqual([type, status, code]);
    }
    const tooMany = multipart(
      Array.from({ length: 7 }, () => ({ bytes: encodePng(2, 2, () => [1, 1, 1, 255]), type: 'image/png' })),
    );
    const many = await rawRequest(stack.url, {
      method: 'POST',
      path: '/v1/posts',
      headers: { 'content-type': tooMany.type },
      body: tooMany.body,
    });
    expect(many.status).toBeGreaterThanOrEqual(400);
    expect(many.status).toBeLessThan(500);
    expect(isErrorShape(many.text)).toBe(true);
    const big = multipart([{ bytes: Buffer.alloc(11 * 1024 * 1024, 0x41), type: 'image/png' }]);
    const large = await rawRequest(stack.url, {
      method: 'POST',
      path: '/v1/posts',
      headers: { 'content-type': big.type },
      body: big.body,
    });
    expect([large.status, JSON.parse(large.text).error?.code]).toEqual([413, 'payload_too_large']);
    expect(await stack.listObjects('posts/')).toEqual([]);
  });

  it('reads a truncated header as unreadable, never as a size made up from memory past the upload', async () => {
    const png = encodePng(1, 1, () => [0, 0, 0, 255]);
    const truncated: [string, Buffer][] = [
      ['GIF89a', Buffer.from('GIF89a')],
      ['GIF87a + 1 byte', Buffer.from('GIF87a\u0001', 'latin1')],
      ['PNG up to IHDR', Buffer.from(png.subarray(0, 16))],
      ['PNG up to the width', Buffer.from(png.subarray(0, 20))],
      ['WebP VP8X header only', hugeWebp(100, 100).subarray(0, 20)],
      ['JPEG up to SOF', hugeJpeg(100, 100).subarray(0, 24)],
    ];
    const sizes: string[] = [];
    // Small uploads share Node's 8 KB buffer pool with other allocations (API keys compared in the auth hook,
    // other requests' bodies): asking many times makes a read past the end show up as a made-up size.
    for (let round = 0; round < 8; round++) {
      for (const [what, bytes] of truncated) {
        const { got, message } = await refuse(bytes, 'image/png', [400, 'invalid_image']);
        if (got[1] !== 'invalid_image') sizes.push(`${what}: ${got[1]} (${message})`);
      }
    }
    expect(sizes).toEqual([]);
  });

  it('still accepts a real image within the limits (the control)', async () => {
    const res = await stack.request('POST', '/v1/posts', {
      topic: 'Refs',
      referenceImages: [
        { data: encodePng(64, 48, () => [200, 100, 50, 255]).toString('base64'), mimeType: 'image/png' },
      ],
    });
    expect(res.status).toBe(202);
    const post = (await res.json()) as PostView;
    expect(post.referenceImages).toHaveLength(1);
  });
});

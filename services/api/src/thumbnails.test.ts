import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createLogger, FsStorage } from '@inkpost/core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Servable, THUMBNAIL_RENDERS, ThumbnailStore } from './thumbnails.js';

const dir = mkdtempSync(path.join(tmpdir(), 'inkpost-thumbnails-'));
const storage = new FsStorage(dir);
const log = createLogger('test', 'silent');
let page: Buffer;
let n = 0;

beforeAll(async () => {
  page = await sharp({ create: { width: 1080, height: 1440, channels: 3, background: '#c85028' } })
    .png()
    .toBuffer();
});
afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stored page image and where its thumbnail belongs, as the worker records them. */
async function storedImage(bytes = page) {
  const id = ++n;
  const imageKey = `posts/p${id}/pages/g${id}/v1.png`;
  await storage.put(imageKey, bytes, 'image/png');
  return { imageKey, thumbKey: `posts/p${id}/pages/g${id}/thumbs/v1.webp` };
}

async function bytesOf(servable: Servable | null): Promise<Buffer> {
  expect(servable).not.toBeNull();
  const body = servable!.body;
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('ThumbnailStore', () => {
  it('makes the thumbnail on the first request, stores it, and serves the stored one afterwards', async () => {
    const thumbnails = new ThumbnailStore(storage, log);
    const { imageKey, thumbKey } = await storedImage();
    expect(await storage.exists(thumbKey)).toBe(false);

    const first = await thumbnails.get(thumbKey, imageKey);
    expect(first).toMatchObject({ contentType: 'image/webp' });
    const made = await bytesOf(first);
    expect(await sharp(made).metadata()).toMatchObject({ format: 'webp', width: 360, height: 480 });
    expect(made.length).toBeLessThan(page.length / 3);
    expect((await storage.getBuffer(thumbKey))?.equals(made)).toBe(true);

    const read = vi.spyOn(storage, 'getBuffer');
    const second = await thumbnails.get(thumbKey, imageKey);
    expect(second?.body).toBeInstanceOf(Readable); // the stored object, streamed
    expect((await bytesOf(second)).equals(made)).toBe(true);
    expect(read).not.toHaveBeenCalled(); // the image was not read again
  });

  it('serves a thumbnail another API process stored without making it again', async () => {
    const { imageKey, thumbKey } = await storedImage();
    await new ThumbnailStore(storage, log).get(thumbKey, imageKey);
    const read = vi.spyOn(storage, 'getBuffer');
    const put = vi.spyOn(storage, 'put');
    expect(await bytesOf(await new ThumbnailStore(storage, log).get(thumbKey, imageKey))).toHaveLength(
      (await storage.getBuffer(thumbKey))!.length,
    );
    expect(read.mock.calls.map(([key]) => key)).not.toContain(imageKey);
    expect(put).not.toHaveBeenCalled();
  });

  it('shares one render between concurrent first requests for the same thumbnail', async () => {
    const thumbnails = new ThumbnailStore(storage, log);
    const { imageKey, thumbKey } = await storedImage();
    const read = vi.spyOn(storage, 'getBuffer');
    const put = vi.spyOn(storage, 'put');
    const answers = await Promise.all(Array.from({ length: 8 }, () => thumbnails.get(thumbKey, imageKey)));
    const bodies = await Promise.all(answers.map(bytesOf));
    expect(new Set(bodies.map((b) => b.toString('base64'))).size).toBe(1);
    expect(read.mock.calls.filter(([key]) => key === imageKey)).toHaveLength(1);
    expect(put).toHaveBeenCalledTimes(1);
  });

  it(`makes at most ${THUMBNAIL_RENDERS} thumbnails at once, however many are asked for`, async () => {
    const thumbnails = new ThumbnailStore(storage, log);
    const images = await Promise.all(Array.from({ length: 7 }, () => storedImage()));
    let running = 0;
    let most = 0;
    const getBuffer = storage.getBuffer.bind(storage);
    const put = storage.put.bind(storage);
    // A render reads the image first and stores the thumbnail last: between the two it holds its slot.
    vi.spyOn(storage, 'getBuffer').mockImplementation(async (key) => {
      most = Math.max(most, ++running);
      return getBuffer(key);
    });
    vi.spyOn(storage, 'put').mockImplementation(async (key, body, type) => {
      await put(key, body, type);
      running--;
    });
    const answers = await Promise.all(images.map((i) => thumbnails.get(i.thumbKey, i.imageKey)));
    expect(answers.every((a) => a?.contentType === 'image/webp')).toBe(true);
    expect(most).toBe(THUMBNAIL_RENDERS);
  });

  it('answers null for an image sharp cannot read, storing nothing, so the caller serves the image', async () => {
    const thumbnails = new ThumbnailStore(storage, log);
    // A PNG signature and end marker around garbage: what passes a provider's checks yet does not decode.
    const broken = Buffer.concat([page.subarray(0, 8), Buffer.alloc(200, 0x41), page.subarray(-12)]);
    const { imageKey, thumbKey } = await storedImage(broken);
    expect(await thumbnails.get(thumbKey, imageKey)).toBeNull();
    expect(await storage.exists(thumbKey)).toBe(false);
  });

  it('answers null when the image itself is gone', async () => {
    const thumbnails = new ThumbnailStore(storage, log);
    expect(await thumbnails.get('posts/gone/pages/g/thumbs/v1.webp', 'posts/gone/pages/g/v1.png')).toBeNull();
  });
});

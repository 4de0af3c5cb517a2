import { encodePng } from '@inkpost/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../errors.js';
import { b64JsonImage } from './b64-json.js';
import { imageFromImagesApi } from './openai-wire.js';

const png = encodePng(40, 30, (x, y) => [x * 6, y * 8, (x * y) % 256, 255]);
const other = encodePng(4, 3, () => [0, 0, 0, 255]);
const b64 = png.toString('base64');
const ctx = { provider: 'relay', apiKey: 'k', timeoutMs: 1_000 };

const json = (answer: unknown, indent?: number) => Buffer.from(JSON.stringify(answer, null, indent));
const answer = (b64Json: string, extra: Record<string, unknown> = {}) =>
  json({ created: 1_700_000_000, data: [{ b64_json: b64Json }], ...extra });
const raw = (text: string) => Buffer.from(text);

/** What the answer gives when parsed whole, the way it always was: the image, or the ProviderError's code. */
function parsedWhole(body: Buffer): Buffer | string {
  let parsed: { data?: { b64_json?: unknown }[] };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'provider_bad_response';
  }
  const b64Json = parsed?.data?.[0]?.b64_json;
  if (typeof b64Json !== 'string' || b64Json.length === 0) return 'provider_bad_response';
  return Buffer.from(b64Json.replace(/^data:[^,]*,/, ''), 'base64');
}

async function viaImagesApi(body: Buffer): Promise<Buffer | string> {
  try {
    return await imageFromImagesApi(ctx, body);
  } catch (err) {
    if (err instanceof ProviderError) return err.code;
    throw err;
  }
}

/** Answers the shortcut reads from the bytes. */
const READ_DIRECTLY: [string, Buffer][] = [
  ['a compact answer', answer(b64)],
  ['an indented answer', json({ created: 1, data: [{ b64_json: b64 }] }, 2)],
  ['spaces around the colon', raw(`{"data":[{"b64_json" :\n "${b64}"}]}`)],
  [
    'other fields around it, escapes and non-ASCII included',
    json({
      created: 1,
      data: [{ revised_prompt: '封面 "早餐" \\ b64_json', b64_json: b64, size: '1024x1536' }],
      usage: { total_tokens: 10 },
    }),
  ],
  ['a data URL', answer(`data:image/png;base64,${b64}`)],
  [
    'several images (the first is taken)',
    json({ data: [{ b64_json: b64 }, { b64_json: other.toString('base64') }] }),
  ],
];

/** Answers it leaves to the full parse. */
const PARSED_WHOLE: [string, Buffer][] = [
  ['escaped slashes', raw(`{"data":[{"b64_json":"${b64.slice(0, 12)}\\/${b64.slice(12)}"}]}`)],
  ['an empty payload', answer('')],
  ['an error body', json({ error: { message: 'no "b64_json": "…" today', type: 'server_error' } })],
  ['b64_json echoed as a value first', json({ response_format: 'b64_json', data: [{ b64_json: b64 }] })],
  ['a first b64_json that is not data[0]’s', json({ meta: { b64_json: 'QUJD' }, data: [{ b64_json: b64 }] })],
  ['data[0] without an image', json({ data: [{ revised_prompt: 'x' }, { b64_json: b64 }] })],
  ['a body cut inside the payload', answer(b64).subarray(0, 60)],
  ['a body cut after the payload', answer(b64).subarray(0, answer(b64).length - 2)],
  ['trailing garbage', Buffer.concat([answer(b64), raw('}')])],
  ['not JSON at all', raw(`<html>"b64_json":"${b64}"</html>`)],
];

describe('b64JsonImage', () => {
  it.each(READ_DIRECTLY)('decodes data[0].b64_json straight from %s', (_, body) => {
    expect(b64JsonImage(body)?.equals(png)).toBe(true);
  });

  it.each(PARSED_WHOLE)('leaves %s to the full parse', (_, body) => {
    expect(b64JsonImage(body)).toBeNull();
  });
});

describe('imageFromImagesApi', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([...READ_DIRECTLY, ...PARSED_WHOLE])(
    'answers %s exactly as parsing it whole would',
    async (_, body) => {
      expect(await viaImagesApi(body)).toEqual(parsedWhole(body));
    },
  );

  it('parses only the answer around a multi-MB payload, never the payload itself', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const parse = vi.spyOn(JSON, 'parse');
    const image = await imageFromImagesApi(
      ctx,
      answer(big.toString('base64'), { usage: { total_tokens: 1 } }),
    );
    expect(image.equals(big)).toBe(true);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(String(parse.mock.calls[0]![0]).length).toBeLessThan(200);
  });
});

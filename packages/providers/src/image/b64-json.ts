import { decodeBase64Image } from './answer.js';

const KEY = Buffer.from('"b64_json"', 'latin1');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/**
 * The payload's stand-in when the rest of the answer is parsed: a NUL, which no base64 holds, so finding it at
 * `data[0].b64_json` means the string cut out was that one.
 */
const MARK = '\u0000';

interface Span {
  start: number;
  end: number;
}

/**
 * `data[0].b64_json` of an images-API answer, decoded straight from the answer's bytes. The payload is nearly all
 * of a 3 MB answer: turning it into a UTF-8 string, parsing that and only then decoding it costs about twice as
 * much as decoding the slice itself. The answer minus its payload is still parsed, so a body that is not JSON, or
 * whose first `b64_json` is not `data[0]`'s, is not taken for an image.
 *
 * Null whenever this shortcut does not apply — no `b64_json` (url answers, error bodies), an escaped character in
 * the payload (`\/`), an empty payload, a body that does not parse — for the caller to parse the answer whole,
 * which then fails or succeeds exactly as it always did. One difference remains: raw control characters inside the
 * payload (invalid JSON) are skipped by the base64 decoder here instead of failing the parse.
 */
export function b64JsonImage(body: Buffer): Buffer | null {
  const payload = b64JsonPayload(body);
  if (!payload || !isFirstImageOf(body, payload)) return null;
  return decodeBase64Image(body.toString('latin1', payload.start, payload.end));
}

/** Where the string value of the first `"b64_json"` key lies, when it is non-empty and has no escapes. */
function b64JsonPayload(body: Buffer): Span | null {
  const key = body.indexOf(KEY);
  if (key < 0) return null;
  const colon = skipWhitespace(body, key + KEY.length);
  if (body[colon] !== COLON) return null;
  const quote = skipWhitespace(body, colon + 1);
  if (body[quote] !== QUOTE) return null;
  const start = quote + 1;
  const end = body.indexOf(QUOTE, start);
  if (end <= start) return null;
  // No backslash means no escape, so the closing quote found is the string's end and its bytes are its text.
  if (body.subarray(start, end).includes(BACKSLASH)) return null;
  return { start, end };
}

function skipWhitespace(body: Buffer, from: number): number {
  let i = from;
  while (i < body.length && JSON_WHITESPACE.has(body[i]!)) i++;
  return i;
}

/** True when the answer, its payload replaced by MARK, is JSON whose `data[0].b64_json` is that MARK. */
function isFirstImageOf(body: Buffer, payload: Span): boolean {
  // The span is bounded by ASCII quotes, so cutting there never splits a UTF-8 sequence.
  const rest = `${body.toString('utf8', 0, payload.start)}\\u0000${body.toString('utf8', payload.end)}`;
  try {
    const answer = JSON.parse(rest) as { data?: { b64_json?: unknown }[] } | null;
    return answer?.data?.[0]?.b64_json === MARK;
  } catch {
    return false;
  }
}

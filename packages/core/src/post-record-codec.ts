import { createHash } from 'node:crypto';
import { type PostRecord, PostRecord as PostRecordSchema } from '@inkpost/shared';
import { z } from 'zod';

/** A post record in Redis that cannot be read: not JSON, or neither a PostRecord nor an older shape of one. */
export class UnreadablePostError extends Error {
  override readonly name = 'UnreadablePostError';

  constructor(id: string, reason: string, cause: unknown) {
    super(`post ${id}: the stored record ${reason}`, { cause });
  }
}

// Where the stamp sits in the stored JSON. PostRecord strips unknown keys, so code without the stamp (an older
// version during a rolling deploy, or after a rollback) reads stamped records as before, and what it writes back
// carries no stamp.
const STAMP_KEY = '~schema';

let stamp: string | undefined;

/**
 * A hash of PostRecord's JSON Schema (fields, types, defaults). It changes whenever the schema does, so a record
 * stamped by code with another PostRecord — an older one, or one before a default was added — never passes for this
 * one, and nobody has to remember to bump a version number.
 */
function schemaStamp(): string {
  stamp ??= createHash('sha256')
    .update(JSON.stringify(z.toJSONSchema(PostRecordSchema, { io: 'input', unrepresentable: 'any' })))
    .digest('base64url')
    .slice(0, 16);
  return stamp;
}

/**
 * Checks a record against PostRecord and gives the JSON to store it as. A record that breaks the schema is refused
 * here, when it is written, instead of failing every later read; the stamp in the JSON tells those reads that it
 * passed this very schema.
 */
export function encodePostRecord(post: PostRecord): { record: PostRecord; json: string } {
  const record = PostRecordSchema.parse(post);
  return { record, json: JSON.stringify({ [STAMP_KEY]: schemaStamp(), ...record }) };
}

/**
 * A stored record. One stamped with this schema is already exactly what PostRecord would return, so only its JSON
 * is parsed: this runs on every GET of a post. Any other (written before stamps, or by code with another schema)
 * goes through PostRecord, which fills in the defaults of fields added since.
 */
export function decodePostRecord(id: string, json: string): PostRecord {
  const value = parseJson(id, json);
  if (isStamped(value)) {
    const { [STAMP_KEY]: _stamp, ...record } = value;
    return record as PostRecord;
  }
  const parsed = PostRecordSchema.safeParse(value);
  if (!parsed.success) {
    throw new UnreadablePostError(id, `is not a post record: ${z.prettifyError(parsed.error)}`, parsed.error);
  }
  return parsed.data;
}

function parseJson(id: string, json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new UnreadablePostError(id, `is not valid JSON: ${(err as Error).message}`, err);
  }
}

function isStamped(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>)[STAMP_KEY] === schemaStamp()
  );
}

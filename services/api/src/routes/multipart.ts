import { sniffImageMime } from '@inkpost/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';

interface MultipartFile {
  type: 'file';
  fieldname: string;
  mimetype: string;
  toBuffer(): Promise<Buffer>;
}

interface MultipartField {
  type: 'field';
  fieldname: string;
  value: unknown;
}

type Part = MultipartFile | MultipartField;

const JSON_FIELDS = new Set(['pages', 'autoGenerate', 'pageCount', 'referenceImages']);

function fieldValue(name: string, value: unknown): unknown {
  if (typeof value !== 'string' || !JSON_FIELDS.has(name)) return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new HttpError(
      400,
      'invalid_request',
      `Invalid request: body.${name}: must be JSON in a multipart form.`,
    );
  }
}

/**
 * Turns a multipart `POST /v1/posts` (fields + image files under `images`) into the same object a JSON request
 * has, so one schema validates both.
 */
export async function multipartToCreateBody(request: FastifyRequest): Promise<void> {
  if (!request.isMultipart() || request.routeOptions.url !== '/v1/posts') return;
  const body: Record<string, unknown> = {};
  const images: { data: string; mimeType: string }[] = [];
  for (const part of Object.values((request.body ?? {}) as Record<string, Part | Part[]>).flat()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'images')
        throw new HttpError(
          400,
          'invalid_request',
          `Unexpected file field "${part.fieldname}"; use "images".`,
        );
      const bytes = await part.toBuffer();
      // The declared type is only a hint; the bytes decide (and are checked again when stored).
      images.push({ data: bytes.toString('base64'), mimeType: sniffImageMime(bytes) ?? part.mimetype });
    } else {
      body[part.fieldname] = fieldValue(part.fieldname, part.value);
    }
  }
  if (images.length > 0) body.referenceImages = images;
  request.body = body;
}

/**
 * Only `POST /v1/posts` takes multipart/form-data. Anywhere else the parsed parts (which refer back to the whole
 * body and may hold megabytes of file data) would reach code that expects JSON, such as the Idempotency-Key
 * fingerprint, which cannot serialise them. Answered, not thrown, so bull-board's own error handler cannot reshape it.
 */
export async function refuseMultipartElsewhere(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (!request.isMultipart() || (request.method === 'POST' && request.routeOptions.url === '/v1/posts')) {
    return undefined;
  }
  const message = `${request.method} ${request.routeOptions.url ?? 'this route'} takes JSON, not multipart/form-data.`;
  return reply.status(415).send({ error: { code: 'unsupported_media_type', message } });
}

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  BudgetExceededError,
  PostNotFoundError,
  PostStateError,
  secondsUntilUtcMidnight,
} from '@inkpost/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** An error answered as `{ error: { code, message, details? } }` with its status. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what = 'Post') => new HttpError(404, 'not_found', `${what} not found.`);

// Fastify's own 4xx codes, named for API clients.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_REQ_FILE_TOO_LARGE: 'payload_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_PARTS_LIMIT: 'too_many_parts',
  FST_FIELDS_LIMIT: 'too_many_fields',
};

// What the multipart parser (busboy) throws for a malformed body: bare Errors, without a status, that are the
// client's doing and must not be answered as our 500.
const MULTIPART_PARSE_ERROR =
  /^(Multipart: Boundary not found|Unexpected end of multipart data|.* terminated early due to unexpected end of multipart data|The needle cannot have a length bigger than 256\.)/;

function toSnakeCase(code: string): string {
  return code
    .replace(/^FST_(ERR_)?/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * Errors the router raises before a request reaches any route or hook (a path that is not valid percent-encoding,
 * a path parameter longer than the router allows): Fastify's default answer is not the API's shape, this is.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  const code = error.code ? (FASTIFY_CODES[error.code] ?? toSnakeCase(error.code)) : 'bad_request';
  reply.status(status).send({ error: { code, message: error.message } });
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * Redis (or another backing service) cannot be reached: ioredis gives up on a command after its retries
 * (`MaxRetriesPerRequestError`), refuses on a closed connection, or the socket fails. The client did nothing wrong
 * and can retry, so it is a 503 with Retry-After, not our 500. A request that failed this way changed nothing
 * partially that matters: post writes are single compare-and-set scripts and creates are idempotent by key.
 */
function isDependencyUnavailable(error: Error & { code?: string }): boolean {
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message === 'Connection is closed.' ||
    (error.code !== undefined && NETWORK_ERROR_CODES.has(error.code))
  );
}

/** One error handler: every 4xx/5xx has the API's error shape; 5xx never carries internals. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((v) => ({
        path: `${error.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`,
        message: v.message,
      }));
      const first = details[0];
      const message = first ? `Invalid request: ${first.path}: ${first.message}` : 'Invalid request.';
      return reply.status(400).send({ error: { code: 'invalid_request', message, details } });
    }
    if (error instanceof HttpError) {
      const body = {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      };
      return reply.status(error.statusCode).send({ error: body });
    }
    if (error instanceof PostNotFoundError)
      return reply.status(404).send({ error: { code: 'not_found', message: 'Post not found.' } });
    if (error instanceof PostStateError)
      return reply.status(409).send({ error: { code: error.code, message: error.message } });
    if (error instanceof BudgetExceededError) {
      const details = { limit: error.limit, used: error.used, requested: error.requested };
      reply.header('retry-after', String(secondsUntilUtcMidnight()));
      return reply.status(429).send({ error: { code: error.code, message: error.message, details } });
    }
    if (
      error.statusCode === undefined &&
      request.isMultipart() &&
      MULTIPART_PARSE_ERROR.test(error.message)
    ) {
      const message = `The multipart body cannot be read: ${error.message}`;
      return reply.status(400).send({ error: { code: 'invalid_multipart', message } });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = error.code ? (FASTIFY_CODES[error.code] ?? toSnakeCase(error.code)) : 'bad_request';
      return reply.status(status).send({ error: { code, message: error.message } });
    }
    if (isDependencyUnavailable(error)) {
      request.log.warn({ err: error }, 'a backing service is unavailable');
      reply.header('retry-after', '5');
      const message =
        'The service is briefly unavailable; nothing was changed by this request. Try again shortly.';
      return reply.status(503).send({ error: { code: 'service_unavailable', message } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'Internal server error.' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: {
        code: 'not_found',
        message: `Route ${request.method} ${request.url.split('?')[0]} not found.`,
      },
    });
  });
}

/**
 * Requests Node's HTTP parser refuses (a bad request line or header, headers too large) never reach a route or the
 * error handler; Fastify's default answer to them is not the API's error shape, this one is.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request did not arrive in time.']
        : [400, 'bad_request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

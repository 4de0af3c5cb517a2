import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** An onRequest hook requiring HTTP Basic admin credentials (the dashboard, metrics). */
export function requireAdmin(user: string, password: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const [scheme, encoded] = (request.headers.authorization ?? '').split(' ');
    const [u, ...rest] = Buffer.from(encoded ?? '', 'base64')
      .toString('utf8')
      .split(':');
    if (scheme !== 'Basic' || !safeEqual(u ?? '', user) || !safeEqual(rest.join(':'), password)) {
      reply.header('www-authenticate', 'Basic realm="inkpost-admin"');
      // Answered here, not thrown: the dashboard's routes have bull-board's own error handler, which would turn
      // the refusal into its `{ error: { key: "ERRORS.INTERNAL_SERVER_ERROR" } }` instead of the API's shape.
      const error = new HttpError(401, 'unauthorized', 'Admin credentials are required.');
      return reply.status(401).send({ error: { code: error.code, message: error.message } });
    }
    return undefined;
  };
}

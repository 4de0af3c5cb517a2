import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: string;
  }
}

/** The tenant of a single-tenant deployment (no API keys configured). */
export const LOCAL_TENANT = 'local';

function tenantFor(keys: Map<string, string>, presented: string): string | null {
  const given = Buffer.from(presented);
  for (const [key, tenant] of keys) {
    const expected = Buffer.from(key);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return tenant;
  }
  return null;
}

/**
 * Whether a request is for the `/v1` API, judged by the route it matched: the router decodes the path, so the raw
 * URL may spell a `/v1` route percent-encoded (`/%761/posts`) and must not decide.
 */
export function isApiRequest(request: FastifyRequest): boolean {
  return (request.routeOptions.url ?? request.url).startsWith('/v1/');
}

/** Bearer keys → tenant on every `/v1` route; open as the `local` tenant when no keys are configured. */
export function registerAuth(app: FastifyInstance, keys: Map<string, string>): void {
  app.decorateRequest('tenant', LOCAL_TENANT);
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (keys.size === 0 || !isApiRequest(request)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const tenant = match?.[1] ? tenantFor(keys, match[1].trim()) : null;
    if (!tenant) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(
        401,
        'unauthorized',
        match ? 'The API key is not valid.' : 'An API key is required: Authorization: Bearer <key>.',
      );
    }
    request.tenant = tenant;
  });
}

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `pnpm build` puts the studio (services/web/dist): the same from src/plugins and dist/plugins. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

// The API's own paths: an unknown one there is the API's JSON 404, never the studio's index.html.
const API_PATH = /^\/(v1|docs|admin|healthz|readyz|metrics)(\/|$)/;
// A last path segment with an extension asks for a file; anything else is a studio route (SPA fallback).
const FILE_PATH = /\/[^/]*\.[A-Za-z0-9]+$/;
const NOT_BUILT =
  'Inkpost API is running. The web studio is not built: run `pnpm build` (or `pnpm --filter @inkpost/web build`) and reload.\n';

function safeDecode(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * The web studio at `/`: files of services/web/dist, index.html for every other non-API GET. Registered last, so
 * every API route wins. Without a built studio the API still starts and `/` says so.
 */
export async function registerWeb(app: FastifyInstance, opts: { root?: string } = {}): Promise<void> {
  const root = opts.root ?? WEB_DIST;
  const index = path.join(root, 'index.html');
  // Encapsulated, so reply.sendFile stays private to these routes.
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, { root, serve: false, suppressWarning: true });
    scope.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const raw = request.url.split('?')[0] ?? '/';
      // Judged on the decoded path, as the router matches it: `/%6detrics` is /metrics, not a studio route.
      const pathname = safeDecode(raw);
      if (pathname === null || API_PATH.test(pathname)) return reply.callNotFound();
      if (FILE_PATH.test(pathname)) {
        // Vite fingerprints everything under /assets/; other files (favicon) may change between builds.
        const hashed = pathname.startsWith('/assets/');
        return reply.sendFile(pathname, {
          cacheControl: true,
          maxAge: hashed ? '365d' : '1h',
          immutable: hashed,
        });
      }
      if (!(await isFile(index))) return reply.type('text/plain; charset=utf-8').send(NOT_BUILT);
      return reply
        .header('cache-control', 'no-cache')
        .header('content-security-policy', "frame-ancestors 'none'")
        .sendFile('index.html', { cacheControl: false });
    });
  });
}

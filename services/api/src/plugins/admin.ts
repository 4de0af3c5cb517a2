import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { HttpError } from '../errors.js';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * bull-board at /admin/queues over the outline queue and every image provider's queue, behind HTTP Basic when
 * ADMIN_USER/ADMIN_PASSWORD are set. With API keys but no admin credentials it is not mounted at all: never open.
 */
export async function registerAdmin(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { ADMIN_USER: user, ADMIN_PASSWORD: password } = ctx.env;
  if (ctx.apiKeys.size > 0 && !(user && password)) {
    app.log.warn('bull-board is disabled: API keys are configured but ADMIN_USER/ADMIN_PASSWORD are not');
    return;
  }
  const queues = [
    ctx.queues.outline(),
    ...[...ctx.imageProviders.providers.keys()].map((n) => ctx.queues.image(n)),
  ];
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter });
  await app.register(
    async (scope) => {
      if (user && password) {
        scope.addHook('onRequest', async (request, reply) => {
          const [scheme, encoded] = (request.headers.authorization ?? '').split(' ');
          const [u, ...rest] = Buffer.from(encoded ?? '', 'base64')
            .toString('utf8')
            .split(':');
          if (scheme !== 'Basic' || !safeEqual(u ?? '', user) || !safeEqual(rest.join(':'), password)) {
            reply.header('www-authenticate', 'Basic realm="inkpost-admin"');
            throw new HttpError(401, 'unauthorized', 'Admin credentials are required.');
          }
        });
      }
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: '/admin/queues' },
  );
}

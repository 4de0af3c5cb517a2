import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { jobs } from '@inkpost/shared';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { requireAdmin } from './basic-auth.js';

/** Every queue of the deployment: outline, copy, webhook and each image provider's. */
export function allQueues(ctx: ApiContext) {
  return [
    ctx.queues.outline(),
    ctx.queues.get(jobs.copy.queue),
    ctx.queues.get(jobs.webhook.queue),
    ...[...ctx.imageProviders.providers.keys()].map((n) => ctx.queues.image(n)),
  ];
}

/**
 * bull-board at /admin/queues over every queue, behind HTTP Basic when ADMIN_USER/ADMIN_PASSWORD are set. With API
 * keys but no admin credentials it is not mounted at all: never open. ADMIN_READ_ONLY shows without actions.
 */
export async function registerAdmin(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { ADMIN_USER: user, ADMIN_PASSWORD: password, ADMIN_READ_ONLY: readOnlyMode } = ctx.env;
  if (ctx.apiKeys.size > 0 && !(user && password)) {
    app.log.warn('bull-board is disabled: API keys are configured but ADMIN_USER/ADMIN_PASSWORD are not');
    return;
  }
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({
    queues: allQueues(ctx).map((q) => new BullMQAdapter(q, { readOnlyMode })),
    serverAdapter,
  });
  await app.register(
    async (scope) => {
      if (user && password) scope.addHook('onRequest', requireAdmin(user, password));
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: '/admin/queues' },
  );
}

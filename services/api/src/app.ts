import multipart from '@fastify/multipart';
import { LIMITS } from '@inkpost/shared';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { ApiContext } from './context.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './errors.js';
import { registerAdmin } from './plugins/admin.js';
import { registerAuth } from './plugins/auth.js';
import { registerDocs } from './plugins/docs.js';
import { registerIdempotency } from './plugins/idempotency.js';
import { registerMetrics } from './plugins/metrics.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { registerWeb } from './plugins/web.js';
import { RequestLogController } from './request-log.js';
import { responseSerializerCompiler } from './response-serializer.js';
import { archiveRoutes } from './routes/archive.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { imageRoutes } from './routes/images.js';
import { refuseMultipartElsewhere } from './routes/multipart.js';
import { postRoutes } from './routes/posts.js';
import { providerRoutes } from './routes/providers.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the API (not listening). Tests call `app.inject` or listen on port 0. */
export async function buildApp(
  ctx: ApiContext,
  options: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log,
    bodyLimit: ctx.env.BODY_LIMIT_MB * 1024 * 1024,
    // The client's x-request-id is kept when it is a sane token, so its logs and ours line up.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    logController: new RequestLogController(),
    clientErrorHandler,
    frameworkErrors,
    ...options,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerErrorHandling(app);
  registerAuth(app, ctx.apiKeys);
  await registerRateLimit(app, ctx);
  registerIdempotency(app, ctx);
  await registerDocs(app);
  await registerMetrics(app, ctx);
  await app.register(multipart, {
    attachFieldsToBody: true,
    limits: { files: LIMITS.referenceImages, fileSize: LIMITS.referenceImageBytes, fields: 20 },
  });
  app.addHook('preValidation', refuseMultipartElsewhere);
  await app.register(healthRoutes(ctx));
  await app.register(postRoutes(ctx));
  await app.register(eventRoutes(ctx));
  await app.register(imageRoutes(ctx));
  await app.register(archiveRoutes(ctx));
  await app.register(providerRoutes(ctx));
  await registerAdmin(app, ctx);
  await registerWeb(app);
  return app;
}

import { ErrorBody, EventsQuery, PostParams } from '@inkpost/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context.js';
import { getOwnedPost } from '../posts.js';
import { SseSession } from '../sse-session.js';

const EVENT_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * `GET /v1/posts/:id/events`: a snapshot (or, with Last-Event-ID, the missed events), then live events. Any API
 * instance can serve any client: the state is the post's Redis stream, never this process's memory.
 */
export function eventRoutes(ctx: ApiContext): FastifyPluginAsyncZod {
  return async (app) => {
    const sessions = new Set<SseSession>();
    // Open streams would hold the server open at shutdown; end them so clients reconnect to another instance.
    app.addHook('preClose', async () => {
      for (const session of sessions) session.end();
    });

    app.get(
      '/v1/posts/:id/events',
      {
        schema: {
          tags: ['events'],
          summary: 'Server-Sent Events of a post: snapshot, then every change; Last-Event-ID replays',
          params: PostParams,
          querystring: EventsQuery,
          response: { 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        await getOwnedPost(ctx, request.tenant, request.params.id);
        const header = request.headers['last-event-id'];
        const given = (Array.isArray(header) ? header[0] : header) ?? request.query.lastEventId;
        reply.hijack();
        const session = new SseSession(ctx, request.params.id, reply.raw, request.id);
        sessions.add(session);
        reply.raw.on('close', () => sessions.delete(session));
        await session.run(given && EVENT_ID.test(given) ? given : null);
      },
    );
  };
}

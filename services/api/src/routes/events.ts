import { ErrorBody, EventsQuery, PostParams } from '@inkpost/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context.js';
import { getOwnedPost } from '../posts.js';
import { SseSession } from '../sse-session.js';

// Redis stream ids are two 64-bit numbers; 15 digits each stays inside what Redis parses (a longer one makes XRANGE
// fail) and what a JS number holds exactly. Anything else is not a replay cursor: the client gets the snapshot.
const EVENT_ID = /^\d{1,15}-\d{1,15}$/;

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
        if (request.method === 'HEAD') {
          // Node sends no headers for a HEAD answer until it ends, and a live stream may never end: answer at once.
          reply.hijack();
          reply.raw.writeHead(200, {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache',
          });
          reply.raw.end();
          return;
        }
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

import { ErrorBody, PostParams } from '@inkpost/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { streamArchive } from '../archive.js';
import type { ApiContext } from '../context.js';
import { getOwnedPost } from '../posts.js';

export function archiveRoutes(ctx: ApiContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/posts/:id/archive.zip',
      {
        schema: {
          tags: ['posts'],
          summary: 'A streamed ZIP: 01.png, 02.png, … in page order, outline.md and copy.md when present',
          params: PostParams,
          response: { 200: z.unknown().describe('application/zip'), 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const post = await getOwnedPost(ctx, request.tenant, request.params.id);
        const stream = streamArchive(post, ctx.storage);
        stream.on('error', (err) => request.log.error({ err, postId: post.id }, 'archive stream failed'));
        return reply
          .header('content-type', 'application/zip')
          .header('content-disposition', `attachment; filename="${post.id}.zip"`)
          .header('cache-control', 'private, no-cache')
          .send(stream);
      },
    );
  };
}

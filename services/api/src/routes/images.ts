import { ErrorBody, ImageQuery, type ImageVersionRecord, PageParams, PostParams } from '@inkpost/shared';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { notFound } from '../errors.js';
import { getOwnedPost } from '../posts.js';
import { type Servable, ThumbnailStore } from '../thumbnails.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

async function sendStored(ctx: ApiContext, reply: FastifyReply, key: string, immutable: boolean) {
  const object = await ctx.storage.get(key);
  if (!object) throw notFound('Image');
  return send(reply, object, immutable);
}

function send(reply: FastifyReply, object: Servable, immutable: boolean) {
  reply.header('content-type', object.contentType);
  if (object.contentLength !== null) reply.header('content-length', object.contentLength);
  // A numbered version never changes; "the current one" may.
  reply.header('cache-control', immutable ? 'private, max-age=31536000, immutable' : 'private, no-cache');
  return reply.send(object.body);
}

/**
 * A version's thumbnail, made on its first request (see ThumbnailStore). A record without `thumbKey` is one whose
 * image the worker could not thumbnail back when workers made them: it has none, as before. An image sharp cannot
 * read is served as it is, so the thumbnail URL the post advertises always shows the page.
 */
async function sendThumbnail(
  ctx: ApiContext,
  thumbnails: ThumbnailStore,
  reply: FastifyReply,
  record: ImageVersionRecord,
  immutable: boolean,
) {
  if (!record.thumbKey) throw notFound('Thumbnail');
  const thumb = await thumbnails.get(record.thumbKey, record.key);
  return thumb ? send(reply, thumb, immutable) : sendStored(ctx, reply, record.key, immutable);
}

export function imageRoutes(ctx: ApiContext): FastifyPluginAsyncZod {
  const thumbnails = new ThumbnailStore(ctx.storage, ctx.log);
  return async (app) => {
    app.get(
      '/v1/posts/:id/pages/:index/image',
      {
        schema: {
          tags: ['images'],
          summary: 'A page image: the current version, or ?version=N; ?size=thumb for the thumbnail',
          params: PageParams,
          querystring: ImageQuery,
          response: errors,
        },
      },
      async (request, reply) => {
        const post = await getOwnedPost(ctx, request.tenant, request.params.id);
        const page = post.pages[request.params.index];
        if (!page) throw notFound('Page');
        const version = request.query.version ?? page.image.version;
        const record = page.image.versions.find((v) => v.version === version);
        if (!record) throw notFound('Image');
        const immutable = request.query.version !== undefined;
        if (request.query.size === 'thumb') return sendThumbnail(ctx, thumbnails, reply, record, immutable);
        return sendStored(ctx, reply, record.key, immutable);
      },
    );

    app.get(
      '/v1/posts/:id/reference-images/:n',
      {
        schema: {
          tags: ['images'],
          summary: 'A reference image the post was created with',
          params: PostParams.extend({ n: z.coerce.number().int().nonnegative().max(100) }),
          response: errors,
        },
      },
      async (request, reply) => {
        const post = await getOwnedPost(ctx, request.tenant, request.params.id);
        const ref = post.referenceImages[request.params.n];
        if (!ref) throw notFound('Reference image');
        return sendStored(ctx, reply, ref.key, true);
      },
    );
  };
}

import { CreatePostBody, ErrorBody, GenerateBody, PostParams, PostView, toPostView } from '@inkpost/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context.js';
import { cancelPost, createPost, generatePost, getOwnedPost } from '../posts.js';
import { multipartToCreateBody } from './multipart.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export function postRoutes(ctx: ApiContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preValidation', multipartToCreateBody);

    app.post(
      '/v1/posts',
      {
        schema: {
          tags: ['posts'],
          summary:
            'Create a post from a topic (JSON, or multipart/form-data with image files under `images`)',
          body: CreatePostBody,
          response: { 202: PostView, ...errors, 413: ErrorBody },
        },
      },
      async (request, reply) => {
        const post = await createPost(ctx, request.tenant, request.body, request.id);
        return reply.status(202).header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );

    app.get(
      '/v1/posts/:id',
      {
        schema: {
          tags: ['posts'],
          summary: 'A post snapshot',
          params: PostParams,
          response: { 200: PostView, ...errors },
        },
      },
      async (request, reply) => {
        const post = await getOwnedPost(ctx, request.tenant, request.params.id);
        return reply.header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );

    app.post(
      '/v1/posts/:id/generate',
      {
        schema: {
          tags: ['posts'],
          summary: 'Render page images: the given pages or every page without a completed image, cover first',
          params: PostParams,
          body: GenerateBody,
          response: { 202: PostView, ...errors },
        },
      },
      async (request, reply) => {
        const post = await generatePost(
          ctx,
          request.tenant,
          request.params.id,
          request.body?.pages,
          request.id,
        );
        return reply.status(202).header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );

    app.post(
      '/v1/posts/:id/cancel',
      {
        schema: {
          tags: ['posts'],
          summary: 'Stop queued and running work: queued pages are removed, running provider calls aborted',
          params: PostParams,
          response: { 202: PostView, ...errors },
        },
      },
      async (request, reply) => {
        const post = await cancelPost(ctx, request.tenant, request.params.id);
        return reply.status(202).header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );
  };
}

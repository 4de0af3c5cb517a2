import {
  CreatePostBody,
  ErrorBody,
  GenerateBody,
  ListPostsQuery,
  PageParams,
  PatchPostBody,
  PostList,
  PostParams,
  PostView,
  SelectVersionBody,
  toPostView,
} from '@inkpost/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import {
  cancelPost,
  createPost,
  deletePost,
  editPostById,
  generatePost,
  getOwnedPost,
  listPosts,
  requestPostCopy,
  retryFailed,
  selectPageVersion,
} from '../posts.js';
import { multipartToCreateBody } from './multipart.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** The revision in an If-Match header (`"12"`, `W/"12"` or `12`); an unreadable one can never match. */
function ifMatchRevision(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '*') return null;
  const n = Number(header.trim().replace(/^W\//, '').replace(/"/g, ''));
  return Number.isInteger(n) ? n : -1;
}

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

    app.get(
      '/v1/posts',
      {
        schema: {
          tags: ['posts'],
          summary: "The tenant's posts, newest first; q searches topic and page text; cursor pagination",
          querystring: ListPostsQuery,
          response: { 200: PostList, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request) => {
        const { items, nextCursor } = await listPosts(ctx, request.tenant, request.query);
        return { items: items.map(toPostView), nextCursor };
      },
    );

    app.patch(
      '/v1/posts/:id',
      {
        schema: {
          tags: ['posts'],
          summary:
            'Replace topic and/or pages (edit, add, delete, reorder, retype); If-Match guards against overwrites',
          params: PostParams,
          body: PatchPostBody,
          response: { 200: PostView, ...errors, 412: ErrorBody },
        },
      },
      async (request, reply) => {
        const ifMatch = ifMatchRevision(request.headers['if-match']);
        const post = await editPostById(ctx, request.tenant, request.params.id, request.body, ifMatch);
        return reply.header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );

    app.delete(
      '/v1/posts/:id',
      {
        schema: {
          tags: ['posts'],
          summary: 'Delete the post, its events and every stored object',
          params: PostParams,
          response: { 204: z.null().describe('deleted'), 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        await deletePost(ctx, request.tenant, request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/posts/:id/pages/:index/regenerate',
      {
        schema: {
          tags: ['pages'],
          summary: "A new version of one page's image; older versions are kept",
          params: PageParams,
          response: { 202: PostView, ...errors },
        },
      },
      async (request, reply) => {
        const { id, index } = request.params;
        const post = await generatePost(ctx, request.tenant, id, [index], request.id);
        return reply.status(202).header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );

    app.post(
      '/v1/posts/:id/retry-failed',
      {
        schema: {
          tags: ['pages'],
          summary: 'Re-queue every page whose last render failed',
          params: PostParams,
          response: { 202: PostView, ...errors },
        },
      },
      async (request, reply) => {
        const post = await retryFailed(ctx, request.tenant, request.params.id, request.id);
        return reply.status(202).header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );

    app.put(
      '/v1/posts/:id/pages/:index/version',
      {
        schema: {
          tags: ['pages'],
          summary: 'Make an older image version current',
          params: PageParams,
          body: SelectVersionBody,
          response: { 200: PostView, ...errors },
        },
      },
      async (request, reply) => {
        const { id, index } = request.params;
        const post = await selectPageVersion(ctx, request.tenant, id, index, request.body.version);
        return reply.header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );

    app.post(
      '/v1/posts/:id/copy',
      {
        schema: {
          tags: ['posts'],
          summary: 'Generate copy: 3 titles, a 200-500 character body and 5-8 tags, stored on the post',
          params: PostParams,
          response: { 202: PostView, ...errors },
        },
      },
      async (request, reply) => {
        const post = await requestPostCopy(ctx, request.tenant, request.params.id, request.id);
        return reply.status(202).header('etag', `"${post.revision}"`).send(toPostView(post));
      },
    );
  };
}

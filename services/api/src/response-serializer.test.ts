import { samplePost } from '@inkpost/core/test-fixtures';
import { ErrorBody, Health, type PostRecord, PostView, toPostView } from '@inkpost/shared';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import type { $ZodType } from 'zod/v4/core';
import { responseSerializerCompiler } from './response-serializer.js';

const route = { method: 'GET', url: '/v1/posts/:id', httpStatus: '200' };
const fast = (schema: $ZodType) => responseSerializerCompiler({ schema, ...route });
const zod = (schema: $ZodType) => zodSerializerCompiler({ schema, ...route });

/** A completed post with every optional part filled in (copy, estimate, error, image versions, a page error). */
function fullPost(): PostRecord {
  const post = samplePost(['cover', 'content', 'summary'], 'tenant-secret-name');
  post.status = 'partial';
  post.webhookUrl = 'https://hooks.example/secret-path';
  post.referenceImages = [{ key: 'posts/x/ref/secret-ref-key.png', mimeType: 'image/png' }];
  post.copy = { titles: ['A', 'B', 'C'], body: 'Body "quoted" \u2028 text', tags: ['t'] };
  post.estimate = { images: 3, cost: 0.12, currency: 'USD' };
  post.error = { code: 'partial', message: 'one page failed' };
  post.copyState = { status: 'failed', attempt: 2, error: { code: 'provider_auth', message: 'no' } };
  post.pages.forEach((page, i) => {
    page.image.status = i === 1 ? 'failed' : 'completed';
    page.image.version = 1;
    page.image.lastVersion = 1;
    page.image.versions = [
      {
        version: 1,
        key: `posts/x/secret-storage-key-${i}.png`,
        mimeType: 'image/png',
        thumbKey: i === 0 ? `posts/x/secret-thumb-key-${i}.webp` : null,
        createdAt: new Date(0).toISOString(),
        provider: 'text_card',
        model: i === 0 ? 'model-1' : null,
      },
    ];
    page.image.error = i === 1 ? { code: 'provider_timeout', message: 'slow', retryable: true } : null;
  });
  return post;
}

/** Adds an undeclared field to every object in `value`, as a stray field of a stored record would be. */
function withStrayFields<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withStrayFields) as T;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, withStrayFields(v)]);
    return { ...Object.fromEntries(entries), strayField: 'secret-stray-value' } as T;
  }
  return value;
}

describe('response serializer compiled from the zod response schemas', () => {
  it('writes exactly what the zod serializer writes, byte for byte', () => {
    const post = fullPost();
    const views = [toPostView(post), toPostView(samplePost())];
    for (const view of views) expect(fast(PostView)(view)).toBe(zod(PostView)(view));
    const error = { error: { code: 'not_found', message: 'Post not found.', details: { path: ['id'] } } };
    expect(fast(ErrorBody)(error)).toBe(zod(ErrorBody)(error));
    const health = { status: 'ok', checks: { redis: 'ok', storage: 'ok' } };
    expect(fast(Health)(health)).toBe(zod(Health)(health));
  });

  it('never writes a field the schema does not declare, at any depth', () => {
    const view = withStrayFields(toPostView(fullPost()));
    const written = fast(PostView)(view);
    expect(written).not.toContain('strayField');
    expect(JSON.parse(written)).toEqual(PostView.parse(view));
  });

  it('keeps internal record fields out of a post view even when handed the record itself', () => {
    const post = fullPost();
    const written = fast(PostView)({ ...post, ...toPostView(post) });
    for (const internal of [
      'tenant-secret-name',
      'secret-path',
      'secret-ref-key',
      'secret-storage-key',
      'secret-thumb-key',
    ])
      expect(written).not.toContain(internal);
    expect(Object.keys(JSON.parse(written)).sort()).toEqual(Object.keys(PostView.shape).sort());
  });

  it('refuses a response that lacks a required field', () => {
    const { revision: _revision, ...partial } = toPostView(fullPost());
    expect(() => fast(PostView)(partial)).toThrow(/revision/);
  });

  it('compiles each schema once, however many routes answer with it', () => {
    expect(responseSerializerCompiler({ schema: PostView, method: 'POST', url: '/v1/posts' })).toBe(
      fast(PostView),
    );
  });
});

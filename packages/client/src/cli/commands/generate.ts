import path from 'node:path';
import { CreatePostBody } from '@inkpost/shared/contract';
import type { CreatePostInput, Post } from '../../types.js';
import { type Command, type CommandContext, printJson, stringOption } from '../context.js';
import { readImages, writePostFiles } from '../files.js';
import { Progress } from '../progress.js';
import { EXIT, UsageError } from '../usage.js';

export const generateOptions = {
  images: { type: 'string', multiple: true },
  style: { type: 'string' },
  aspect: { type: 'string' },
  pages: { type: 'string' },
  out: { type: 'string' },
  copy: { type: 'boolean' },
} as const;

const FLAGS: Record<string, string> = {
  topic: 'topic',
  aspectRatio: '--aspect',
  pageCount: '--pages',
  style: '--style',
};

/** The request body, checked with the contract's own schema so a bad flag is a usage error, not a 400. */
function buildBody(ctx: CommandContext, topic: string): CreatePostInput {
  const pages = stringOption(ctx, 'pages');
  const body: CreatePostInput = { topic, autoGenerate: true };
  const style = stringOption(ctx, 'style');
  const aspect = stringOption(ctx, 'aspect');
  if (style !== undefined) body.style = style;
  if (aspect !== undefined) body.aspectRatio = aspect as CreatePostInput['aspectRatio'];
  if (pages !== undefined) {
    if (!/^\d+$/.test(pages)) throw new UsageError(`--pages must be a whole number, not "${pages}"`);
    body.pageCount = Number(pages);
  }
  const parsed = CreatePostBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = FLAGS[String(issue.path[0])] ?? String(issue.path[0]);
    throw new UsageError(`${flag}: ${issue.message}`);
  }
  return body;
}

/**
 * Follows the post to the end of its generation; asks for copy as soon as there is an outline to write it
 * from.
 */
async function follow(ctx: CommandContext, postId: string, progress: Progress, copy: boolean): Promise<Post> {
  let copyRequested = false;
  for await (const event of ctx.client.events(postId, { signal: ctx.signal })) {
    progress.event(event);
    const hasOutline =
      event.name === 'outline.completed' || (event.name === 'snapshot' && event.data.pages.length > 0);
    if (copy && hasOutline && !copyRequested) {
      copyRequested = true;
      await ctx.client.requestCopy(postId, { signal: ctx.signal });
    }
  }
  return ctx.client.getPost(postId, { signal: ctx.signal });
}

/** Waits for the copy (asking for it if that has not happened yet); a post without pages gets none. */
async function ensureCopy(ctx: CommandContext, post: Post, progress: Progress): Promise<Post> {
  if (post.pages.length === 0 || post.copyStatus === 'completed' || post.copyStatus === 'failed') return post;
  if (post.copyStatus === 'none') await ctx.client.requestCopy(post.id, { signal: ctx.signal });
  progress.status('writing copy…');
  const done = (p: Post) => p.copyStatus === 'completed' || p.copyStatus === 'failed';
  return ctx.client.waitFor(post.id, { until: done, signal: ctx.signal });
}

function imageFiles(ctx: CommandContext): string[] {
  const images = ctx.values.images;
  return Array.isArray(images) ? images : [];
}

export const generate: Command = async (ctx) => {
  const topic = ctx.positionals.join(' ').trim();
  if (!topic) throw new UsageError('generate needs a topic: inkpost generate "<topic>"');
  const body = buildBody(ctx, topic);
  const wantCopy = ctx.values.copy === true;
  const images = await readImages(imageFiles(ctx), ctx.cwd);
  const created = await ctx.client.createPost(body, { images, signal: ctx.signal });
  const progress = new Progress(ctx.stderr, !ctx.json && ctx.stderr.isTTY === true);
  let post = await follow(ctx, created.id, progress, wantCopy);
  if (wantCopy) post = await ensureCopy(ctx, post, progress);

  // `{id}` lets a script name the folder before the post exists (`--out out/{id}` is the default).
  const dir = path.resolve(ctx.cwd, (stringOption(ctx, 'out') ?? 'out/{id}').replaceAll('{id}', post.id));
  progress.status('downloading…');
  const files = await writePostFiles(ctx.client, post, dir, { copy: wantCopy, signal: ctx.signal });
  const ok = post.status === 'completed' && (!wantCopy || post.copyStatus === 'completed');
  progress.status(ok ? 'done' : post.status);
  if (ctx.json) {
    printJson(ctx, { id: post.id, status: post.status, copyStatus: post.copyStatus, out: dir, files, post });
  } else {
    const images = post.pages.filter((p) => p.image.version > 0).length;
    const copyNote = wantCopy ? `, copy ${post.copyStatus}` : '';
    ctx.stdout.write(`${post.status}: ${images}/${post.pages.length} images${copyNote}\n`);
    if (post.error) ctx.stdout.write(`error: ${post.error.message}\n`);
    ctx.stdout.write(`written to ${dir}\n`);
  }
  return ok ? EXIT.ok : EXIT.failed;
};

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PostStatus } from '@inkpost/shared/contract';
import type { Post } from '../../types.js';
import { type Command, type CommandContext, printJson, stringOption } from '../context.js';
import { writePageImage } from '../files.js';
import { postDetails, postTable } from '../format.js';
import { EXIT, UsageError } from '../usage.js';

export const listOptions = {
  status: { type: 'string' },
  q: { type: 'string' },
  limit: { type: 'string' },
} as const;
export const outOption = { out: { type: 'string' } } as const;

/** The one positional `command <postId>` takes. */
function postIdArg(ctx: CommandContext, command: string, extra = ''): string {
  const id = ctx.positionals[0];
  if (!id) throw new UsageError(`${command} needs a post id: inkpost ${command} <postId>${extra}`);
  return id;
}

function noMoreArgs(ctx: CommandContext, count: number): void {
  const rest = ctx.positionals.slice(count);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
}

export const list: Command = async (ctx) => {
  noMoreArgs(ctx, 0);
  const status = stringOption(ctx, 'status');
  const limit = stringOption(ctx, 'limit');
  if (status !== undefined && !PostStatus.safeParse(status).success) {
    throw new UsageError(`--status must be one of ${PostStatus.options.join(', ')}`);
  }
  if (limit !== undefined && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 100)) {
    throw new UsageError('--limit must be a number from 1 to 100');
  }
  const result = await ctx.client.listPosts(
    {
      status: status as Post['status'] | undefined,
      q: stringOption(ctx, 'q'),
      limit: limit === undefined ? undefined : Number(limit),
    },
    { signal: ctx.signal },
  );
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(postTable(result.items));
  return EXIT.ok;
};

export const show: Command = async (ctx) => {
  const id = postIdArg(ctx, 'show');
  noMoreArgs(ctx, 1);
  const post = await ctx.client.getPost(id, { signal: ctx.signal });
  if (ctx.json) printJson(ctx, post);
  else ctx.stdout.write(postDetails(post));
  return EXIT.ok;
};

export const download: Command = async (ctx) => {
  const id = postIdArg(ctx, 'download', ' [--out file.zip]');
  noMoreArgs(ctx, 1);
  const file = path.resolve(ctx.cwd, stringOption(ctx, 'out') ?? `${id}.zip`);
  const bytes = await ctx.client.archive(id, { signal: ctx.signal });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  if (ctx.json) printJson(ctx, { id, file, bytes: bytes.byteLength });
  else ctx.stdout.write(`${file} (${bytes.byteLength} bytes)\n`);
  return EXIT.ok;
};

const busy = (post: Post, index: number) => {
  const status = post.pages[index]?.image.status;
  return status === 'queued' || status === 'generating';
};

/** `regenerate <id> <n>`: pages are numbered from 1 here, as people count them; the API counts from 0. */
export const regenerate: Command = async (ctx) => {
  const id = postIdArg(ctx, 'regenerate', ' <page-number>');
  const number = ctx.positionals[1];
  noMoreArgs(ctx, 2);
  if (!number || !/^\d+$/.test(number) || Number(number) < 1) {
    throw new UsageError('regenerate needs a page number from 1: inkpost regenerate <postId> <page-number>');
  }
  const before = await ctx.client.getPost(id, { signal: ctx.signal });
  const index = Number(number) - 1;
  if (index >= before.pages.length) {
    throw new UsageError(`post ${id} has ${before.pages.length} pages; there is no page ${number}`);
  }
  await ctx.client.regeneratePage(id, index, { signal: ctx.signal });
  if (!ctx.json) ctx.stderr.write(`page ${number}: rendering a new version…\n`);
  const post = await ctx.client.waitFor(id, { until: (p) => !busy(p, index), signal: ctx.signal });
  const page = post.pages[index]!;
  const out = stringOption(ctx, 'out');
  let file: string | null = null;
  if (out !== undefined && page.image.status === 'completed') {
    const dir = path.resolve(ctx.cwd, out);
    await mkdir(dir, { recursive: true });
    file = await writePageImage(ctx.client, post, index, dir, ctx.signal);
  }
  report(ctx, post, index, file);
  return page.image.status === 'completed' ? EXIT.ok : EXIT.failed;
};

function report(ctx: CommandContext, post: Post, index: number, file: string | null): void {
  const page = post.pages[index]!;
  if (ctx.json) {
    printJson(ctx, { id: post.id, page: index + 1, image: page.image, file, post });
    return;
  }
  const error = page.image.error ? `: ${page.image.error.message}` : '';
  ctx.stdout.write(`page ${index + 1}: ${page.image.status}, version ${page.image.version}${error}\n`);
  if (file) ctx.stdout.write(`written to ${file}\n`);
}

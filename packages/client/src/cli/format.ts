import type { Post, ProviderInfo, ProviderList } from '../types.js';
import { copyMarkdown } from './files.js';
import { fit, progressBar } from './progress.js';

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `list`: one line per post, newest first. */
export function postTable(posts: Post[]): string {
  if (posts.length === 0) return 'no posts\n';
  const rows = posts.map((p) => {
    const done = p.pages.filter((page) => page.image.status === 'completed').length;
    const pages = `${done}/${p.pages.length}`.padStart(5);
    const updated = p.updatedAt.slice(0, 16).replace('T', ' ');
    return `${p.id}  ${p.status.padEnd(10)} ${pages}  ${updated}  ${fit(oneLine(p.topic), 50)}`;
  });
  const head = `${'id'.padEnd(posts[0]!.id.length)}  ${'status'.padEnd(10)} pages  updated (UTC)     topic`;
  return `${[head, ...rows].join('\n')}\n`;
}

function usageLine(post: Post): string {
  const u = post.usage;
  const cost = u.cost === null ? '' : `, cost ${u.cost.toFixed(4)} ${u.currency ?? ''}`.trimEnd();
  const tokens = `${u.textTokensIn}+${u.textTokensOut} tokens`;
  return `usage: ${u.imagesGenerated} images, ${u.providerCalls} provider calls, ${tokens}${cost}`;
}

/** `show`: the post as a person reads it. */
export function postDetails(post: Post): string {
  const lines = [
    `${post.id}  ${post.status}`,
    `topic: ${post.topic}`,
    `aspect ${post.aspectRatio} · style ${post.style ?? '-'}`,
    `providers: text ${post.textProvider} · image ${post.imageProvider}`,
    `created ${post.createdAt} · updated ${post.updatedAt} · revision ${post.revision}`,
    usageLine(post),
  ];
  if (post.error) lines.push(`error: ${post.error.code}: ${post.error.message}`);
  if (post.pages.length > 0) lines.push('', progressBar(post));
  for (const page of post.pages) {
    const image = page.image;
    const version = image.version > 0 ? ` v${image.version}/${image.versions.length}` : '';
    const error = image.error ? ` (${image.error.message})` : '';
    lines.push(`  ${page.index + 1}. [${page.type}] ${image.status}${version}${error}`);
    lines.push(
      ...page.content
        .trim()
        .split('\n')
        .map((l) => `       ${l}`),
    );
  }
  if (post.copy) lines.push('', copyMarkdown(post.copy).trimEnd());
  else if (post.copyStatus !== 'none') lines.push('', `copy: ${post.copyStatus}`);
  return `${lines.join('\n')}\n`;
}

function providerLine(p: ProviderInfo): string {
  const mark = p.active ? '*' : ' ';
  const model = p.model ? ` model ${p.model}` : '';
  const endpoint = p.endpoint ? ` at ${p.endpoint}` : '';
  return `  ${mark} ${p.name.padEnd(16)} ${p.type}${model}${endpoint}`;
}

/** `providers`: both kinds, the active one starred. */
export function providerTable(list: ProviderList): string {
  const lines = [
    'text providers:',
    ...list.text.map(providerLine),
    'image providers:',
    ...list.image.map(providerLine),
  ];
  return `${lines.join('\n')}\n(* active)\n`;
}

#!/usr/bin/env node
// `pnpm demo "<topic>"`: creates a post (offline defaults unless providers are configured), shows its progress
// live, and writes the images to a folder. Uses the API at INKPOST_URL, or starts the local stack for the run.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startLocalStack } from './lib/stack.mjs';

const topic = process.argv.slice(2).join(' ').trim() || '3岁宝宝冬季保暖攻略';
const headers = process.env.INKPOST_API_KEY ? { authorization: `Bearer ${process.env.INKPOST_API_KEY}` } : {};

async function reachable(url) {
  try {
    return (await fetch(`${url}/healthz`)).ok;
  } catch {
    return false;
  }
}

async function* events(url) {
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' } });
  if (!res.ok) throw new Error(`events answered ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) yield { event, data: JSON.parse(data) };
      cut = buffer.indexOf('\n\n');
    }
  }
}

function describe(event, data, total) {
  const page = (i) => `page ${i + 1}/${total()}`;
  switch (event) {
    case 'snapshot':
      return `post ${data.id}: ${data.status}`;
    case 'outline.completed':
      return `outline ready: ${data.pages.length} pages (${data.pages.map((p) => p.type).join(', ')})`;
    case 'page.started':
      return `${page(data.index)} rendering…`;
    case 'page.completed':
      return `${page(data.index)} done`;
    case 'page.failed':
      return `${page(data.index)} failed: ${data.error.message}`;
    case 'post.completed':
      return `post ${data.status}: ${data.completed} images, ${data.failed} failed`;
    case 'post.failed':
      return `post failed: ${data.error.message}`;
    default:
      return null;
  }
}

async function run(base) {
  const created = await fetch(`${base}/v1/posts`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ topic, autoGenerate: true }),
  });
  if (created.status !== 202) throw new Error(`create answered ${created.status}: ${await created.text()}`);
  const post = await created.json();
  console.log(`topic: ${topic}`);
  let pages = post.pages.length;
  for await (const { event, data } of events(`${base}/v1/posts/${post.id}/events`)) {
    if (event === 'outline.completed') pages = data.pages.length;
    const line = describe(event, data, () => pages);
    if (line) console.log(`  ${line}`);
  }
  const final = await (await fetch(`${base}/v1/posts/${post.id}`, { headers })).json();
  const dir = path.resolve('out', post.id);
  await mkdir(dir, { recursive: true });
  for (const page of final.pages) {
    if (!page.image.url) continue;
    const res = await fetch(new URL(page.image.url, base), { headers });
    const ext = (res.headers.get('content-type') ?? 'image/png').split('/')[1].replace('jpeg', 'jpg');
    await writeFile(
      path.join(dir, `${String(page.index + 1).padStart(2, '0')}.${ext}`),
      Buffer.from(await res.arrayBuffer()),
    );
  }
  const outline = final.pages.map((p) => `## ${p.index + 1}. ${p.type}\n\n${p.content}\n`).join('\n');
  await writeFile(path.join(dir, 'outline.md'), `# ${final.topic}\n\n${outline}`);
  console.log(`\n${final.status}: images and outline written to ${dir}`);
  return final.status === 'completed' ? 0 : 1;
}

const base = process.env.INKPOST_URL ?? 'http://127.0.0.1:3000';
let stack = null;
try {
  if (!(await reachable(base))) {
    console.log(`no API at ${base}: starting Inkpost locally for this run`);
    stack = await startLocalStack({ port: Number(new URL(base).port || 3000), quiet: true });
  }
  process.exitCode = await run(base);
} catch (err) {
  console.error(`demo: ${err.message}`);
  process.exitCode = 1;
} finally {
  await stack?.stop();
}

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPng } from '@inkpost/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../services/api/test/harness.js';
import type { Post, PostList } from '../src/index.js';
import { closedPort } from './proxies.js';
import { readZip } from './zip.js';

// The built CLI, as users run it: `pnpm build` comes first in the test command.
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], opts: { env?: Record<string, string>; cwd?: string; cmd?: string[] } = {}) {
  const [cmd, ...pre] = opts.cmd ?? [process.execPath, MAIN];
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(cmd!, [...pre, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, INKPOST_API_KEY: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const pngsIn = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /^\d\d\.png$/.test(f))
    .sort();

describe('the inkpost CLI against the real API (offline providers)', () => {
  let stack: Stack;
  let cwd: string;
  let env: Record<string, string>;
  let post: Post;
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    run(args, { cwd, env: { ...env, ...extra } });

  beforeAll(async () => {
    stack = await startStack();
    cwd = mkdtempSync(path.join(tmpdir(), 'inkpost-cli-'));
    env = { INKPOST_URL: stack.url };
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('generate writes the pages in order, outline.md and copy.md, with progress on stderr', async () => {
    const out = path.join(cwd, 'winter');
    const r = await cli([
      'generate',
      '3岁宝宝冬季保暖攻略',
      '--pages',
      '4',
      '--style',
      'notebook',
      '--copy',
      '--out',
      out,
    ]);
    expect(r.stderr).toContain('outline ready');
    expect(r.stderr).toMatch(/\[■+\] \d\/\d pages · page \d\/\d done/);
    expect(r.stdout).toContain(`written to ${out}`);
    expect(r.code).toBe(0);

    const id = /post (post_\S+):/.exec(r.stderr)?.[1];
    post = (await (await stack.request('GET', `/v1/posts/${id}`)).json()) as Post;
    expect(post.status).toBe('completed');
    expect(post.style).toBe('notebook');
    const pngs = pngsIn(out);
    expect(pngs).toEqual(post.pages.map((_, i) => `0${i + 1}.png`));
    for (const file of pngs) expect(isPng(readFileSync(path.join(out, file)))).toBe(true);
    const outline = readFileSync(path.join(out, 'outline.md'), 'utf8');
    expect(outline.startsWith('# 3岁宝宝冬季保暖攻略\n')).toBe(true);
    expect(outline).toContain('## 1. cover');
    for (const page of post.pages) expect(outline).toContain(page.content.trim());
    const copy = readFileSync(path.join(out, 'copy.md'), 'utf8');
    expect(copy).toContain('## Titles');
    expect(copy).toContain(post.copy!.titles[0]!);
  });

  it('generate --json with reference images writes to ./out/<postId> and prints the result', async () => {
    const ref = path.join(cwd, 'ref.png');
    writeFileSync(ref, readFileSync(path.join(cwd, 'winter', '01.png')));
    const r = await cli(['generate', 'Camping', 'gear', '--images', 'ref.png', '--aspect', '1:1', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      id: string;
      status: string;
      out: string;
      files: string[];
      post: Post;
    };
    expect(result.status).toBe('completed');
    expect(result.out).toBe(path.join(cwd, 'out', result.id));
    expect(result.post.topic).toBe('Camping gear');
    expect(result.post.aspectRatio).toBe('1:1');
    expect(result.post.referenceImages).toHaveLength(1);
    expect(pngsIn(result.out)).toHaveLength(result.post.pages.length);
    expect(result.files.map((f) => path.basename(f))).toContain('outline.md');
    expect(readdirSync(result.out)).not.toContain('copy.md');
    // Progress still shows, as plain lines on stderr, so stdout is only the JSON.
    expect(r.stderr).toContain('outline ready');
  });

  it('list --json, show --json and show', async () => {
    const listed = await cli(['list', '--json', '--status', 'completed', '--limit', '10']);
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout) as PostList;
    expect(list.items.map((p) => p.id)).toContain(post.id);
    expect(list.items.every((p) => p.status === 'completed')).toBe(true);
    const found = JSON.parse((await cli(['list', '--json', '--q', '宝宝冬季'])).stdout) as PostList;
    expect(found.items.map((p) => p.id)).toEqual([post.id]);

    const shown = await cli(['show', post.id, '--json']);
    expect(shown.code).toBe(0);
    expect((JSON.parse(shown.stdout) as Post).id).toBe(post.id);
    const human = await cli(['show', post.id]);
    expect(human.stdout).toContain(`${post.id}  completed`);
    expect(human.stdout).toContain(`[${'■'.repeat(post.pages.length)}]`);
  });

  it('download writes a valid ZIP of the post', async () => {
    const file = path.join(cwd, 'zips', 'winter.zip');
    const r = await cli(['download', post.id, '--out', file]);
    expect(r.code).toBe(0);
    const zip = await readZip(readFileSync(file));
    const names = [...zip.keys()];
    expect(names).toEqual([...post.pages.map((_, i) => `0${i + 1}.png`), 'outline.md', 'copy.md']);
    expect(isPng(zip.get('01.png')!)).toBe(true);
  });

  it('regenerate <id> <page> waits for the new version and writes it', async () => {
    const out = path.join(cwd, 'winter');
    const r = await cli(['regenerate', post.id, '2', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      page: number;
      image: Post['pages'][number]['image'];
      file: string;
    };
    expect(result.page).toBe(2);
    expect(result.image).toMatchObject({ status: 'completed', version: 2 });
    expect(result.file).toBe(path.join(out, '02.png'));
    expect(isPng(readFileSync(result.file))).toBe(true);
    const after = (await (await stack.request('GET', `/v1/posts/${post.id}`)).json()) as Post;
    expect(after.pages[1]!.image.versions).toHaveLength(2);
  });

  it('providers, and providers test', async () => {
    const list = await cli(['providers', '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { image: { name: string }[] }).image.map((p) => p.name)).toContain(
      'text_card',
    );
    const ok = await cli(['providers', 'test', 'image', 'text_card']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^image text_card: ok in \d+ ms/);
    const json = await cli(['providers', 'test', 'text', 'local', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'text', name: 'local', ok: true });
    const missing = await cli(['providers', 'test', 'image', 'nope']);
    expect(missing.code).toBe(3);
  });

  it('exit 2 for usage errors, before anything is sent', async () => {
    for (const args of [
      ['frobnicate'],
      ['generate'],
      ['generate', 'x', '--aspect', '2:1'],
      ['generate', 'x', '--pages', 'many'],
      ['generate', 'x', '--images', 'missing.png'],
      ['list', '--bogus'],
      ['list', '--status', 'done'],
      ['regenerate', 'post_x', '0'],
      ['providers', 'test', 'video', 'x'],
    ]) {
      const r = await cli(args, { INKPOST_URL: `http://127.0.0.1:${await closedPort()}` });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('inkpost --help');
    }
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });

  it('exit 3 for an unreachable API and for an API error', async () => {
    const down = await cli(['list'], { INKPOST_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/Could not reach the Inkpost API at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    const missing = await cli(['show', 'post_doesnotexist000000', '--json']);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { status: 404, code: 'not_found' } });
  });

  it('pnpm inkpost runs the built CLI from the repository root', async () => {
    const r = await run(['inkpost', 'show', post.id, '--json'], {
      cmd: ['pnpm', '--silent'],
      cwd: ROOT,
      env,
    });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Post).id).toBe(post.id);
  });
});

describe('the inkpost CLI against an API with keys', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ workers: false, env: { API_KEYS: 'acme:secret-key' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('exit 4 for a bad or missing key, 0 with the right one', async () => {
    const bad = await run(['list'], { env: { INKPOST_URL: stack.url, INKPOST_API_KEY: 'wrong-key' } });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('The API key is not valid.');
    expect(bad.stderr).toContain('INKPOST_API_KEY');
    const none = await run(['list'], { env: { INKPOST_URL: stack.url } });
    expect(none.code).toBe(4);
    const good = await run(['list', '--json'], {
      env: { INKPOST_URL: stack.url, INKPOST_API_KEY: 'secret-key' },
    });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({ items: [], nextCursor: null });
  });
});

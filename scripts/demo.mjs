#!/usr/bin/env node
// `pnpm demo "<topic>"`: generates a post with the `inkpost` CLI (offline defaults unless providers are
// configured): live progress, then the images and outline.md in out/<postId>/. Uses the API at INKPOST_URL,
// or starts the local stack for the run. Exits with the CLI's exit code (see `pnpm inkpost --help`).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalStack } from './lib/stack.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/client/dist/cli/main.js');
const topic = process.argv.slice(2).join(' ').trim() || '3岁宝宝冬季保暖攻略';
const base = process.env.INKPOST_URL ?? 'http://127.0.0.1:3000';

async function reachable(url) {
  try {
    return (await fetch(`${url}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** Runs the CLI with this terminal, so its progress redraws in place; resolves with its exit code. */
function inkpost(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: 'inherit',
      env: { ...process.env, INKPOST_URL: base },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

// Ctrl+C reaches the CLI too (same terminal): it stops and exits 130, then the stack below is stopped.
process.on('SIGINT', () => {});

let stack = null;
try {
  if (!(await reachable(base))) {
    console.log(`no API at ${base}: starting Inkpost locally for this run`);
    stack = await startLocalStack({ port: Number(new URL(base).port || 3000), quiet: true });
  }
  console.log(`topic: ${topic}`);
  process.exitCode = await inkpost(['generate', topic, '--out', path.join(root, 'out', '{id}')]);
} catch (err) {
  console.error(`demo: ${err.message}`);
  process.exitCode = 1;
} finally {
  await stack?.stop();
}

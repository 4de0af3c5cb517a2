#!/usr/bin/env node
// The `inkpost` command: wires the process (argv, env, streams, Ctrl+C) to runCli.
import { runCli } from './run.js';

const controller = new AbortController();
// The first Ctrl+C stops waiting and exits 130; the post keeps running on the server. A second one is Node's.
process.once('SIGINT', () => controller.abort());

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});

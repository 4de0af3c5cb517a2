// Helper processes of the bench (provider, load generators, SSE subscribers), talking over IPC.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, memoryMb } from './proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Forks `bench/children/<name>.mjs` and resolves with the child and its first message. Further messages are
 * awaited with `next()`, requests sent with `send()`.
 */
export async function startChild(name, env = {}, execArgv = []) {
  const child = fork(path.join(here, '..', 'children', `${name}.mjs`), [], {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue = [];
  const waiters = [];
  child.on('message', (m) => (waiters.length ? waiters.shift().resolve(m) : queue.push(m)));
  child.once('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${name} exited with ${code}`));
  });
  const next = (timeoutMs = 600_000) =>
    queue.length
      ? Promise.resolve(queue.shift())
      : new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${name}: no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
          waiters.push({
            resolve: (m) => {
              clearTimeout(timer);
              resolve(m);
            },
            reject,
          });
        });
  const handle = {
    child,
    pid: child.pid,
    next,
    send: (m) => child.send(m),
    /** Sends a request and waits for the answer. */
    async ask(m, timeoutMs) {
      child.send(m);
      return next(timeoutMs);
    },
    cpuMs: () => cpuMs(child.pid),
    memory: () => memoryMb(child.pid),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
  handle.first = await next(120_000);
  return handle;
}

// The bench's Redis: a private redis-server (so INFO counters see only this run), or BENCH_REDIS_URL.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from './stack.mjs';
import { importDependency } from './workspace.mjs';

const { Redis } = await importDependency('packages/core', 'ioredis');

export { Redis };

async function waitForPing(url, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis at ${url} does not answer: ${err.message}`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      client.disconnect();
    }
  }
}

/**
 * Starts `redis-server` on a free port without persistence, or uses BENCH_REDIS_URL. With a shared Redis the
 * command and CPU counters include other clients' work, which the result then says.
 */
export async function startRedis(say) {
  if (process.env.BENCH_REDIS_URL) {
    await waitForPing(process.env.BENCH_REDIS_URL);
    return { url: process.env.BENCH_REDIS_URL, private: false, pid: null, close: async () => {} };
  }
  if (spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'redis-server is not installed (apt-get install -y redis-server) and BENCH_REDIS_URL is unset',
    );
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxclients',
      '20000',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitForPing(url);
  say?.(`redis-server ${url} (pid ${child.pid}, private to this run)`);
  return {
    url,
    private: true,
    pid: child.pid,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A random KEY_PREFIX for one phase. */
export const randomPrefix = (phase) => `bench_${phase}_${randomBytes(4).toString('hex')}`;

/** Parses INFO output into { field: value }. */
export function parseInfo(text) {
  const out = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/** Calls per command and Redis's own CPU seconds, for before/after deltas. */
export async function redisCounters(client) {
  const stats = parseInfo(await client.info('commandstats'));
  const cpu = parseInfo(await client.info('cpu'));
  const calls = {};
  for (const [key, value] of Object.entries(stats)) {
    const m = /^cmdstat_(.+)$/.exec(key);
    const n = /calls=(\d+)/.exec(value);
    if (m && n) calls[m[1]] = Number(n[1]);
  }
  return {
    calls,
    cpuMs: (Number(cpu.used_cpu_sys) + Number(cpu.used_cpu_user)) * 1000,
    cpuMainMs:
      (Number(cpu.used_cpu_sys_main_thread ?? 0) + Number(cpu.used_cpu_user_main_thread ?? 0)) * 1000,
  };
}

/** What happened between two counter readings: calls per command (sorted, most first), totals and CPU. */
export function counterDelta(before, after) {
  const byCommand = {};
  let total = 0;
  for (const [cmd, n] of Object.entries(after.calls)) {
    const d = n - (before.calls[cmd] ?? 0);
    if (d > 0) {
      byCommand[cmd] = d;
      total += d;
    }
  }
  const sorted = Object.fromEntries(Object.entries(byCommand).sort((a, b) => b[1] - a[1]));
  return {
    total,
    byCommand: sorted,
    cpuMs: after.cpuMs - before.cpuMs,
    cpuMainMs: after.cpuMainMs - before.cpuMainMs,
  };
}

/** Deletes every key of a prefix (KEY_PREFIX keys are hash-tagged as `{prefix}:…`). */
export async function cleanupPrefix(client, prefix) {
  if (!/^bench_/.test(prefix)) throw new Error(`refusing to clean up prefix ${prefix}`);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

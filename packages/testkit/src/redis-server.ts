import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A redis-server of a test's own, on a random port with its data in a temp dir, that the test may kill and restart
 * at will. Tests that break Redis must never touch the shared one other test files use.
 */
export interface OwnRedisServer {
  url: string;
  port: number;
  dir: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Kills the server (SIGKILL by default: a crash) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers PING (after replaying its AOF). */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

export interface OwnRedisOptions {
  /** `always` loses nothing a client was told was written, even on SIGKILL; `everysec` may lose up to 1 s. */
  appendfsync?: 'always' | 'everysec' | 'no';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True only for `+PONG`: a Redis still loading its AOF answers `-LOADING`, which is not ready yet. */
function pong(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('+PONG')));
  });
}

/** Starts a redis-server with `--appendonly yes` on 127.0.0.1 and a random port, its data in a fresh temp dir. */
export async function startOwnRedis(opts: OwnRedisOptions = {}): Promise<OwnRedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'inkpost-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    opts.appendfsync ?? 'always',
    '--save',
    '',
  ];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    if (child) throw new Error('redis-server is already running');
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    child = proc;
    exited = new Promise<void>((resolve) =>
      proc.once('exit', () => {
        if (child === proc) child = null;
        resolve();
      }),
    );
    for (let i = 0; i < 200; i++) {
      if (await pong(port)) return;
      if (proc.exitCode !== null) break;
      await sleep(25);
    }
    throw new Error(`redis-server on port ${port} did not answer PING (exit code ${proc.exitCode})`);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return child !== null;
    },
    kill,
    start,
    async close() {
      await kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLogLine } from './log-format.mjs';
import { startS3rver } from './s3.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVICES = ['api', 'outline-worker', 'image-worker'];

/** Sends PING over a raw socket: true when a Redis answers at the URL. */
export function redisAnswers(url, timeoutMs = 1_000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH')));
  });
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Uses the Redis at REDIS_URL, or starts one for this session with its data under ./data/redis. */
export async function ensureRedis(env, say) {
  const url = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return { url, close: async () => {} };
  if (!hasCommand('redis-server')) {
    throw new Error(
      `Redis is not reachable at ${url} and redis-server is not installed.\n` +
        '  Debian/Ubuntu: sudo apt-get install -y redis-server\n' +
        '  macOS:         brew install redis\n' +
        '  or point REDIS_URL at a running Redis.',
    );
  }
  const port = Number(new URL(url).port || 6379);
  const dir = path.join(root, 'data/redis');
  mkdirSync(dir, { recursive: true });
  say(`starting redis-server on port ${port} (data in ${dir})`);
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 50 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await redisAnswers(url))) throw new Error(`redis-server did not start on port ${port}`);
  return { url, close: async () => void child.kill('SIGTERM') };
}

/** Uses S3_ENDPOINT when set, else runs s3rver with its data under ./data/s3. */
export async function ensureS3(env, say) {
  if (env.S3_ENDPOINT) return { env: {}, close: async () => {} };
  const directory = path.join(root, 'data/s3');
  const s3 = await startS3rver({ port: Number(env.S3_PORT ?? 9310), directory });
  say(`S3 (s3rver) at ${s3.endpoint}, data in ${directory}`);
  return {
    env: {
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    close: s3.close,
  };
}

/** Starts Redis and S3 if needed, then the three built services; resolves once the API answers. */
export async function startLocalStack({ env = process.env, port, quiet = false, say = console.log } = {}) {
  const redis = await ensureRedis(env, say);
  const s3 = await ensureS3(env, say);
  const childEnv = {
    ...env,
    ...s3.env,
    REDIS_URL: redis.url,
    PORT: String(port ?? env.PORT ?? 3000),
    HOST: env.HOST ?? '127.0.0.1',
  };
  const children = SERVICES.map((name) => {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', path.join(root, 'services', name, 'dist/main.js')],
      {
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.on('data', (chunk) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        if (!quiet) for (const line of lines) if (line.trim()) say(formatLogLine(name, line));
      });
    }
    child.on('exit', (code, signal) => {
      if (!stopping && code !== 0) say(`${name} exited (${signal ?? code})`);
    });
    return child;
  });
  let stopping = false;
  const url = `http://127.0.0.1:${childEnv.PORT}`;
  await waitForHttp(`${url}/readyz`, children);
  return {
    url,
    async stop() {
      stopping = true;
      await Promise.all(children.map(stopChild));
      await s3.close();
      await redis.close();
    },
  };
}

function stopChild(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

async function waitForHttp(url, children, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (children.some((c) => c.exitCode !== null))
      throw new Error('a service exited during start-up (see its log above)');
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the API did not become ready at ${url}`);
}

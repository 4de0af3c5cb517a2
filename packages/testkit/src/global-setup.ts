import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestProject } from 'vitest/node';
import type { TestEnv } from './test-env.js';

type Teardown = () => Promise<void>;

const log = (message: string) => console.log(`[testkit] ${message}`);

/** Sends PING over a raw socket; true only for `+PONG` (a password-protected Redis is not usable either). */
function redisAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
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

/** PING through ioredis, which handles the password, database and TLS a REDIS_URL may carry. */
async function redisUrlAnswers(url: string): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // the failed connect already rejects below; don't also log it as unhandled
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

let runtimeCheck: Promise<boolean> | undefined;

/** Whether testcontainers finds a container runtime; it fails fast when there is none. */
function containerRuntimeWorks(): Promise<boolean> {
  runtimeCheck ??= import('testcontainers')
    .then(({ getContainerRuntimeClient }) => getContainerRuntimeClient())
    .then(
      () => true,
      (err: unknown) => {
        log(`no container runtime (${err instanceof Error ? err.message : String(err)})`);
        return false;
      },
    );
  return runtimeCheck;
}

async function onPath(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const ok = await access(join(dir, command), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return true;
  }
  return false;
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

async function spawnRedisServer(teardowns: Teardown[]): Promise<string> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  teardowns.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers('127.0.0.1', port, 200)) return `redis://127.0.0.1:${port}`;
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING (exit code ${child.exitCode})`);
}

async function resolveRedis(teardowns: Teardown[]): Promise<string> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    if (!(await redisUrlAnswers(fromEnv))) throw new Error(`REDIS_URL=${fromEnv} does not answer PING`);
    return fromEnv;
  }
  if (await redisAnswers('127.0.0.1', 6379)) return 'redis://127.0.0.1:6379';
  if (await containerRuntimeWorks()) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    teardowns.push(async () => void (await container.stop()));
    return container.getConnectionUrl();
  }
  if (await onPath('redis-server')) return spawnRedisServer(teardowns);
  throw new Error(
    'Tests need a real Redis, and none was found: set REDIS_URL, run Redis on 127.0.0.1:6379, ' +
      'start Docker (or another container runtime), or install redis-server (e.g. `apt-get install redis-server`).',
  );
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections?: () => void };
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

async function startS3rver(teardowns: Teardown[]): Promise<TestEnv['s3']> {
  const directory = await mkdtemp(join(tmpdir(), 'inkpost-s3rver-'));
  teardowns.push(() => rm(directory, { recursive: true, force: true }));
  // s3rver ships no types; importing through a variable keeps tsc from demanding a declaration file.
  const specifier = 's3rver';
  const { default: S3rver } = (await import(specifier)) as { default: S3rverClass };
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  teardowns.push(async () => {
    server.httpServer?.closeAllConnections?.();
    await server.close();
  });
  // s3rver checks signatures against its fixed S3RVER/S3RVER key pair.
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
  };
}

async function resolveS3(teardowns: Teardown[]): Promise<TestEnv['s3']> {
  const endpoint = process.env.S3_ENDPOINT;
  if (endpoint) {
    return {
      endpoint,
      accessKeyId: process.env.S3_ACCESS_KEY_ID || 'S3RVER',
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY || 'S3RVER',
      region: process.env.S3_REGION || 'us-east-1',
    };
  }
  if (await containerRuntimeWorks()) {
    const { MinioContainer } = await import('@testcontainers/minio');
    const container = await new MinioContainer('minio/minio:RELEASE.2025-02-28T09-55-16Z').start();
    teardowns.push(async () => void (await container.stop()));
    return {
      endpoint: container.getConnectionUrl(),
      accessKeyId: container.getUsername(),
      secretAccessKey: container.getPassword(),
      region: 'us-east-1',
    };
  }
  return startS3rver(teardowns);
}

async function runAll(teardowns: Teardown[]): Promise<void> {
  for (const teardown of [...teardowns].reverse()) {
    await teardown().catch((err: unknown) => log(`teardown failed: ${String(err)}`));
  }
}

/** Vitest global setup: finds or starts a real Redis and S3 and hands them to every test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardowns: Teardown[] = [];
  try {
    const env: TestEnv = { redisUrl: await resolveRedis(teardowns), s3: await resolveS3(teardowns) };
    // Workers are forked after global setup, so they inherit these; provide() serves inject('testEnv').
    Object.assign(process.env, {
      REDIS_URL: env.redisUrl,
      S3_ENDPOINT: env.s3.endpoint,
      S3_ACCESS_KEY_ID: env.s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: env.s3.secretAccessKey,
      S3_REGION: env.s3.region,
      S3_FORCE_PATH_STYLE: 'true',
    });
    // The SDK's "Node 20 support ends in 2027" notice would otherwise print once per test worker.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    project.provide('testEnv', env);
    log(`Redis ${env.redisUrl}, S3 ${env.s3.endpoint}`);
  } catch (err) {
    await runAll(teardowns);
    throw err;
  }
  return () => runAll(teardowns);
}

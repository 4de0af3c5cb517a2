// The three services as separate OS processes (their built entry points), configured by environment like a
// deployment, plus helpers for their CPU and memory.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cpuMs, memoryMb, resetPeak } from './proc.mjs';
import { serviceMain } from './workspace.mjs';

const READY_LINE = {
  'outline-worker': 'outline worker started',
  'image-worker': 'image worker started',
};
// The connection a worker opens last while starting (its cancel subscription), for log levels that hide READY_LINE.
const LAST_CONNECTION = {
  'outline-worker': 'inkpost-text-control',
  'image-worker': 'inkpost-image-control',
};

async function connectionsNamed(redis, name) {
  const list = await redis.client('LIST');
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Provider YAML in RedInk's format. */
export function textProvidersYaml(baseUrl) {
  return [
    'active_provider: bench',
    'providers:',
    '  bench:',
    '    type: openai_compatible',
    '    api_key: bench-key',
    `    base_url: ${baseUrl}`,
    '    model: bench-text',
    '    endpoint_type: /v1/chat/completions',
  ].join('\n');
}

export function imageProvidersYaml(baseUrl, concurrency) {
  return [
    'active_provider: bench',
    'providers:',
    '  bench:',
    '    type: image_api',
    '    api_key: bench-key',
    `    base_url: ${baseUrl}`,
    '    model: bench-image',
    '    endpoint_type: /v1/images/generations',
    `    concurrency: ${concurrency}`,
  ].join('\n');
}

/** BENCH_SERVICE_ENV="NAME=value,NAME=value": extra settings for every service (to try a setting's effect). */
function extraServiceEnv() {
  const out = {};
  for (const pair of (process.env.BENCH_SERVICE_ENV ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

class Service {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.logLines = 0;
    this.tail = [];
    this.partial = '';
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  cpuMs() {
    return cpuMs(this.pid);
  }

  memory() {
    return memoryMb(this.pid);
  }

  resetPeak() {
    resetPeak(this.pid);
  }

  onOutput(chunk) {
    const lines = (this.partial + chunk.toString()).split('\n');
    this.partial = lines.pop() ?? '';
    this.logLines += lines.length;
    this.tail.push(...lines);
    if (this.tail.length > 40) this.tail.splice(0, this.tail.length - 40);
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function spawnService(name, env, nodeArgs) {
  const child = spawn(process.execPath, [...nodeArgs, serviceMain(name)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service = new Service(name, child);
  child.stdout.on('data', (c) => service.onOutput(c));
  child.stderr.on('data', (c) => service.onOutput(c));
  return service;
}

async function waitReady(service, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) break;
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${service.name} did not become ready:\n  ${service.tail.join('\n  ')}`);
}

/**
 * Starts the API, the outline worker and the image worker as processes on one Redis and one storage.
 * `storage`: { s3: { endpoint, accessKeyId, secretAccessKey }, bucket } or { dir } (filesystem).
 * Node flags per service (e.g. --cpu-prof) come from BENCH_NODE_ARGS_API / _OUTLINE_WORKER / _IMAGE_WORKER.
 */
export async function startStack({ redis, prefix, storage, textUrl, imageUrl, concurrency, env = {}, only }) {
  const redisUrl = redis.url;
  const dir = mkdtempSync(path.join(tmpdir(), 'inkpost-bench-'));
  const textFile = path.join(dir, 'text.yaml');
  const imageFile = path.join(dir, 'image.yaml');
  writeFileSync(textFile, textProvidersYaml(textUrl));
  writeFileSync(imageFile, imageProvidersYaml(imageUrl, concurrency));
  const storageDir = storage.dir ?? null;
  const port = await freePort();
  const common = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    REDIS_URL: redisUrl,
    KEY_PREFIX: prefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    TEXT_PROVIDERS_FILE: textFile,
    IMAGE_PROVIDERS_FILE: imageFile,
    PORT: String(port),
    HOST: '127.0.0.1',
    // The API's per-client limit would throttle a load generator that is one client; high enough to never bite.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...(storage.s3
      ? {
          S3_ENDPOINT: storage.s3.endpoint,
          S3_BUCKET: storage.bucket,
          S3_ACCESS_KEY_ID: storage.s3.accessKeyId,
          S3_SECRET_ACCESS_KEY: storage.s3.secretAccessKey,
          S3_FORCE_PATH_STYLE: 'true',
        }
      : { STORAGE_DIR: storageDir }),
    ...env,
    ...extraServiceEnv(),
  };
  const names = only ?? ['api', 'outline-worker', 'image-worker'];
  const logsReady = ['info', 'debug', 'trace'].includes(common.LOG_LEVEL);
  const connectionsBefore = {};
  for (const name of names) {
    if (LAST_CONNECTION[name])
      connectionsBefore[name] = await connectionsNamed(redis.client, LAST_CONNECTION[name]);
  }
  const services = {};
  for (const name of names) {
    const key = `BENCH_NODE_ARGS_${name.replace('-', '_').toUpperCase()}`;
    const nodeArgs = (process.env[key] ?? '').split(' ').filter(Boolean);
    services[name] = spawnService(name, common, nodeArgs);
  }
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.all(
      names.map((name) =>
        waitReady(services[name], async () => {
          if (name === 'api') {
            try {
              return (await fetch(`${url}/readyz`)).ok;
            } catch {
              return false;
            }
          }
          if (logsReady) return services[name].tail.some((l) => l.includes(READY_LINE[name]));
          return (await connectionsNamed(redis.client, LAST_CONNECTION[name])) > connectionsBefore[name];
        }),
      ),
    );
  } catch (err) {
    await Promise.all(Object.values(services).map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    services,
    pids: Object.fromEntries(Object.entries(services).map(([n, s]) => [n, s.pid])),
    /** Throws when a service died during the phase. */
    assertAlive() {
      for (const s of Object.values(services)) {
        if (s.child.exitCode !== null || s.child.signalCode !== null)
          throw new Error(`${s.name} exited during the run:\n  ${s.tail.join('\n  ')}`);
      }
    },
    async stop() {
      await Promise.all(Object.values(services).map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

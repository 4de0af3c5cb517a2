import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createLogger, createStorage } from '@inkpost/core';
import { loadImageWorkerConfig, startImageWorker } from '@inkpost/image-worker';
import { loadOutlineWorkerConfig, startOutlineWorker } from '@inkpost/outline-worker';
import { ApiEnv, type ApiEnv as ApiEnvType, type PostView, parseEnv } from '@inkpost/shared';
import {
  cleanupRedisPrefix,
  createS3Client,
  emptyAndDeleteBucket,
  randomBucket,
  randomPrefix,
  testEnv,
} from '@inkpost/testkit';
import type { FastifyInstance } from 'fastify';
import { buildApp, createApiContext } from '../src/index.js';
import { readSse, type SseMessage } from './sse-client.js';

export interface StackOptions {
  textProvidersYaml?: string;
  imageProvidersYaml?: string;
  env?: Record<string, string>;
  /** Start the workers (default true). */
  workers?: boolean;
  /** Run the image worker as this many separate OS processes (the built service) instead of in this process. */
  imageWorkerProcesses?: number;
  /** Run the outline worker as an OS process (the built service) instead of in this process, so it can be killed. */
  outlineWorkerProcess?: boolean;
  /** Pipe the worker processes' stderr too (otherwise inherited), so `processOutput` holds all they print. */
  captureProcessOutput?: boolean;
}

/** One chunk a worker process printed. */
export interface ProcessOutput {
  pid: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface Stack {
  url: string;
  app: FastifyInstance;
  prefix: string;
  bucket: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  createPost(body: Record<string, unknown>): Promise<PostView>;
  /** Follows a post's SSE stream until it ends (or the timeout), returning every message. */
  follow(postId: string, timeoutMs?: number, lastEventId?: string): Promise<SseMessage[]>;
  listObjects(prefix?: string): Promise<string[]>;
  /** Polls the post until `done` says so (for states that do not end the event stream, like `outlined`). */
  waitFor(postId: string, done: (post: PostView) => boolean, timeoutMs?: number): Promise<PostView>;
  /** The image-worker OS processes when `imageWorkerProcesses` was given. */
  imageWorkers: ChildProcess[];
  /** Starts one more image-worker OS process. */
  spawnImageWorker(): Promise<ChildProcess>;
  /** The outline-worker OS processes when `outlineWorkerProcess` was given. */
  outlineWorkers: ChildProcess[];
  /** Starts one more outline-worker OS process. */
  spawnOutlineWorker(): Promise<ChildProcess>;
  /** Everything this stack's worker processes printed (stderr only with `captureProcessOutput`). */
  processOutput: ProcessOutput[];
  /** Another API process on the same Redis/S3/prefix, as a second instance behind a load balancer would be. */
  secondApi(): Promise<{ url: string; close: () => Promise<void> }>;
  close(): Promise<void>;
}

async function listen(env: ApiEnvType, processEnv: NodeJS.ProcessEnv) {
  const ctx = await createApiContext(env, createLogger('test', env.LOG_LEVEL), processEnv);
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { ctx, app, url };
}

function writeTemp(name: string, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'inkpost-test-'));
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** Everything the spawned worker processes logged (their stdout), for checks such as "no secret in any log". */
export const workerLogs: string[] = [];

const IMAGE_WORKER_MAIN = fileURLToPath(new URL('../../image-worker/dist/main.js', import.meta.url));
const OUTLINE_WORKER_MAIN = fileURLToPath(new URL('../../outline-worker/dist/main.js', import.meta.url));

interface SpawnOptions {
  main: string;
  name: string;
  ready: string;
  /** Pipe stderr into `sink` instead of inheriting it. */
  captureStderr?: boolean;
  sink?: ProcessOutput[];
}

async function spawnWorkers(n: number, env: NodeJS.ProcessEnv, o: SpawnOptions): Promise<ChildProcess[]> {
  const processes = Array.from({ length: n }, () =>
    spawn(process.execPath, [o.main], {
      env: { ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', o.captureStderr ? 'pipe' : 'inherit'],
    }),
  );
  for (const child of processes) {
    child.stderr?.on('data', (chunk: Buffer) => {
      o.sink?.push({ pid: child.pid ?? 0, stream: 'stderr', text: chunk.toString() });
      if (process.env.TEST_WORKER_LOGS) process.stderr.write(chunk);
    });
  }
  // Ready once each has logged that it started (its queues and global limits are set by then).
  await Promise.all(
    processes.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`${o.name} exited with ${code}`)));
          child.stdout!.on('data', (chunk: Buffer) => {
            workerLogs.push(chunk.toString());
            o.sink?.push({ pid: child.pid ?? 0, stream: 'stdout', text: chunk.toString() });
            if (process.env.TEST_WORKER_LOGS) process.stderr.write(chunk);
            if (chunk.toString().includes(o.ready)) resolve();
          });
        }),
    ),
  );
  return processes;
}

function spawnImageWorkers(
  n: number,
  env: NodeJS.ProcessEnv,
  capture?: Pick<SpawnOptions, 'captureStderr' | 'sink'>,
): Promise<ChildProcess[]> {
  return spawnWorkers(n, env, {
    main: IMAGE_WORKER_MAIN,
    name: 'image-worker',
    ready: 'image worker started',
    ...capture,
  });
}

function spawnOutlineWorkers(
  n: number,
  env: NodeJS.ProcessEnv,
  capture?: Pick<SpawnOptions, 'captureStderr' | 'sink'>,
): Promise<ChildProcess[]> {
  return spawnWorkers(n, env, {
    main: OUTLINE_WORKER_MAIN,
    name: 'outline-worker',
    ready: 'outline worker started',
    ...capture,
  });
}

async function stopProcesses(processes: ChildProcess[]): Promise<void> {
  await Promise.all(
    processes.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** The whole system in this process on the real Redis and S3: API on a random port plus both workers. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const t = testEnv();
  const prefix = randomPrefix();
  const bucket = randomBucket();
  const processEnv: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: t.redisUrl,
    KEY_PREFIX: prefix,
    S3_ENDPOINT: t.s3.endpoint,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: t.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: t.s3.secretAccessKey,
    S3_REGION: t.s3.region,
    S3_FORCE_PATH_STYLE: 'true',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SSE_PING_MS: '1000',
    RETRY_BACKOFF_MS: '200',
    TEXT_PROVIDERS_FILE: opts.textProvidersYaml ? writeTemp('text.yaml', opts.textProvidersYaml) : '',
    IMAGE_PROVIDERS_FILE: opts.imageProvidersYaml ? writeTemp('image.yaml', opts.imageProvidersYaml) : '',
    ...opts.env,
  };
  const env = parseEnv(ApiEnv, processEnv);
  const log = createLogger('test', env.LOG_LEVEL);
  const { ctx, app, url } = await listen(env, processEnv);

  const closers: (() => Promise<void>)[] = [];
  const imageWorkers: ChildProcess[] = [];
  const outlineWorkers: ChildProcess[] = [];
  const processOutput: ProcessOutput[] = [];
  const capture = { captureStderr: opts.captureProcessOutput, sink: processOutput };
  closers.push(
    () => stopProcesses(imageWorkers),
    () => stopProcesses(outlineWorkers),
  );
  if (opts.workers !== false) {
    const storage = createStorage(env);
    if (opts.outlineWorkerProcess) {
      outlineWorkers.push(...(await spawnOutlineWorkers(1, processEnv, capture)));
    } else {
      const outlineConfig = loadOutlineWorkerConfig(processEnv);
      const outline = await startOutlineWorker({ ...outlineConfig.options(storage, log), concurrency: 2 });
      closers.push(outline.close);
    }
    closers.push(async () => storage.close());
    if (opts.imageWorkerProcesses) {
      imageWorkers.push(...(await spawnImageWorkers(opts.imageWorkerProcesses, processEnv, capture)));
    } else {
      const image = await startImageWorker(loadImageWorkerConfig(processEnv).options(storage, log));
      closers.push(image.close);
    }
  }

  // A test that brings its own Redis or S3 (to break them) is listed and cleaned up there, not on the shared ones.
  const redisUrl = opts.env?.REDIS_URL ?? t.redisUrl;
  const s3 = await createS3Client(opts.env?.S3_ENDPOINT ? { ...t.s3, endpoint: opts.env.S3_ENDPOINT } : t);
  const request = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${p}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  return {
    url,
    app,
    prefix,
    bucket,
    request,
    async createPost(body) {
      const res = await request('POST', '/v1/posts', body);
      if (res.status !== 202) throw new Error(`create answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as PostView;
    },
    async follow(postId, timeoutMs = 20_000, lastEventId) {
      const messages: SseMessage[] = [];
      const signal = AbortSignal.timeout(timeoutMs);
      for await (const m of readSse(`${url}/v1/posts/${postId}/events`, { signal, lastEventId }))
        messages.push(m);
      return messages;
    },
    async waitFor(postId, done, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const post = (await (await request('GET', `/v1/posts/${postId}`)).json()) as PostView;
        if (done(post)) return post;
        if (Date.now() > deadline) throw new Error(`post ${postId} is still ${post.status}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async listObjects(p = 'posts/') {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p }));
      return (out.Contents ?? []).map((o) => o.Key!).sort();
    },
    imageWorkers,
    async spawnImageWorker() {
      const [child] = await spawnImageWorkers(1, processEnv, capture);
      imageWorkers.push(child!);
      return child!;
    },
    outlineWorkers,
    async spawnOutlineWorker() {
      const [child] = await spawnOutlineWorkers(1, processEnv, capture);
      outlineWorkers.push(child!);
      return child!;
    },
    processOutput,
    async secondApi() {
      const second = await listen(env, processEnv);
      return {
        url: second.url,
        close: async () => {
          await second.app.close();
          await second.ctx.close();
        },
      };
    },
    async close() {
      await app.close();
      for (const close of closers) await close();
      await ctx.close();
      await cleanupRedisPrefix(redisUrl, prefix);
      await emptyAndDeleteBucket(s3, bucket).catch(() => {});
      s3.destroy();
    },
  };
}

// The usual set-up of a phase: a random KEY_PREFIX, a storage directory, the bench provider in its own process,
// the three services, an SSE agent — each registered with the phase's Resources, so a failure half-way still cleans
// up (processes stopped, directory removed, the prefix's Redis keys deleted).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startChild } from './children.mjs';
import { cleanupPrefix, randomPrefix } from './redis.mjs';
import { sseAgent } from './sse.mjs';
import { startStack } from './stack.mjs';

export function tempDir(resources, name) {
  const dir = mkdtempSync(path.join(tmpdir(), `inkpost-bench-${name}-`));
  return resources.add(dir, () => rmSync(dir, { recursive: true, force: true }));
}

export function benchPrefix(resources, redis, phase) {
  const prefix = randomPrefix(phase);
  return resources.add(prefix, () => cleanupPrefix(redis.client, prefix));
}

export function agentFor(resources) {
  const agent = sseAgent();
  return resources.add(agent, () => agent.destroy());
}

export async function startServices(resources, options) {
  const stack = await startStack(options);
  return resources.add(stack, () => stack.stop());
}

/** The bench provider (`providerEnv`: its BENCH_PROVIDER_* settings) and the services on filesystem storage. */
export async function benchStack(resources, { redis, phase, providerEnv = {}, concurrency, env }) {
  const prefix = benchPrefix(resources, redis, phase);
  const dir = tempDir(resources, 'fs');
  const provider = await startChild('provider', providerEnv);
  resources.add(provider, () => provider.stop());
  const stack = await startServices(resources, {
    redis,
    prefix,
    storage: { dir },
    textUrl: provider.first.url,
    imageUrl: provider.first.url,
    concurrency,
    env,
  });
  return { prefix, provider, stack, agent: agentFor(resources) };
}

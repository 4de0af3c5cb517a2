import { BrokenRun, createPost } from '../lib/api.mjs';
import { bullmqScriptNames } from '../lib/bullmq-scripts.mjs';
import { startMonitor } from '../lib/monitor.mjs';
import { Resources } from '../lib/resources.mjs';
import { benchStack } from '../lib/setup.mjs';
import { follow } from '../lib/sse.mjs';
import { round } from '../lib/stats.mjs';

const PAGES = 8;

/** A key without its prefix and ids: `{p}:post:post_abc:events` → `post:*:events`. */
const keyPattern = (key) =>
  String(key ?? '')
    .replace(/^\{[^}]+\}:/, '')
    .split(':')
    .map((part) => (/^(post|page|req)_|\d/.test(part) ? '*' : part))
    .join(':');

/** addr → service, from the connection names the services give their Redis connections. */
async function connectionOwners(client) {
  const owners = new Map();
  for (const line of (await client.client('LIST')).split('\n')) {
    const addr = / addr=(\S+)/.exec(line)?.[1];
    const name = / name=(\S*)/.exec(line)?.[1] ?? '';
    if (!addr) continue;
    // BullMQ names its own blocking connections `<prefix>:<base64 queue name>`.
    const bullQueue = /^\{[^}]+\}:(.+)$/.exec(name)?.[1];
    const queue = bullQueue ? Buffer.from(bullQueue, 'base64').toString() : null;
    const owner = queue
      ? queue.startsWith('image-')
        ? 'image-worker'
        : 'outline-worker'
      : /^inkpost-api/.test(name)
        ? 'api'
        : /^inkpost-(text|outline|copy|webhook)/.test(name)
          ? 'outline-worker'
          : /^inkpost-image/.test(name)
            ? 'image-worker'
            : name || 'unnamed';
    owners.set(addr, owner);
  }
  return owners;
}

async function runPosts(url, agent, count) {
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const post = await createPost(url, { topic: `redis ${i}`, autoGenerate: true });
      const { terminal } = await follow(url, post.id, { agent });
      if (!terminal) throw new BrokenRun(`post ${post.id} did not complete`);
    }),
  );
}

export async function redisPhase({ redis, say }) {
  const posts = 5;
  const scripts = bullmqScriptNames();
  const resources = new Resources();
  try {
    const { stack, agent } = await benchStack(resources, {
      redis,
      phase: 'rmon',
      providerEnv: { BENCH_PROVIDER_IMAGE: 'small', BENCH_PROVIDER_PAGES: String(PAGES) },
      concurrency: 8,
    });
    await runPosts(stack.url, agent, 1);
    const monitor = startMonitor(redis.url);
    resources.add(monitor, () => monitor.stop());
    await monitor.ready;
    await runPosts(stack.url, agent, posts);
    await new Promise((r) => setTimeout(r, 500)); // manifests written after the last event
    const owners = await connectionOwners(redis.client);
    await monitor.stop();
    const { seen } = monitor;
    stack.assertAlive();

    const pages = posts * PAGES;
    const byService = {};
    const byOperation = {};
    let lua = 0;
    let topLevel = 0;
    let lastScript = null; // MONITOR lists a script's own commands right after the EVALSHA
    for (const { args, source } of seen) {
      if (source === 'lua') {
        lua++;
        if (lastScript) {
          const op = byOperation[lastScript];
          op.inner++;
          const cmd = args[0].toLowerCase();
          op.innerByCommand[cmd] = (op.innerByCommand[cmd] ?? 0) + 1;
        }
        continue;
      }
      const owner = owners.get(source) ?? 'closed connection';
      if (owner === 'unnamed' && /^(client|info|monitor)$/i.test(args[0])) continue; // the bench itself
      topLevel++;
      const cmd = args[0].toLowerCase();
      let op = cmd;
      if (cmd === 'evalsha' || cmd === 'eval') {
        const name = scripts.get(args[1]);
        op = name ? `bullmq ${name}` : `script on ${keyPattern(args[3])}`;
      } else if (cmd === 'hget' || cmd === 'hset' || cmd.startsWith('hincrby')) {
        op = `${cmd} ${keyPattern(args[1])}`;
      }
      byService[owner] = (byService[owner] ?? 0) + 1;
      const key = `${owner}: ${op}`;
      byOperation[key] ??= { calls: 0, inner: 0, innerByCommand: {} };
      byOperation[key].calls++;
      lastScript = cmd === 'evalsha' || cmd === 'eval' ? key : null;
    }
    const perPage = (n) => round(n / pages, 2);
    say(
      `redis: ${round(topLevel / pages, 1)} calls per page from the services (+${round(lua / pages, 1)} inside scripts)`,
    );
    return {
      process: 'MONITOR during 5 auto-generated 8-page posts (108×144 images), services as processes',
      callsPerPage: perPage(topLevel),
      scriptInnerCommandsPerPage: perPage(lua),
      byService: Object.fromEntries(
        Object.entries(byService)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [k, perPage(v)]),
      ),
      // Per page: round trips, and the commands a script ran inside Redis (INFO commandstats counts both).
      byOperation: Object.fromEntries(
        Object.entries(byOperation)
          .sort((a, b) => b[1].calls + b[1].inner - a[1].calls - a[1].inner)
          .slice(0, 20)
          .map(([k, v]) => [
            k,
            {
              calls: perPage(v.calls),
              inner: perPage(v.inner),
              ...(v.inner > 0
                ? {
                    innerPerCall: Object.entries(v.innerByCommand)
                      .sort((a, b) => b[1] - a[1])
                      .map(([c, n]) => `${c}×${round(n / v.calls, 1)}`)
                      .join(' '),
                  }
                : {}),
            },
          ]),
      ),
    };
  } finally {
    await resources.release();
  }
}

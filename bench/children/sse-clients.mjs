// SSE subscribers in their own process. IPC:
//   { cmd: 'connect', url, postIds, perPost, batch } → opens perPost streams per post (batch at a time) and answers
//     { connected, ms } once every stream has its snapshot;
//   { cmd: 'collect' } → answers, once every stream ended, the delay of every live event: receive time minus the
//     commit time in its Redis stream id (same machine, same clock).
import { eventCommitMs, follow, sseAgent } from '../lib/sse.mjs';
import { percentile } from '../lib/stats.mjs';

const agent = sseAgent();
let streams = [];
const delays = [];
const byName = new Map();

async function connect({ url, postIds, perPost, batch }) {
  const t0 = performance.now();
  const targets = postIds.flatMap((id) => Array.from({ length: perPost }, () => id));
  for (let i = 0; i < targets.length; i += batch) {
    const opened = targets.slice(i, i + batch).map(
      (id) =>
        new Promise((resolveSnapshot, rejectSnapshot) => {
          const done = follow(url, id, {
            agent,
            onEvent: (e) => {
              if (e.name === 'snapshot') return resolveSnapshot();
              const d = e.receivedAt - eventCommitMs(e.id);
              delays.push(d);
              if (!byName.has(e.name)) byName.set(e.name, []);
              byName.get(e.name).push(d);
            },
          });
          done.catch(rejectSnapshot);
          streams.push(done);
        }),
    );
    await Promise.all(opened);
  }
  return { connected: streams.length, ms: performance.now() - t0 };
}

async function collect() {
  const results = await Promise.allSettled(streams);
  const failed = results.filter((r) => r.status === 'rejected');
  const ended = results.filter((r) => r.status === 'fulfilled');
  const cpu = process.cpuUsage();
  streams = [];
  return {
    streams: results.length,
    failed: failed.length,
    firstError: failed[0]?.reason?.message ?? null,
    terminal: ended.filter((r) => r.value.terminal).length,
    events: delays.length,
    p50Ms: percentile(delays, 50),
    p90Ms: percentile(delays, 90),
    p99Ms: percentile(delays, 99),
    maxMs: percentile(delays, 100),
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    byEvent: Object.fromEntries(
      [...byName].map(([name, d]) => [
        name,
        { n: d.length, p50Ms: percentile(d, 50), p99Ms: percentile(d, 99) },
      ]),
    ),
  };
}

process.on('message', async (m) => {
  try {
    if (m.cmd === 'connect') process.send(await connect(m));
    else if (m.cmd === 'collect') process.send(await collect());
  } catch (err) {
    process.send({ error: err.message });
  }
});
process.send({ ready: true });
process.on('disconnect', () => process.exit(0));

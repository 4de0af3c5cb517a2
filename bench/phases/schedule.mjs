import { BrokenRun, createPost } from '../lib/api.mjs';
import { outlineText } from '../lib/outline.mjs';
import { Resources } from '../lib/resources.mjs';
import { agentFor, benchPrefix, startServices, tempDir } from '../lib/setup.mjs';
import { follow } from '../lib/sse.mjs';
import { nowMs, percentile, round } from '../lib/stats.mjs';
import { importBuilt, repoPath } from '../lib/workspace.mjs';

const { startFakeProvider } = await importBuilt('packages/testkit/dist/fake-provider.js');
const { startS3rver } = await import(repoPath('scripts/lib/s3.mjs'));

/** Creates an auto-generating post and follows its events to the end: wall time from POST to post.completed. */
async function runPost(url, agent, topic) {
  const start = nowMs();
  const post = await createPost(url, { topic, autoGenerate: true });
  const { events, terminal } = await follow(url, post.id, { agent, keepData: true });
  const last = events.at(-1);
  if (!terminal || last.name !== 'post.completed' || last.data.status !== 'completed') {
    throw new BrokenRun(`post ${post.id} ended with ${last?.name} ${JSON.stringify(last?.data)}`);
  }
  return { id: post.id, start, end: last.receivedAt, wallMs: last.receivedAt - start, events };
}

/** Where the single post's time went, from its events: outline, cover, the rest. */
function stages(run) {
  const at = (pred) => run.events.find(pred)?.receivedAt;
  const outlined = at((e) => e.name === 'outline.completed');
  const cover = at((e) => e.name === 'page.completed' && e.data.index === 0);
  return {
    outlineMs: round(outlined - run.start, 1),
    coverMs: round(cover - outlined, 1),
    restMs: round(run.end - cover, 1),
  };
}

/** The fake provider's image calls of the given posts (their prompts carry no post id: by time window). */
function imageCalls(fake, from, to) {
  return fake.requests
    .filter((r) => r.path.includes('/images/') && r.startedAt >= from && r.startedAt <= to && r.endedAt)
    .sort((a, b) => a.startedAt - b.startedAt);
}

/**
 * How long a provider slot stays idle between two calls while work is waiting: with every slot busy, the k-th call
 * takes the slot the (k−C)-th ending call gave back. `from` skips the calls that had to wait for something else
 * first (the outline, the cover).
 */
function slotReuse(calls, C, from = C) {
  const ends = calls.map((c) => c.endedAt).sort((a, b) => a - b);
  const gaps = [];
  for (let k = from; k < calls.length; k++) gaps.push(calls[k].startedAt - ends[k - C]);
  return { slotReuseP50Ms: percentile(gaps, 50), slotReuseMaxMs: percentile(gaps, 100) };
}

/** Where the single post's time beyond the provider went, from the provider's side: the serial hand-offs. */
function singleGaps(run, fake, C) {
  const chat = fake.requests.find((r) => r.path.includes('/chat/') && r.startedAt >= run.start);
  const calls = imageCalls(fake, run.start, run.end);
  const cover = calls[0];
  return {
    postToOutlineCallMs: round(chat.startedAt - run.start, 1),
    outlineToCoverCallMs: round(cover.startedAt - chat.endedAt, 1),
    coverToFirstPageCallMs: round(calls[1].startedAt - cover.endedAt, 1),
    // Round two: each of the remaining pages takes a slot a first-round page gave back.
    ...slotReuse(calls.slice(1), C),
    lastCallToCompletedMs: round(run.end - Math.max(...calls.map((c) => c.endedAt)), 1),
  };
}

export async function schedulePhase({ redis, say, quick }) {
  const L = quick ? 500 : 1000;
  const N = 8;
  const C = 4;
  const P = quick ? 10 : 20;
  // s3rver by default (a real S3 protocol round trip per storage call); BENCH_SCHEDULE_STORAGE=fs for the filesystem.
  const useS3 = (process.env.BENCH_SCHEDULE_STORAGE ?? 's3') === 's3';
  const resources = new Resources();
  try {
    const prefix = benchPrefix(resources, redis, 'sched');
    const dir = tempDir(resources, 'sched');
    const s3 = useS3 ? await startS3rver({ directory: dir }) : null;
    if (s3) resources.add(s3, () => s3.close());
    const fake = await startFakeProvider({ latencyMs: 0, chatText: () => outlineText(N) });
    resources.add(fake, () => fake.close());
    const stack = await startServices(resources, {
      redis,
      prefix,
      storage: s3 ? { s3, bucket: `bench-${prefix.slice(-8)}` } : { dir },
      textUrl: fake.url,
      imageUrl: fake.url,
      concurrency: C,
      env: { OUTLINE_CONCURRENCY: String(P) },
    });
    const agent = agentFor(resources);
    say(`schedule: services up (storage: ${useS3 ? 's3rver' : 'filesystem'}); warm-up post at zero latency`);
    await runPost(stack.url, agent, 'warm-up');
    fake.reset();
    fake.setLatency(L);

    // One post at a time, three times: the median run is reported (single runs are sensitive to a busy machine).
    const singles = [];
    for (let i = 0; i < 3; i++) {
      const run = await runPost(stack.url, agent, `一周早餐不重样 ${i}`);
      singles.push({ ...run, gaps: singleGaps(run, fake, C) });
    }
    const single = [...singles].sort((a, b) => a.wallMs - b.wallMs)[1];
    const singleIdeal = L + L + Math.ceil((N - 1) / C) * L;
    say(
      `schedule: 1 post ${singles.map((s) => round(s.wallMs, 0)).join(' / ')} ms vs ideal ${singleIdeal} ms`,
    );
    const singleMaxInflight = fake.maxImageInflight;

    fake.reset();
    const runs = await Promise.all(
      Array.from({ length: P }, (_, i) => runPost(stack.url, agent, `topic ${i}`)),
    );
    const start = Math.min(...runs.map((r) => r.start));
    const makespan = Math.max(...runs.map((r) => r.end)) - start;
    const concurrentIdeal = L + Math.ceil((P * N) / C) * L;
    const walls = runs.map((r) => r.wallMs);
    say(`schedule: ${P} posts ${round(makespan, 0)} ms vs ideal ${concurrentIdeal} ms`);
    stack.assertAlive();
    const concurrentCalls = imageCalls(fake, start, start + makespan);
    const maxInflight = Math.max(singleMaxInflight, fake.maxImageInflight);
    return {
      concurrency: C,
      latencyMs: L,
      pagesPerPost: N,
      maxInflight,
      process: `api, outline-worker, image-worker as separate processes; ${useS3 ? 's3rver' : 'filesystem'} storage; test-kit fake provider in the bench process`,
      single: {
        ratio: round(single.wallMs / singleIdeal, 3),
        wallMs: round(single.wallMs, 1),
        runsMs: singles.map((s) => round(s.wallMs, 0)),
        idealMs: singleIdeal,
        ideal: 'L(outline) + L(cover) + ceil((N-1)/C)·L',
        stages: stages(single),
        ...single.gaps,
      },
      concurrent: {
        posts: P,
        ratio: round(makespan / concurrentIdeal, 3),
        makespanMs: round(makespan, 1),
        idealMs: concurrentIdeal,
        ideal:
          'L(outlines in parallel) + ceil(P·N/C)·L — C slots never idle: P ≥ C covers first, each releases N−1 pages',
        postWallP50Ms: round(percentile(walls, 50), 0),
        postWallMinMs: round(Math.min(...walls), 0),
        postWallMaxMs: round(Math.max(...walls), 0),
        ...slotReuse(concurrentCalls, C),
      },
      invariantOk: maxInflight <= C,
    };
  } finally {
    await resources.release();
  }
}

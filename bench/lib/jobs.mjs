// BullMQ job timelines read back from Redis (completed jobs are kept): when each job was added, started, finished.

/** { id, addedAt, startedAt, finishedAt } of every finished job of a queue. */
export async function jobTimeline(client, prefix, queue) {
  const base = `{${prefix}}:${queue}:`;
  const keys = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) if (!key.slice(base.length).includes(':')) keys.push(key);
  } while (cursor !== '0');
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.hmget(key, 'timestamp', 'processedOn', 'finishedOn');
  const replies = (await pipeline.exec()) ?? [];
  const jobs = [];
  replies.forEach(([err, values], i) => {
    if (err || !values?.[2]) return;
    const [addedAt, startedAt, finishedAt] = values.map(Number);
    jobs.push({ id: keys[i].slice(base.length), addedAt, startedAt, finishedAt });
  });
  return jobs.sort((a, b) => a.startedAt - b.startedAt);
}

/**
 * Splits a fixed-latency run's overhead in two: time inside a job beyond the provider's latency (reading the post,
 * storing the image and thumbnail, recording, releasing pages), and hand-off gaps — a job that was already waiting
 * when a slot freed, started this long after that slot freed.
 */
export function overheadSplit(jobs, latencyMs) {
  const inJob = jobs.map((j) => j.finishedAt - j.startedAt - latencyMs);
  const handoff = [];
  for (const j of jobs) {
    let freed = -Infinity;
    for (const o of jobs)
      if (o !== j && o.finishedAt <= j.startedAt && o.finishedAt > freed) freed = o.finishedAt;
    if (freed > -Infinity && j.addedAt <= freed) handoff.push(j.startedAt - freed);
  }
  return { inJob, handoff };
}

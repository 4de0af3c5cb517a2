import type { Redis } from 'ioredis';
import { keySpace } from './redis.js';

/** Histogram buckets (seconds) for job durations and provider latencies: image calls take seconds to minutes. */
export const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const JOBS = 'metrics:jobs';
const PROVIDERS = 'metrics:providers';

function bucketIndex(seconds: number): number {
  const i = DURATION_BUCKETS.findIndex((b) => seconds <= b);
  return i === -1 ? DURATION_BUCKETS.length : i;
}

/**
 * Cluster-wide job and provider metrics, kept in Redis hashes by every worker process so the API's /metrics
 * shows them all without scraping each worker. Observations are summed in memory and flushed as one pipeline every
 * `flushMs` (and on `close`): a page costs no Redis command for metrics, and /metrics lags by at most one interval,
 * far below any scrape interval.
 */
export class MetricsRecorder {
  private readonly ks: string;
  /** Pending increments: hash key → field → amount. */
  private pending = new Map<string, Map<string, number>>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    flushMs = 2_000,
  ) {
    this.ks = keySpace(prefix);
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  private add(hash: string, field: string, amount: number): void {
    let fields = this.pending.get(hash);
    if (!fields) {
      fields = new Map();
      this.pending.set(hash, fields);
    }
    fields.set(field, (fields.get(field) ?? 0) + amount);
  }

  private observe(hash: string, series: string, label: string, seconds: number): void {
    const key = `${this.ks}:${hash}`;
    this.add(key, `${series}|${label}|count`, 1);
    this.add(key, `${series}|sum`, seconds);
    this.add(key, `${series}|b${bucketIndex(seconds)}`, 1);
  }

  /** A finished job: queue, job name, outcome (completed, skipped, failed, …) and how long it took. */
  job(queue: string, name: string, outcome: string, seconds: number): void {
    this.observe(JOBS, `${queue}|${name}`, outcome, seconds);
  }

  /** One provider call: provider name, its result (`ok` or an error code / HTTP status) and latency. */
  providerCall(provider: string, result: string, seconds: number): void {
    this.observe(PROVIDERS, provider, result, seconds);
  }

  /**
   * Sends what was observed since the last flush. Flushes run one after another; a flush Redis refused puts its
   * amounts back, so an outage delays metrics rather than dropping them.
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.send());
    return this.flushing;
  }

  private async send(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const sent: [string, string, number][] = [];
    const pipeline = this.redis.pipeline();
    for (const [hash, fields] of batch) {
      for (const [field, amount] of fields) {
        sent.push([hash, field, amount]);
        if (field.endsWith('|sum')) pipeline.hincrbyfloat(hash, field, amount);
        else pipeline.hincrby(hash, field, amount);
      }
    }
    const results = await pipeline.exec().catch(() => null);
    sent.forEach(([hash, field, amount], i) => {
      if (!results || results[i]?.[0]) this.add(hash, field, amount);
    });
  }

  /** Stops the timer and sends what is left (at shutdown, before the Redis connection closes). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

interface Series {
  labels: Record<string, string>;
  counts: Map<string, number>;
  sum: number;
  buckets: number[];
}

function parseHash(raw: Record<string, string>, labelNames: string[]): Series[] {
  const series = new Map<string, Series>();
  for (const [field, value] of Object.entries(raw)) {
    const parts = field.split('|');
    const kind = parts.at(-1)!;
    const isCount = kind === 'count';
    const key = parts.slice(0, labelNames.length).join('|');
    let s = series.get(key);
    if (!s) {
      const labels = Object.fromEntries(labelNames.map((n, i) => [n, parts[i] ?? '']));
      s = { labels, counts: new Map(), sum: 0, buckets: Array(DURATION_BUCKETS.length + 1).fill(0) };
      series.set(key, s);
    }
    if (isCount) s.counts.set(parts[labelNames.length] ?? '', Number(value));
    else if (kind === 'sum') s.sum = Number(value);
    else if (kind.startsWith('b')) s.buckets[Number(kind.slice(1))] = Number(value);
  }
  return [...series.values()];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');

function render(name: string, help: string, outcomeLabel: string, all: Series[]): string {
  const lines = [`# HELP ${name}_total ${help} (count by ${outcomeLabel})`, `# TYPE ${name}_total counter`];
  for (const s of all) {
    for (const [outcome, n] of s.counts)
      lines.push(`${name}_total{${labelText({ ...s.labels, [outcomeLabel]: outcome })}} ${n}`);
  }
  lines.push(`# HELP ${name}_seconds ${help} (duration)`, `# TYPE ${name}_seconds histogram`);
  for (const s of all) {
    let cumulative = 0;
    DURATION_BUCKETS.forEach((b, i) => {
      cumulative += s.buckets[i] ?? 0;
      lines.push(`${name}_seconds_bucket{${labelText({ ...s.labels, le: String(b) })}} ${cumulative}`);
    });
    cumulative += s.buckets[DURATION_BUCKETS.length] ?? 0;
    lines.push(`${name}_seconds_bucket{${labelText({ ...s.labels, le: '+Inf' })}} ${cumulative}`);
    lines.push(
      `${name}_seconds_sum{${labelText(s.labels)}} ${s.sum}`,
      `${name}_seconds_count{${labelText(s.labels)}} ${cumulative}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The workers' metrics from Redis, in Prometheus text format. */
export async function renderClusterMetrics(redis: Redis, prefix: string): Promise<string> {
  const ks = keySpace(prefix);
  const [jobs, providers] = await Promise.all([
    redis.hgetall(`${ks}:${JOBS}`),
    redis.hgetall(`${ks}:${PROVIDERS}`),
  ]);
  return (
    render('inkpost_jobs', 'Jobs processed by the workers', 'outcome', parseHash(jobs, ['queue', 'job'])) +
    render('inkpost_provider_calls', 'Calls to model providers', 'result', parseHash(providers, ['provider']))
  );
}

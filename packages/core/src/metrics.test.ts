import { cleanupRedisPrefix, randomPrefix, testEnv } from '@inkpost/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MetricsRecorder, renderClusterMetrics } from './metrics.js';
import { createRedis } from './redis.js';

describe('MetricsRecorder on a real Redis', () => {
  let redis: Redis;
  const prefix = randomPrefix();

  beforeAll(() => {
    redis = createRedis(testEnv().redisUrl, 'request');
  });
  afterAll(async () => {
    await cleanupRedisPrefix(testEnv().redisUrl, prefix);
    await redis.quit();
  });

  it('sums observations in memory and sends them in one flush, adding to what other processes sent', async () => {
    const first = new MetricsRecorder(redis, prefix, 60_000);
    const second = new MetricsRecorder(redis, prefix, 60_000);
    for (let i = 0; i < 100; i++) first.job('image-x', 'page.render', 'completed', 0.2);
    first.providerCall('x', 'ok', 1.5);
    second.job('image-x', 'page.render', 'completed', 3);
    second.job('image-x', 'page.render', 'failed', 0.04);

    expect(await renderClusterMetrics(redis, prefix)).not.toContain('outcome="completed"');
    const pipelines = vi.spyOn(redis, 'pipeline');
    await first.flush();
    // 101 observations, one round trip: a count, a sum and a bucket field per series.
    expect(pipelines).toHaveBeenCalledTimes(1);
    expect(pipelines.mock.results[0]?.value.length).toBe(6);
    pipelines.mockRestore();
    await second.close();
    await first.close();

    const text = await renderClusterMetrics(redis, prefix);
    expect(text).toContain('inkpost_jobs_total{queue="image-x",job="page.render",outcome="completed"} 101');
    expect(text).toContain('inkpost_jobs_total{queue="image-x",job="page.render",outcome="failed"} 1');
    expect(text).toContain('inkpost_jobs_seconds_count{queue="image-x",job="page.render"} 102');
    expect(text).toContain('inkpost_jobs_seconds_bucket{queue="image-x",job="page.render",le="0.05"} 1');
    expect(text).toContain('inkpost_jobs_seconds_bucket{queue="image-x",job="page.render",le="0.25"} 101');
    const sum = /inkpost_jobs_seconds_sum\{queue="image-x",job="page.render"\} ([\d.]+)/.exec(text)?.[1];
    expect(Number(sum)).toBeCloseTo(100 * 0.2 + 3 + 0.04, 6);
    expect(text).toContain('inkpost_provider_calls_total{provider="x",result="ok"} 1');
  });

  it('keeps what a refused flush held and sends it with the next one', async () => {
    const other = randomPrefix();
    const broken = createRedis(testEnv().redisUrl, 'request');
    const recorder = new MetricsRecorder(broken, other, 60_000);
    recorder.providerCall('y', 'ok', 0.5);
    // A key of the wrong type makes Redis refuse every increment of the hash.
    const hash = `{${other}}:metrics:providers`;
    await redis.set(hash, 'not a hash');
    await recorder.flush();
    await redis.del(hash);
    await recorder.close();
    await broken.quit();
    expect(await renderClusterMetrics(redis, other)).toContain(
      'inkpost_provider_calls_total{provider="y",result="ok"} 1',
    );
    await cleanupRedisPrefix(testEnv().redisUrl, other);
  });
});

// `pnpm rebuild-from-manifests`: rebuilds Redis's post records from the manifests in storage (posts/<id>/post.json),
// after Redis lost its data. Records already in Redis at the same or a newer revision are kept.
import {
  createLogger,
  createRedis,
  createStorage,
  PostStore,
  rebuildFromManifests,
  waitForRedis,
} from '@inkpost/core';
import { CommonEnv, ConfigError, parseEnv } from '@inkpost/shared';

async function main(): Promise<void> {
  const env = parseEnv(CommonEnv, process.env);
  const log = createLogger('rebuild', env.LOG_LEVEL);
  const redis = createRedis(env.REDIS_URL, 'worker', 'inkpost-rebuild');
  await waitForRedis(redis, env.REDIS_URL);
  const storage = createStorage(env);
  try {
    const result = await rebuildFromManifests(new PostStore(redis, env.KEY_PREFIX), storage);
    log.info(result, 'rebuilt post records from manifests');
    process.stdout.write(
      `restored ${result.restored}, kept ${result.kept}, unreadable ${result.unreadable}\n`,
    );
  } finally {
    storage.close();
    await redis.quit();
  }
}

main().catch((err) => {
  const message = err instanceof ConfigError ? err.message : `failed: ${(err as Error).message}`;
  process.stderr.write(`inkpost-rebuild: ${message}\n`);
  process.exit(1);
});

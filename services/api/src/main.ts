import { createLogger } from '@inkpost/core';
import { ApiEnv, ConfigError, parseEnv } from '@inkpost/shared';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { createApiContext, loadApiSettings } from './context.js';

async function main(): Promise<void> {
  let env: ApiEnv;
  try {
    env = parseEnv(ApiEnv, process.env);
    loadApiSettings(env, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`inkpost-api: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger('api', env.LOG_LEVEL);
  const ctx = await createApiContext(env, log);
  if (ctx.apiKeys.size === 0)
    log.warn('no API_KEYS configured: the API is open, as the single tenant "local"');
  const app = await buildApp(ctx);
  closeWithGrace({ delay: env.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await app.close();
    await ctx.close();
  });
  await app.listen({ port: env.PORT, host: env.HOST });
}

main().catch((err) => {
  process.stderr.write(`inkpost-api: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

#!/usr/bin/env node
// `pnpm start`: the API and both workers together for local use, on a real Redis and a real S3-compatible server.
import { startLocalStack } from './lib/stack.mjs';

try {
  const stack = await startLocalStack();
  console.log(
    `\nInkpost is running: API ${stack.url}  ·  docs ${stack.url}/docs  ·  queues ${stack.url}/admin/queues`,
  );
  console.log(`Try: pnpm demo "3岁宝宝冬季保暖攻略"   (Ctrl+C stops everything)\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  console.error(`inkpost: ${err.message}`);
  process.exit(1);
}

#!/usr/bin/env node
// A local S3-compatible server (s3rver) for development and CI: `node scripts/s3-server.mjs [port] [dir]`.
import path from 'node:path';
import { startS3rver } from './lib/s3.mjs';

const port = Number(process.argv[2] ?? process.env.S3_PORT ?? 9310);
const directory = path.resolve(process.argv[3] ?? process.env.S3_DIR ?? './data/s3');
const s3 = await startS3rver({ port, directory });
process.stdout.write(`S3 (s3rver) listening at ${s3.endpoint}, data in ${directory}, keys S3RVER/S3RVER\n`);
const stop = async () => {
  await s3.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';

/**
 * Starts s3rver, a real S3-protocol server from npm, for local runs and CI where MinIO cannot run (no Docker).
 * It accepts the fixed key pair S3RVER/S3RVER and does not verify signatures; MinIO (docker-compose) does.
 */
export async function startS3rver({ port = 0, directory, host = '127.0.0.1' }) {
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ address: host, port, silent: true, directory });
  const address = await server.run();
  return {
    endpoint: `http://${host}:${address.port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    async close() {
      server.httpServer?.closeAllConnections?.();
      await server.close();
    },
  };
}

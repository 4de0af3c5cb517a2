import type { Logger } from 'pino';

/**
 * Graceful stop for a worker process: on SIGTERM/SIGINT, `close` finishes or hands back the active jobs; past the
 * deadline the process exits anyway and BullMQ returns its jobs to the queue as stalled.
 */
export function installShutdown(log: Logger, timeoutMs: number, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: finishing active jobs');
    const deadline = setTimeout(() => {
      log.warn('shutdown deadline passed; active jobs return to the queue as stalled');
      process.exit(1);
    }, timeoutMs);
    try {
      await close();
    } catch (err) {
      log.error({ err }, 'error while shutting down');
    }
    clearTimeout(deadline);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

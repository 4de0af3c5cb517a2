/** Unhandled promise rejections seen in this process while the watch is on. */
export interface RejectionWatch {
  readonly rejections: unknown[];
  stop(): void;
}

/**
 * Records every unhandled rejection in this process (the API and in-process workers of a test stack run here).
 * With a listener installed Node no longer crashes on one, so a test must assert the list is empty.
 */
export function watchUnhandledRejections(): RejectionWatch {
  const rejections: unknown[] = [];
  const listener = (reason: unknown) => {
    rejections.push(reason);
  };
  process.on('unhandledRejection', listener);
  return {
    rejections,
    stop: () => {
      process.off('unhandledRejection', listener);
    },
  };
}

// What Node prints when a process dies of an unhandled rejection or an uncaught exception (both end with the
// `Node.js v20.x` banner), and what a logger prints when it reports one.
const CRASH = [
  /unhandled ?(promise ?)?rejection/i,
  /uncaught ?exception/i,
  /triggerUncaughtException/,
  /^Node\.js v\d+\.\d+/m,
];

/** The lines of a process's output that show it crashed or saw an unhandled rejection. */
export function crashLines(output: string): string[] {
  return output.split('\n').filter((line) => CRASH.some((pattern) => pattern.test(line)));
}

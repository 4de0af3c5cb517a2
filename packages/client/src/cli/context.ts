import type { InkpostClient } from '../client.js';

/** The part of a process stream the CLI writes to (a TTY has columns and cursor control). */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CommandContext {
  client: InkpostClient;
  /** Positionals after the command name. */
  positionals: string[];
  /** Option values as parseArgs gives them. */
  values: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
  stdout: OutStream;
  /** Progress and notes go here, so stdout stays the command's result. */
  stderr: OutStream;
  cwd: string;
  signal: AbortSignal;
}

export type Command = (ctx: CommandContext) => Promise<number>;

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

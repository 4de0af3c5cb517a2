import type { z } from 'zod';

/** A configuration problem; its message is one line that names the offending field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Formats the first zod issue as `<source> <field.path>: <message>`. */
export function configErrorFrom(source: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  if (!issue) return new ConfigError(`${source}: invalid`);
  const path = issue.path.map(String).join('.');
  const where = path ? `${source} ${path}` : source;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  // A record key that fails its schema reports a generic "Invalid key in record"; the key schema's message says why.
  const message = (issue.code === 'invalid_key' && issue.issues[0]?.message) || issue.message;
  return new ConfigError(`Invalid configuration: ${where}: ${message}${more}`);
}

import { type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Where secrets can appear in our log lines; pino replaces them. Only concrete paths: pino looks at a path only when
 * a line has the path's first key, while a wildcard path (`*.apiKey`) made it clone and walk every field of every
 * line (about 5% of the API's CPU per GET). So an object that holds a secret is logged under one of these names,
 * or not at all; logger.test.ts logs the real shapes and checks that no secret gets through.
 */
export const REDACT_PATHS = [
  // A request's credentials, should a request or its headers ever be logged (the request line has neither).
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  // Provider keys: a provider's config (its apiKey, and api_key in `raw`, the file's entry as written), or the key
  // alone.
  'apiKey',
  'api_key',
  'config.apiKey',
  'config.raw.api_key',
  'provider.apiKey',
  'provider.raw.api_key',
  // S3 credentials: the storage settings, the SDK's credentials object, or the key alone.
  'secretAccessKey',
  'settings.secretAccessKey',
  'credentials.secretAccessKey',
];

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

/** The service logger: structured JSON on stdout. */
export function createLogger(service: string, level: string): Logger {
  return pino(loggerOptions(service, level));
}

export type { Logger };

import { type Logger, type LoggerOptions, pino } from 'pino';

/** Fields that may carry secrets; pino replaces them wherever they appear in a log line. */
export const REDACT_PATHS = [
  'apiKey',
  'api_key',
  '*.apiKey',
  '*.api_key',
  '*.*.apiKey',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'config.apiKey',
  'secretAccessKey',
  '*.secretAccessKey',
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

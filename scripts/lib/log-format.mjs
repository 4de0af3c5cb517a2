const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** One pino JSON line as `12:00:01 api         INFO  message key=value`, for humans running the stack locally. */
export function formatLogLine(service, line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${service.padEnd(15)} ${line}`;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const fields = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' ');
  return `${time} ${service.padEnd(15)} ${(LEVELS[entry.level] ?? '').padEnd(5)} ${entry.msg ?? ''} ${fields}`.trimEnd();
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadImageProviders, loadTextProviders } from '@inkpost/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, REDACT_PATHS } from './logger.js';
import type { S3Settings } from './storage.js';

const SECRET = 'sk-never-in-logs-4242';

/** A logger configured as the services' are, writing its lines into an array. */
function capturingLogger() {
  const lines: string[] = [];
  const log = pino(loggerOptions('test', 'info'), { write: (line: string) => lines.push(line) });
  return { log, lines };
}

function providersFile(yaml: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'inkpost-logger-')), 'providers.yaml');
  writeFileSync(file, yaml);
  return file;
}

const entry = (type: string) =>
  [
    'active_provider: paid',
    'providers:',
    '  paid:',
    `    type: ${type}`,
    `    api_key: ${SECRET}`,
    '    base_url: https://provider.example',
    '    model: m',
  ].join('\n');

describe('log redaction', () => {
  it('uses concrete paths only, so pino never walks every field of every line', () => {
    for (const p of REDACT_PATHS) expect(p).not.toMatch(/\*|\[/);
  });

  it('keeps provider keys out of a logged provider config, under the names it is logged by', () => {
    const image = loadImageProviders(providersFile(entry('image_api')), {}, 4).providers.get('paid');
    const text = loadTextProviders(providersFile(entry('openai_compatible')), {}).providers.get('paid');
    expect(image?.apiKey).toBe(SECRET);
    expect(text?.apiKey).toBe(SECRET);
    const { log, lines } = capturingLogger();
    for (const config of [image, text]) {
      log.info({ config }, 'provider');
      log.info({ provider: config }, 'provider');
    }
    log.info({ apiKey: SECRET, api_key: SECRET }, 'key alone');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).not.toContain(SECRET);
    expect(JSON.parse(lines[0]!).config).toMatchObject({
      name: 'paid',
      apiKey: '[redacted]',
      raw: { api_key: '[redacted]' },
    });
  });

  it('keeps request credentials out, however the request or its headers are logged', () => {
    const headers = { authorization: `Bearer ${SECRET}`, cookie: `session=${SECRET}`, accept: 'text/plain' };
    const { log, lines } = capturingLogger();
    log.info({ req: { method: 'GET', url: '/v1/posts', headers } }, 'request');
    log.info({ headers }, 'headers');
    log.info({ authorization: headers.authorization }, 'header alone');
    for (const line of lines) expect(line).not.toContain(SECRET);
    expect(JSON.parse(lines[1]!).headers).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      accept: 'text/plain',
    });
  });

  it('keeps S3 credentials out of logged storage settings', () => {
    const settings: S3Settings = {
      endpoint: 'http://s3.example',
      bucket: 'b',
      region: 'us-east-1',
      accessKeyId: 'AKIA',
      secretAccessKey: SECRET,
      forcePathStyle: true,
    };
    const { log, lines } = capturingLogger();
    log.info({ settings }, 'storage');
    log.info({ credentials: { accessKeyId: 'AKIA', secretAccessKey: SECRET } }, 'credentials');
    log.info({ secretAccessKey: SECRET }, 'key alone');
    for (const line of lines) expect(line).not.toContain(SECRET);
    expect(JSON.parse(lines[0]!).settings).toMatchObject({ bucket: 'b', secretAccessKey: '[redacted]' });
  });

  it('leaves the logged objects themselves unchanged', () => {
    const config = { apiKey: SECRET, raw: { api_key: SECRET } };
    capturingLogger().log.info({ config }, 'provider');
    expect(config).toEqual({ apiKey: SECRET, raw: { api_key: SECRET } });
  });
});

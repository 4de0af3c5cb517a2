import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const services = ['api', 'outline-worker', 'image-worker'];

// Runs a built service's main with a broken environment; it must refuse to start with one line naming the field.
function start(service: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [path.join(root, 'services', service, 'dist/main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
}

describe('services refuse to start on invalid configuration', () => {
  it.each(services)('%s names the bad environment variable in one line', (service) => {
    const run = start(service, { KEY_PREFIX: 'has:colon' });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('KEY_PREFIX');
  });

  it.each(services)('%s names the bad field of a provider file', (service) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'inkpost-cfg-'));
    const file = path.join(dir, 'image.yaml');
    writeFileSync(file, 'providers:\n  relay:\n    type: image_api\n    api_key: k\n    model: m\n');
    const run = start(service, { IMAGE_PROVIDERS_FILE: file });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('providers.relay.base_url');
  });

  it('reports a missing ${VAR} of a provider key without printing any secret', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'inkpost-cfg-'));
    const file = path.join(dir, 'text.yaml');
    writeFileSync(
      file,
      'providers:\n  qwen:\n    type: openai_compatible\n    api_key: ${MISSING_KEY_VAR}\n    base_url: https://x.example\n    model: q\n',
    );
    const run = start('outline-worker', { TEXT_PROVIDERS_FILE: file });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('MISSING_KEY_VAR');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

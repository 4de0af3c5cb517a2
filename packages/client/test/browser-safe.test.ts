import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src', import.meta.url));

describe('the client core runs in browsers', () => {
  it('imports no Node module and uses no Buffer/process outside the CLI', () => {
    const files = readdirSync(src).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const code = readFileSync(path.join(src, file), 'utf8').replace(/^\s*(\/\/|\*|\/\*).*$/gm, '');
      const imports = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const name of imports) expect(name, file).toMatch(/^(\.\/|@inkpost\/shared\/contract$|zod$)/);
      expect(code, file).not.toMatch(/\b(Buffer|process|require)\b/);
    }
  });
});

// BullMQ's Lua scripts by SHA1, to name the EVALSHA calls seen by MONITOR.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoPath } from './workspace.mjs';

export function bullmqScriptNames() {
  const require = createRequire(repoPath('packages/core', 'package.json'));
  const dir = path.join(path.dirname(require.resolve('bullmq')), 'scripts');
  const names = new Map();
  for (const file of readdirSync(dir)) {
    if (!/^[a-zA-Z]+-\d+\.js$/.test(file)) continue;
    const script = Object.values(require(path.join(dir, file)))[0];
    if (script?.content) names.set(createHash('sha1').update(script.content).digest('hex'), script.name);
  }
  return names;
}

// The bench is not a workspace package: it borrows the workspace's built packages and their dependencies by path.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Absolute path of a file in the repository. */
export const repoPath = (...parts) => path.join(ROOT, ...parts);

/** Imports a built workspace file, e.g. `packages/testkit/dist/png.js`. */
export function importBuilt(relative) {
  return import(pathToFileURL(repoPath(relative)).href);
}

/**
 * Imports a dependency as the workspace package in `fromDir` sees it (pnpm keeps dependencies per package).
 * CommonJS builds come back with their exports on `default`; both shapes are merged.
 */
export async function importDependency(fromDir, specifier) {
  const require = createRequire(repoPath(fromDir, 'package.json'));
  const mod = await import(pathToFileURL(require.resolve(specifier)).href);
  return { ...(mod.default ?? {}), ...mod };
}

/** The built entry point of a service (`api`, `outline-worker`, `image-worker`). */
export const serviceMain = (name) => repoPath('services', name, 'dist/main.js');

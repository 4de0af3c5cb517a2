import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = [
  'packages/shared',
  'packages/core',
  'packages/providers',
  'packages/testkit',
  'packages/client',
  'services/api',
  'services/outline-worker',
  'services/image-worker',
  'services/web',
];

// Workspace packages resolve to their TypeScript sources (the "source" export condition), so tests never run
// against a stale dist/.
const resolve = { conditions: ['source', 'import', 'node', 'default'] };

export default defineConfig({
  test: {
    globalSetup: [fileURLToPath(new URL('packages/testkit/src/global-setup.ts', import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: packages.map((dir) => ({
      resolve,
      ssr: { resolve: { conditions: resolve.conditions, externalConditions: ['source'] } },
      test: {
        name: `@inkpost/${dir.split('/')[1]}`,
        root: fileURLToPath(new URL(dir, import.meta.url)),
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 30_000,
        hookTimeout: 60_000,
        environment: 'node',
      },
    })),
  },
});

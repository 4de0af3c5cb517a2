import { defineConfig } from 'vite';

// The studio is served by the API (services/api/src/plugins/web.ts) from dist/. `pnpm dev` proxies the API so the
// page keeps using same-origin relative URLs, as it does in production.
const api = process.env.INKPOST_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/',
  resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  server: { proxy: { '/v1': { target: api, changeOrigin: false } } },
  preview: { proxy: { '/v1': { target: api, changeOrigin: false } } },
});

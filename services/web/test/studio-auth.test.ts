import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PostView } from '@inkpost/shared/contract';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../api/test/harness.js';
import {
  ARTIFACTS,
  HAS_CHROMIUM,
  launch,
  newContext,
  requireBuiltStudio,
  SKIP_REASON,
  screenshot,
  zipEntryNames,
} from './browser.js';

const KEY = 'studio-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };
const PAGES = [
  { type: 'cover', content: 'Packing for a rainy weekend' },
  { type: 'content', content: 'Layers, not bulk\n- a light shell\n- a warm fleece' },
  { type: 'summary', content: 'Pack light, stay dry' },
];

describe.skipIf(!HAS_CHROMIUM)(
  `the studio on a server with API keys${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`,
  { timeout: 90_000 },
  () => {
    let stack: Stack;
    let browser: Browser;

    beforeAll(async () => {
      requireBuiltStudio();
      stack = await startStack({ env: { API_KEYS: `team:${KEY}` } });
      browser = await launch();
    });

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    it('asks for the key, keeps it in localStorage, and shows images and the ZIP through it', async () => {
      const res = await stack.request(
        'POST',
        '/v1/posts',
        { topic: 'Rainy weekend', pages: PAGES, autoGenerate: true },
        auth,
      );
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as PostView;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const post = (await (
          await stack.request('GET', `/v1/posts/${id}`, undefined, auth)
        ).json()) as PostView;
        if (post.status === 'completed') break;
        if (Date.now() > deadline) throw new Error(`post is still ${post.status}`);
        await new Promise((r) => setTimeout(r, 100));
      }

      const context = await newContext(browser, { locale: 'en-GB' });
      const page = await context.newPage();
      await page.goto(`${stack.url}/#/settings`);
      await page.getByText('This server needs an API key. Add it in Settings.').waitFor();
      await page.getByLabel('API key', { exact: true }).fill(KEY);
      await page.getByRole('button', { name: 'Save key' }).click();
      await page.getByTestId('provider').first().waitFor();
      expect(await page.evaluate(() => localStorage.getItem('inkpost.apiKey'))).toBe(KEY);
      expect(await page.getByLabel('API key', { exact: true }).getAttribute('type')).toBe('password');
      await screenshot(page, '20-settings-key');

      await page.goto(`${stack.url}/#/posts/${id}`);
      const images = page.locator('[data-testid="page-tile"] img');
      await expect.poll(() => images.count()).toBe(PAGES.length);
      // <img> cannot send the Authorization header: the bytes came through fetch, shown from object URLs.
      const sources = await images.evaluateAll((els) => els.map((e) => (e as HTMLImageElement).src));
      expect(sources.every((s) => s.startsWith('blob:'))).toBe(true);
      await expect
        .poll(() => images.evaluateAll((els) => els.every((e) => (e as HTMLImageElement).naturalWidth > 0)))
        .toBe(true);

      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download ZIP' }).click();
      const file = path.join(ARTIFACTS, 'post-with-key.zip');
      await (await download).saveAs(file);
      expect(zipEntryNames(await readFile(file))).toEqual(
        expect.arrayContaining(['01.png', '02.png', '03.png', 'outline.md']),
      );
      await context.close();
    });
  },
);

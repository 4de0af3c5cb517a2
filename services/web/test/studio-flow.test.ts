import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PostView } from '@inkpost/shared/contract';
import { encodePng, type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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

// A relay that takes a while per image, so the grid's live states can be watched (and a reload made mid-way).
function imageYaml(fake: FakeProvider): string {
  return [
    'active_provider: relay',
    'providers:',
    '  relay:',
    '    type: image_api',
    '    api_key: ${FAKE_IMAGE_KEY}',
    `    base_url: ${fake.url}`,
    '    model: banana-image',
    '    endpoint_type: /v1/images/edits',
    '    high_concurrency: false',
  ].join('\n');
}

const isImageRequest = (p: string) => p.includes('/images/');

describe.skipIf(!HAS_CHROMIUM)(
  `the studio, end to end${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`,
  { timeout: 90_000 },
  () => {
    let fake: FakeProvider;
    let stack: Stack;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let postId: string;
    const topic = `冬季宝宝保暖攻略 e2e${Date.now().toString(36)}`;

    const getPost = async (): Promise<PostView> =>
      (await (await stack.request('GET', `/v1/posts/${postId}`)).json()) as PostView;
    const imageRequests = () => fake.requests.filter((r) => isImageRequest(r.path)).length;

    beforeAll(async () => {
      requireBuiltStudio();
      fake = await startFakeProvider({ latencyMs: 900 });
      stack = await startStack({
        imageProvidersYaml: imageYaml(fake),
        env: { FAKE_IMAGE_KEY: 'sk-image-secret-5678' },
      });
      browser = await launch();
      context = await newContext(browser);
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
      page = await context.newPage();
    });

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
      await fake?.close();
    });

    it('creates a post from a topic and a reference image chosen with the file picker', async () => {
      await page.goto(`${stack.url}/`);
      await page.getByRole('heading', { name: '把一个话题变成一组小红书图文' }).waitFor();
      await page.getByLabel('话题').fill(topic);
      const png = encodePng(30, 40, (x, y) => [255, 36 + x * 4, 66 + y * 3, 255]);
      await page
        .getByLabel('参考图文件')
        .setInputFiles({ name: 'ref.png', mimeType: 'image/png', buffer: png });
      await expect.poll(() => page.locator('.ref-item img').count()).toBe(1);
      await page.getByLabel('页数').selectOption('5');
      await screenshot(page, '01-create');
      await page.getByRole('button', { name: '生成大纲' }).click();
      await page.waitForURL(/#\/posts\/post_/);
      postId = /#\/posts\/(post_[\w-]+)/.exec(page.url())![1]!;
      const post = await getPost();
      expect(post.topic).toBe(topic);
      expect(post.referenceImages).toHaveLength(1);
    });

    it('edits the outline: changes a text, moves a page up with its button, saves with If-Match', async () => {
      await page.getByLabel('第 2 页文字').waitFor({ timeout: 20_000 });
      const before = await getPost();
      expect(before.status).toBe('outlined');
      const third = before.pages[2]!;
      await page.getByLabel('第 2 页文字').fill('洋葱式穿衣法（编辑过）\n- 内层吸汗\n- 外层防风');
      await page.getByRole('button', { name: '第 3 页上移' }).click();
      await expect.poll(() => page.getByLabel('第 2 页文字').inputValue()).toBe(third.content);
      await page.getByText('有未保存的修改').waitFor();
      await page.getByRole('button', { name: '保存大纲' }).click();
      await page.getByText('大纲已保存。').waitFor();
      const after = await getPost();
      expect(after.revision).toBeGreaterThan(before.revision);
      expect(after.pages[1]!.id).toBe(third.id);
      expect(after.pages[2]!.content).toBe('洋葱式穿衣法（编辑过）\n- 内层吸汗\n- 外层防风');
      expect(after.pages[2]!.id).toBe(before.pages[1]!.id);
      await screenshot(page, '02-outline-editor', false);
    });

    it('generates: the grid fills in live, and a reload mid-way starts nothing again', async () => {
      const pages = (await getPost()).pages.length;
      const seen = new Set<string>();
      await page.getByRole('button', { name: `生成 ${pages} 张图片` }).click();
      await page.getByRole('tab', { name: /图片/, selected: true }).waitFor();
      const tiles = page.getByTestId('page-tile');
      expect(await tiles.count()).toBe(pages);
      // Live states appear without a reload: something queued or generating, then the first image.
      await expect
        .poll(
          async () => {
            for (const s of await tiles.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))))
              seen.add(s ?? '');
            return seen.has('completed');
          },
          { timeout: 20_000, interval: 50 },
        )
        .toBe(true);
      expect([...seen].some((s) => s === 'queued' || s === 'generating')).toBe(true);
      await screenshot(page, '03-generating');
      const doneBeforeReload = await page
        .locator('[data-testid="page-tile"][data-status="completed"]')
        .count();
      expect(doneBeforeReload).toBeLessThan(pages);

      await page.reload();
      await page.getByRole('tab', { name: /图片/, selected: true }).waitFor();
      await expect
        .poll(() => page.locator('[data-testid="page-tile"][data-status="completed"]').count(), {
          timeout: 30_000,
        })
        .toBe(pages);
      const post = await getPost();
      expect(post.status).toBe('completed');
      // One image request per page: the reload watched the same run, it did not start another.
      expect(imageRequests()).toBe(pages);
      expect(post.pages.every((p) => p.image.version === 1 && p.image.versions.length === 1)).toBe(true);
      await expect.poll(() => page.locator('[data-testid="page-tile"] img').count()).toBe(pages);
      await screenshot(page, '04-completed-grid');
    });

    it('regenerates one page, then picks the old version back', async () => {
      const requestsBefore = imageRequests();
      await page.getByRole('button', { name: /^打开第 2 页/ }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('这一页依据的文字').waitFor();
      await expect
        .poll(() => dialog.getByTestId('page-text').textContent())
        .toBe((await getPost()).pages[1]!.content);
      await dialog.getByRole('button', { name: '重新生成' }).click();
      await dialog.getByRole('button', { name: '版本 2 · 当前' }).waitFor({ timeout: 20_000 });
      expect(imageRequests()).toBe(requestsBefore + 1);
      await dialog.getByRole('button', { name: '版本 1', exact: true }).click();
      await dialog.getByRole('button', { name: '使用版本 1' }).click();
      await page.getByText('已将版本 1 设为这一页的图片。').waitFor();
      await dialog.getByRole('button', { name: '版本 1 · 当前' }).waitFor();
      const post = await getPost();
      expect(post.pages[1]!.image.version).toBe(1);
      expect(post.pages[1]!.image.versions.map((v) => v.version)).toEqual([1, 2]);
      await screenshot(page, '05-page-versions', false);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    });

    it('writes copy, edits it locally and copies the tags to the clipboard', async () => {
      await page.getByRole('tab', { name: '文案' }).click();
      await page.getByRole('button', { name: '生成文案' }).click();
      const title = page.getByLabel('标题 1', { exact: true });
      await title.waitFor({ timeout: 20_000 });
      const post = await getPost();
      expect(post.copyStatus).toBe('completed');
      expect(await title.inputValue()).toBe(post.copy!.titles[0]);
      await page.getByRole('button', { name: '复制标签' }).click();
      await page.getByText('已复制').first().waitFor();
      const clipboard = await page.evaluate(() => navigator.clipboard.readText());
      expect(clipboard.split(' ')).toHaveLength(post.copy!.tags.length);
      expect(clipboard.startsWith('#')).toBe(true);
      await title.fill('我改过的标题');
      await page.reload();
      await page.getByRole('tab', { name: '文案' }).click();
      await expect.poll(() => page.getByLabel('标题 1', { exact: true }).inputValue()).toBe('我改过的标题');
      await screenshot(page, '06-copy');
    });

    it('downloads the ZIP with the page images, outline and copy', async () => {
      const pages = (await getPost()).pages.length;
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: '下载 ZIP' }).click();
      const file = path.join(ARTIFACTS, 'post.zip');
      await (await download).saveAs(file);
      const zip = await readFile(file);
      expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
      const names = zipEntryNames(zip);
      const images = Array.from({ length: pages }, (_, i) => `${String(i + 1).padStart(2, '0')}.png`);
      expect(names).toEqual(expect.arrayContaining([...images, 'outline.md', 'copy.md']));
    });

    it('finds the post in the history by searching', async () => {
      await page.getByRole('link', { name: '历史' }).click();
      await page.getByRole('heading', { name: '历史' }).waitFor();
      await page.getByPlaceholder('搜索话题和页面文字').fill(topic.slice(-12));
      await expect.poll(() => page.getByTestId('history-item').count()).toBe(1);
      await page.getByRole('link', { name: topic }).waitFor();
      await expect.poll(() => page.locator('[data-testid="history-item"] img').count()).toBe(1);
      await page.getByPlaceholder('搜索话题和页面文字').fill('');
      await screenshot(page, '07-history');
      await page.getByPlaceholder('搜索话题和页面文字').fill(topic.slice(-12));
      await page.getByRole('link', { name: topic }).click();
      await page.waitForURL(new RegExp(`#/posts/${postId}$`));
    });

    it('lists the providers with masked keys and shows the provider’s own test message', async () => {
      await page.getByRole('link', { name: '设置' }).click();
      const relay = page.getByTestId('provider').filter({ hasText: 'relay' });
      await relay.waitFor();
      expect(await relay.textContent()).toContain('5678');
      expect(await relay.textContent()).not.toContain('sk-image-secret');
      await relay.getByRole('button', { name: '测试 relay' }).click();
      const result = relay.getByTestId('test-result');
      await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/连接成功|失败/);
      const answer = (await (await stack.request('POST', '/v1/providers/image/relay/test')).json()) as {
        message: string;
      };
      expect(await result.textContent()).toContain(answer.message);
      await screenshot(page, '08-settings');
    });
  },
);

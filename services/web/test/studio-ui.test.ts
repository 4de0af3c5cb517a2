import type { PostView } from '@inkpost/shared/contract';
import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../api/test/harness.js';
import { HAS_CHROMIUM, launch, newContext, requireBuiltStudio, SKIP_REASON, screenshot } from './browser.js';

const ENDPOINT = '/v1/images/generations';
// text_card (offline, real pictures with the page text) draws by default; `flaky` is the fake, for failures.
const imageYaml = (fake: FakeProvider) =>
  [
    'active_provider: text_card',
    'providers:',
    '  flaky:',
    '    type: image_api',
    '    api_key: k-flaky-0001',
    `    base_url: ${fake.url}`,
    '    model: m',
    `    endpoint_type: ${ENDPOINT}`,
    '    high_concurrency: false',
  ].join('\n');

const PAGES = [
  { type: 'cover', content: '3岁宝宝冬季保暖攻略\n妈妈们必看的穿衣指南' },
  { type: 'content', content: '洋葱式穿衣法\n- 内层吸汗：纯棉\n- 中层保暖：抓绒\n- 外层防风：羽绒' },
  { type: 'content', content: '摸后颈判断冷暖\n- 温热不出汗 = 刚好\n- 出汗了就减一件' },
  { type: 'summary', content: '保暖三原则\n分层穿、勤摸颈、防温差' },
];

/** The page fits the viewport: nothing sticks out sideways. */
const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe.skipIf(!HAS_CHROMIUM)(
  `the studio's screens${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`,
  { timeout: 90_000 },
  () => {
    let fake: FakeProvider;
    let stack: Stack;
    let browser: Browser;

    const getPost = async (id: string) =>
      (await (await stack.request('GET', `/v1/posts/${id}`)).json()) as PostView;
    async function generated(topic: string, extra: Record<string, unknown> = {}): Promise<PostView> {
      const created = await stack.createPost({ topic, pages: PAGES, autoGenerate: true, ...extra });
      await stack.follow(created.id, 30_000);
      return getPost(created.id);
    }

    beforeAll(async () => {
      requireBuiltStudio();
      fake = await startFakeProvider({ latencyMs: 10 });
      stack = await startStack({ imageProvidersYaml: imageYaml(fake) });
      browser = await launch();
    });

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
      await fake?.close();
    });

    it('speaks English to an English browser, and switches to Chinese (remembered)', async () => {
      const context = await newContext(browser, { locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(`${stack.url}/`);
      await page.getByRole('heading', { name: 'Turn a topic into a RED-style image post' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
      await screenshot(page, '10-create-en');
      await page.getByRole('button', { name: 'Switch to Chinese' }).click();
      await page.getByRole('heading', { name: '把一个话题变成一组小红书图文' }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: '把一个话题变成一组小红书图文' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
      await page.getByRole('button', { name: 'Switch to English' }).waitFor();
      await context.close();
    });

    it('works on a 360 px phone screen', async () => {
      const post = await generated('3岁宝宝冬季保暖攻略');
      expect(post.status).toBe('completed');
      const context = await newContext(browser, { width: 360, height: 740 });
      const page = await context.newPage();
      await page.goto(`${stack.url}/`);
      await page.getByLabel('话题').fill('周末去哪儿：城市公园野餐清单');
      await screenshot(page, '11-phone-create');
      expect(await overflow(page)).toBeLessThanOrEqual(0);

      await page.goto(`${stack.url}/#/posts/${post.id}`);
      await expect.poll(() => page.locator('[data-testid="page-tile"] img').count()).toBe(PAGES.length);
      await expect
        .poll(() =>
          page
            .locator('[data-testid="page-tile"] img')
            .evaluateAll((imgs) =>
              imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
            ),
        )
        .toBe(true);
      // Two columns of 3:4 tiles.
      const boxes = await page
        .getByTestId('page-tile')
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
      expect(boxes[0].top).toBe(boxes[1].top);
      expect(boxes[2].top).toBeGreaterThan(boxes[0].top);
      await screenshot(page, '12-phone-post');
      expect(await overflow(page)).toBeLessThanOrEqual(0);

      await page.getByRole('tab', { name: '大纲' }).click();
      await page.getByLabel('第 1 页文字').waitFor();
      await screenshot(page, '13-phone-outline', false);
      expect(await overflow(page)).toBeLessThanOrEqual(0);

      await page.getByRole('tab', { name: /图片/ }).click();
      await page.getByRole('button', { name: /^打开第 1 页/ }).click();
      await page.getByRole('dialog').getByRole('button', { name: '版本 1 · 当前' }).waitFor();
      await expect
        .poll(() => page.getByTestId('dialog-image').evaluate((i) => (i as HTMLImageElement).naturalWidth))
        .toBeGreaterThan(0);
      await screenshot(page, '14-phone-page-dialog', false);
      await context.close();
    });

    it('shows a 412 conflict when the outline was saved in another tab, and reloads theirs', async () => {
      const post = await stack.createPost({ topic: 'Winter layers for toddlers', pages: PAGES });
      const context = await newContext(browser, { locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(`${stack.url}/#/posts/${post.id}`);
      const first = page.getByLabel('Text of page 1');
      await first.fill('My version of the cover');
      // Another tab saves first.
      const other = await stack.request(
        'PATCH',
        `/v1/posts/${post.id}`,
        { topic: 'Changed in another tab' },
        { 'if-match': `"${post.revision}"` },
      );
      expect(other.status).toBe(200);
      await page.getByRole('button', { name: 'Save outline' }).click();
      const conflict = page.getByTestId('conflict');
      await conflict.waitFor();
      expect(await conflict.textContent()).toContain('This post was changed somewhere else');
      expect((await getPost(post.id)).topic).toBe('Changed in another tab');
      await screenshot(page, '15-conflict', false);
      await conflict.getByRole('button', { name: 'Reload their version' }).click();
      await conflict.waitFor({ state: 'detached' });
      expect(await page.getByLabel('Topic', { exact: true }).inputValue()).toBe('Changed in another tab');
      expect(await first.inputValue()).toBe(PAGES[0]!.content);
      await context.close();
    });

    it('reorders pages by keyboard (focus follows the page) and by drag and drop', async () => {
      const post = await stack.createPost({ topic: 'Reorder me', pages: PAGES });
      const context = await newContext(browser, { locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(`${stack.url}/#/posts/${post.id}`);
      const texts = () =>
        page
          .getByTestId('outline-page')
          .locator('textarea')
          .evaluateAll((els) => els.map((e) => (e as HTMLTextAreaElement).value));
      await page.getByRole('button', { name: 'Move page 2 down' }).focus();
      await page.keyboard.press('Enter');
      await expect
        .poll(texts)
        .toEqual([PAGES[0]!.content, PAGES[2]!.content, PAGES[1]!.content, PAGES[3]!.content]);
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
        .toBe('Move page 3 down');

      // Headless Chromium does not start native drags from synthetic mouse input: the drag events are dispatched
      // with one DataTransfer, as the browser would send them.
      const dataTransfer = await page.evaluateHandle(() => new DataTransfer());
      const handle = page.locator('[data-testid="outline-page"] .drag-handle').nth(3);
      const target = page.getByTestId('outline-page').nth(0);
      await handle.dispatchEvent('dragstart', { dataTransfer });
      await target.dispatchEvent('dragover', { dataTransfer });
      await target.dispatchEvent('drop', { dataTransfer });
      await handle.dispatchEvent('dragend', { dataTransfer });
      await expect
        .poll(texts)
        .toEqual([PAGES[3]!.content, PAGES[0]!.content, PAGES[2]!.content, PAGES[1]!.content]);
      await page.getByRole('button', { name: 'Save outline' }).click();
      await page.getByText('Outline saved.').waitFor();
      expect((await getPost(post.id)).pages.map((p) => p.id)).toEqual(
        [3, 0, 2, 1].map((i) => post.pages[i]!.id),
      );
      await context.close();
    });

    it("shows a failed page with the provider's reason, and retries it", async () => {
      fake.enqueue(ENDPOINT, {
        kind: 'status',
        status: 400,
        body: {
          error: {
            message: 'Your request was rejected by the safety system.',
            code: 'content_policy_violation',
          },
        },
      });
      const created = await stack.createPost({
        topic: '失败的一页',
        pages: PAGES.slice(0, 1),
        autoGenerate: true,
        imageProvider: 'flaky',
      });
      const context = await newContext(browser);
      const page = await context.newPage();
      await page.goto(`${stack.url}/#/posts/${created.id}`);
      const error = page.getByTestId('page-error');
      await error.waitFor({ timeout: 20_000 });
      const reason = (await getPost(created.id)).pages[0]!.image.error!.message;
      expect(await error.textContent()).toContain(reason);
      expect(await page.getByTestId('page-tile').getAttribute('data-status')).toBe('failed');
      await screenshot(page, '16-failed-page');
      await page.getByRole('button', { name: '重试失败的页面' }).click();
      await page.locator('[data-testid="page-tile"][data-status="completed"]').waitFor({ timeout: 20_000 });
      await context.close();
    });

    it('cancels a running generation', async () => {
      fake.reset();
      fake.setLatency(3_000);
      const created = await stack.createPost({ topic: '取消我', pages: PAGES, imageProvider: 'flaky' });
      const context = await newContext(browser);
      const page = await context.newPage();
      await page.goto(`${stack.url}/#/posts/${created.id}`);
      await page.getByRole('button', { name: '生成 4 张图片' }).click();
      await page.locator('[data-testid="page-tile"][data-status="generating"]').waitFor();
      await page.getByRole('button', { name: '取消生成' }).click();
      await page.locator('.post-head [data-status="cancelled"]').waitFor();
      expect((await getPost(created.id)).status).toBe('cancelled');
      await page.getByRole('button', { name: '取消生成' }).waitFor({ state: 'detached' });
      fake.setLatency(10);
      await context.close();
    });

    it('filters the history by status and deletes a post after a confirmation', async () => {
      const outlined = await stack.createPost({ topic: '只有大纲的笔记', pages: PAGES });
      const context = await newContext(browser);
      const page = await context.newPage();
      await page.goto(`${stack.url}/#/history`);
      await page.getByLabel('状态').selectOption('outlined');
      const item = page.getByTestId('history-item').filter({ hasText: '只有大纲的笔记' });
      await item.waitFor();
      const statuses = () => page.locator('[data-testid="history-item"] .pill').allTextContents();
      await expect.poll(async () => [...new Set(await statuses())]).toEqual(['大纲已就绪']);
      await item.getByRole('button', { name: /^删除/ }).click();
      await item.getByText('确定永久删除？').waitFor();
      await item.getByRole('button', { name: '删除', exact: true }).click();
      await item.waitFor({ state: 'detached' });
      expect((await stack.request('GET', `/v1/posts/${outlined.id}`)).status).toBe(404);
      await context.close();
    });
  },
);

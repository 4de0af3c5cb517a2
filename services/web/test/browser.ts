import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_REASON = `${CHROMIUM} not found: studio browser tests skipped (apt-get install -y chromium; .ci/run installs it)`;
if (!HAS_CHROMIUM) console.warn(`[web] ${SKIP_REASON}`);

export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/web/', import.meta.url));
const INDEX = fileURLToPath(new URL('../dist/index.html', import.meta.url));

/** The API serves services/web/dist; the root `pnpm test` builds it first. */
export function requireBuiltStudio(): void {
  if (!existsSync(INDEX))
    throw new Error(
      'services/web/dist is missing: run `pnpm build` (or `pnpm --filter @inkpost/web build`) first',
    );
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export async function newContext(
  browser: Browser,
  opts: { locale?: string; width?: number; height?: number } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    locale: opts.locale ?? 'zh-CN',
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    deviceScaleFactor: 1,
    acceptDownloads: true,
  });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Saves a screenshot under test-artifacts/web/ once the web font has loaded the glyphs on screen. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Sticky bars would otherwise be drawn where the page happens to be scrolled to.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => document.fonts.ready);
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage, animations: 'disabled' });
  return file;
}

/** The names of the entries of a ZIP, read from its central directory. */
export function zipEntryNames(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a ZIP: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('broken central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    names.push(zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

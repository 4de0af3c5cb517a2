import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ImageProviderConfig,
  loadImageProviders,
  loadTextProviders,
  type TextProviderConfig,
} from '@inkpost/shared';
import { encodePng } from '@inkpost/testkit';
import { expect } from 'vitest';
import { ProviderError } from '../errors.js';
import type { ImageReference, RenderRequest } from '../image/types.js';

/** The key every provider test configures; no error message may ever contain it. */
export const API_KEY = 'AIzaSyTestKey-1234567890abcdef';

const dir = mkdtempSync(join(tmpdir(), 'inkpost-provider-tests-'));
let files = 0;

/** Removes the YAML files the loaders below wrote. */
export function cleanupConfigFiles(): void {
  rmSync(dir, { recursive: true, force: true });
}

// JSON is YAML, so nested fields (extra_body) need no YAML writer; the key goes through ${VAR} like in production.
function writeProviders(entry: Record<string, unknown>): string {
  const file = join(dir, `providers-${++files}.yaml`);
  const doc = { active_provider: 'fake', providers: { fake: { api_key: '${TEST_PROVIDER_KEY}', ...entry } } };
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

/** A text provider loaded the way the services load it. */
export function textConfig(entry: Record<string, unknown>): TextProviderConfig {
  const config = loadTextProviders(writeProviders(entry), { TEST_PROVIDER_KEY: API_KEY }).providers.get(
    'fake',
  );
  if (!config) throw new Error('the fake text provider did not load');
  return config;
}

/** An image provider loaded the way the services load it. */
export function imageConfig(entry: Record<string, unknown>): ImageProviderConfig {
  const file = writeProviders(entry);
  const config = loadImageProviders(file, { TEST_PROVIDER_KEY: API_KEY }, 4).providers.get('fake');
  if (!config) throw new Error('the fake image provider did not load');
  return config;
}

/** The ProviderError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a ProviderError, but the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).message).not.toContain(API_KEY);
  return err as ProviderError;
}

export const PAGES: RenderRequest['pages'] = [
  { type: 'cover', content: '一周早餐不重样\n5 分钟快手营养搭配' },
  { type: 'content', content: '第一天：燕麦酸奶杯\n- 燕麦 40g + 无糖酸奶 150g' },
  { type: 'summary', content: '早餐吃好，一天都有精神！' },
];

export function renderRequest(overrides: Partial<RenderRequest> = {}): RenderRequest {
  return {
    topic: '一周早餐',
    pageIndex: 1,
    pages: PAGES,
    aspectRatio: '3:4',
    style: null,
    references: [],
    ...overrides,
  };
}

const solid = (rgb: [number, number, number]) => encodePng(8, 6, () => [...rgb, 255]);
export const COVER: ImageReference = { bytes: solid([200, 30, 60]), mimeType: 'image/png', role: 'cover' };
export const USER_PNG: ImageReference = { bytes: solid([10, 120, 240]), mimeType: 'image/png', role: 'user' };
// Not a decodable photo, but providers forward references byte for byte without looking inside.
export const USER_JPEG: ImageReference = {
  bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]),
  mimeType: 'image/jpeg',
  role: 'user',
};

/** A Retry-After HTTP date `seconds` from now. */
export const httpDateIn = (seconds: number) => new Date(Date.now() + seconds * 1000).toUTCString();

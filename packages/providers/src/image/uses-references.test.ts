import { type FakeProvider, startFakeProvider } from '@inkpost/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COVER, cleanupConfigFiles, imageConfig, renderRequest, USER_PNG } from '../__tests__/support.js';
import { createImageProvider } from './index.js';

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
  cleanupConfigFiles();
});

const provider = (entry: Record<string, unknown>) =>
  createImageProvider(imageConfig({ base_url: fake.url, model: 'gpt-image-1', ...entry }));

describe('usesReferences: whether the worker needs to read the cover and the user’s images', () => {
  it.each([
    ['image_api, edits endpoint', { type: 'image_api', endpoint_type: '/v1/images/edits' }, true],
    ['image_api, chat endpoint', { type: 'image_api', endpoint_type: '/v1/chat/completions' }, true],
    [
      'image_api, generations endpoint',
      { type: 'image_api', endpoint_type: '/v1/images/generations' },
      false,
    ],
    ['image_api, no endpoint type', { type: 'image_api' }, false],
    ['openai_compatible gpt-image', { type: 'openai_compatible' }, true],
    ['openai_compatible dall-e-3', { type: 'openai_compatible', model: 'dall-e-3' }, false],
    ['google_genai', { type: 'google_genai', model: 'gemini-2.5-flash-image' }, true],
    ['text_card', { type: 'text_card' }, false],
  ])('%s: %s', (_, entry, uses) => {
    expect(provider(entry).usesReferences).toBe(uses);
  });

  it.each([
    ['image_api on a generations endpoint', { type: 'image_api', endpoint_type: '/v1/images/generations' }],
    ['openai_compatible dall-e-3', { type: 'openai_compatible', model: 'dall-e-3' }],
  ])('%s sends the prompt alone, and it mentions no attached image', async (_, entry) => {
    await provider(entry).render(renderRequest({ references: [COVER, USER_PNG] }));
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/images/generations']);
    expect(fake.requests[0]!.json.prompt).not.toMatch(/attached/);
  });
});

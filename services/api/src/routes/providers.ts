import { ProviderError, TEXT_CARD_THEMES, testImageProvider, testTextProvider } from '@inkpost/providers';
import {
  ErrorBody,
  type ImageProviderConfig,
  maskSecret,
  ProviderList,
  type ProviderPricing,
  ProviderTestResult,
  StyleList,
  type TextProviderConfig,
} from '@inkpost/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { notFound } from '../errors.js';

const TestParams = z.object({ kind: z.enum(['text', 'image']), name: z.string().max(64) });

function info(
  config: TextProviderConfig | ImageProviderConfig,
  active: string,
  limits: { concurrency: number | null; rateLimitPerMinute: number | null },
) {
  const endpoint = config.endpointUrl ? config.endpointUrl.split('?')[0]! : null;
  const pricing = (config as { pricing?: ProviderPricing | null }).pricing ?? null;
  return {
    name: config.name,
    type: config.type,
    model: config.model,
    endpoint,
    apiKey: maskSecret(config.apiKey),
    active: config.name === active,
    ...limits,
    pricing,
  };
}

export function providerRoutes(ctx: ApiContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/providers',
      {
        schema: {
          tags: ['providers'],
          summary: 'Configured text and image providers, keys masked',
          response: { 200: ProviderList, 401: ErrorBody },
        },
      },
      async () => ({
        text: [...ctx.textProviders.providers.values()].map((p) =>
          info(p, ctx.textProviders.active, { concurrency: null, rateLimitPerMinute: null }),
        ),
        image: [...ctx.imageProviders.providers.values()].map((p) =>
          info(p, ctx.imageProviders.active, {
            concurrency: p.concurrency,
            rateLimitPerMinute: p.rateLimitPerMinute,
          }),
        ),
      }),
    );

    app.post(
      '/v1/providers/:kind/:name/test',
      {
        schema: {
          tags: ['providers'],
          summary: "A real, tiny call to the provider: latency, or the provider's own error message",
          params: TestParams,
          response: { 200: ProviderTestResult, 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        const { kind, name } = request.params;
        const started = performance.now();
        const run =
          kind === 'text'
            ? runTest(ctx.textProviders.providers.get(name), testTextProvider)
            : runTest(ctx.imageProviders.providers.get(name), testImageProvider);
        const { ok, message } = await run;
        return { ok, message, latencyMs: Math.round(performance.now() - started) };
      },
    );

    app.get(
      '/v1/styles',
      {
        schema: {
          tags: ['providers'],
          summary: 'Style presets for `style` (free text is accepted too)',
          response: { 200: StyleList },
        },
      },
      async () => ({ styles: Object.keys(TEXT_CARD_THEMES).map((name) => ({ name })) }),
    );
  };
}

async function runTest<C>(
  config: C | undefined,
  test: (c: C, signal: AbortSignal) => Promise<{ message: string }>,
) {
  if (!config) throw notFound('Provider');
  try {
    const result = await test(config, AbortSignal.timeout(30_000));
    return { ok: true, message: result.message };
  } catch (err) {
    if (err instanceof ProviderError) return { ok: false, message: err.message };
    return { ok: false, message: 'The provider could not be reached.' };
  }
}

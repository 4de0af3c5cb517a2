import type { ImageProviderConfig, TextProviderConfig } from '@inkpost/shared';
import { createImageProvider } from './image/index.js';
import { createTextClient } from './text/index.js';

/** What a successful connection test found, for a person to read. */
export interface ConnectionTestResult {
  message: string;
}

/**
 * Proves a text provider's key and endpoint work with the cheapest real call it has: `GET <base>/models` for
 * OpenAI-style services (a one-token chat completion where that endpoint does not exist), `GET
 * …/v1beta/models/<model>` for Gemini. The offline `local` writer has nothing to connect to. Failures throw the
 * same ProviderErrors a real call would (provider_auth for a bad key, provider_unreachable, …); the call waits
 * at most `timeout_seconds` or 30 s, whichever is shorter.
 */
export async function testTextProvider(
  config: TextProviderConfig,
  signal?: AbortSignal,
): Promise<ConnectionTestResult> {
  const client = createTextClient(config);
  if (!client?.testConnection)
    return { message: `${config.name}: built-in offline writer, nothing to connect to` };
  return client.testConnection(signal);
}

/**
 * Proves an image provider's key and endpoint work without drawing anything: `GET <base>/v1/models` for
 * OpenAI-style services, `GET …/v1beta/models/<model>` for Gemini; `text_card` renders a small card locally.
 */
export async function testImageProvider(
  config: ImageProviderConfig,
  signal?: AbortSignal,
): Promise<ConnectionTestResult> {
  const provider = createImageProvider(config);
  if (!provider.testConnection) return { message: `${config.name}: nothing to test` };
  return provider.testConnection(signal);
}

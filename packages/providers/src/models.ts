import type { ConnectionTestResult } from './connection.js';
import { ProviderError } from './errors.js';
import { providerJson } from './http.js';

export interface ModelsCall {
  provider: string;
  /** The OpenAI-style model list, e.g. https://host/v1/models. */
  url: string;
  apiKey: string | null;
  model: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * The connection test of an OpenAI-style provider: `GET <base>/models` costs nothing and is refused without a
 * valid key. A model missing from the list is reported, not failed: relays often list only part of what they
 * serve.
 */
export async function listModels(call: ModelsCall): Promise<ConnectionTestResult> {
  const answer = (await providerJson({
    provider: call.provider,
    url: call.url,
    method: 'GET',
    headers: { authorization: `Bearer ${call.apiKey}` },
    timeoutMs: call.timeoutMs,
    signal: call.signal,
    secrets: [call.apiKey],
  })) as { data?: unknown };
  if (!Array.isArray(answer?.data)) {
    throw new ProviderError(`${call.provider} answered ${call.url} without a model list`, {
      code: 'provider_bad_response',
      retryable: true,
    });
  }
  const ids = answer.data.map((m: { id?: unknown } | null) => m?.id).filter((id) => typeof id === 'string');
  if (ids.includes(call.model)) {
    return { message: `${call.provider}: key accepted, model ${call.model} is available` };
  }
  return {
    message: `${call.provider}: key accepted; model ${call.model} is not among the ${ids.length} models it lists`,
  };
}

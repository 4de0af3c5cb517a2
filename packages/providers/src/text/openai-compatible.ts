import type { TextProviderConfig } from '@inkpost/shared';
import OpenAI from 'openai';
import {
  errorFromNetwork,
  errorFromStatus,
  ProviderError,
  providerMessageFrom,
  scrubSecrets,
} from '../errors.js';
import type { TextClient, TextRequest, TextResult } from './types.js';

/**
 * `openai_compatible` chat models (OpenAI, Qwen/DashScope, DeepSeek, relays, Ollama, vLLM) through the openai SDK.
 * Streams by default: providers such as DashScope refuse non-streamed calls to thinking models, and a stream keeps
 * long generations alive through proxies.
 */
export class OpenAiCompatibleText implements TextClient {
  private readonly client: OpenAI;

  constructor(private readonly config: TextProviderConfig) {
    const endpoint = config.endpointUrl!;
    this.client = new OpenAI({
      apiKey: config.apiKey!,
      baseURL: endpoint.replace(/\/chat\/completions\/?$/, ''),
      timeout: config.timeoutMs,
      // Retries are the queue's job (backoff, Retry-After); the SDK retrying too would multiply calls.
      maxRetries: 0,
      // Failures surface as ProviderErrors and our own logs; the SDK must not print to the console.
      logLevel: 'off',
    });
  }

  async complete(req: TextRequest): Promise<TextResult> {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: req.system },
      { role: 'user', content: userContent(req) },
    ];
    const params = {
      model: this.config.model!,
      messages,
      ...(this.config.temperature !== null ? { temperature: this.config.temperature } : {}),
      ...(this.config.maxTokens !== null ? { max_tokens: this.config.maxTokens } : {}),
    };
    try {
      if (!this.config.stream) {
        const res = await this.client.chat.completions.create(
          { ...params, stream: false },
          { signal: req.signal },
        );
        const text = res.choices?.[0]?.message?.content;
        if (typeof text !== 'string') throw badResponse(this.config.name);
        return {
          text,
          tokensIn: res.usage?.prompt_tokens ?? 0,
          tokensOut: res.usage?.completion_tokens ?? 0,
        };
      }
      const stream = await this.client.chat.completions.create(
        { ...params, stream: true, stream_options: { include_usage: true } },
        { signal: req.signal },
      );
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices?.[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, tokensIn: usage?.prompt_tokens ?? 0, tokensOut: usage?.completion_tokens ?? 0 };
    } catch (err) {
      throw this.mapError(err, req.signal);
    }
  }

  private mapError(err: unknown, signal?: AbortSignal): ProviderError {
    if (err instanceof ProviderError) return err;
    const name = this.config.name;
    if (err instanceof OpenAI.APIConnectionTimeoutError) return errorFromNetwork(name, err, true);
    if (err instanceof OpenAI.APIUserAbortError || signal?.aborted)
      return errorFromNetwork(name, { name: 'AbortError' }, false);
    if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
      const body = err.error ? JSON.stringify({ error: err.error }) : err.message;
      const mapped = errorFromStatus(
        name,
        err.status,
        providerMessageFrom(body),
        err.headers?.get?.('retry-after') ?? null,
      );
      return new ProviderError(scrubSecrets(mapped.message, [this.config.apiKey]), mapped);
    }
    if (err instanceof OpenAI.APIConnectionError) return errorFromNetwork(name, err.cause ?? err, false);
    if (err instanceof SyntaxError) return badResponse(name);
    return new ProviderError(
      scrubSecrets(`${name} failed: ${(err as Error).message}`, [this.config.apiKey]),
      {
        code: 'provider_bad_response',
        retryable: true,
      },
    );
  }
}

function userContent(req: TextRequest): OpenAI.ChatCompletionUserMessageParam['content'] {
  if (!req.images?.length) return req.user;
  return [
    { type: 'text', text: req.user },
    ...req.images.map((img) => ({
      type: 'image_url' as const,
      image_url: { url: `data:${img.mimeType};base64,${img.bytes.toString('base64')}` },
    })),
  ];
}

function badResponse(provider: string): ProviderError {
  return new ProviderError(`${provider} answered with a malformed body`, {
    code: 'provider_bad_response',
    retryable: true,
  });
}

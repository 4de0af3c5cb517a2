import type { TextProviderConfig } from '@inkpost/shared';
import OpenAI from 'openai';
import type { ConnectionTestResult } from '../connection.js';
import {
  errorFromNetwork,
  errorFromStatus,
  ProviderError,
  providerMessageFrom,
  scrubSecrets,
} from '../errors.js';
import { mergeBody } from '../http.js';
import { listModels } from '../models.js';
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

  complete(req: TextRequest): Promise<TextResult> {
    return this.chat(req, this.config.maxTokens);
  }

  /**
   * `GET <base>/models` proves the key for free; services without that endpoint (404/405) get a one-token chat
   * completion instead.
   */
  async testConnection(signal?: AbortSignal): Promise<ConnectionTestResult> {
    const call = { ...this.testCall(), signal };
    try {
      return await listModels({
        ...call,
        url: this.config.endpointUrl!.replace(/\/chat\/completions\/?$/, '/models'),
      });
    } catch (err) {
      if (!(err instanceof ProviderError) || (err.status !== 404 && err.status !== 405)) throw err;
    }
    await this.chat({ system: '', user: 'ping', signal }, 1);
    return { message: `${this.config.name}: key accepted, ${this.config.model} answered a one-token chat` };
  }

  private testCall() {
    const { name, apiKey, model, timeoutMs } = this.config;
    return { provider: name, apiKey, model: model!, timeoutMs: Math.min(timeoutMs, 30_000) };
  }

  private async chat(req: TextRequest, maxTokens: number | null): Promise<TextResult> {
    const messages: OpenAI.ChatCompletionMessageParam[] = [];
    if (req.system) messages.push({ role: 'system', content: req.system });
    messages.push({ role: 'user', content: userContent(req) });
    const params = {
      model: this.config.model!,
      messages,
      ...(this.config.temperature !== null ? { temperature: this.config.temperature } : {}),
      ...(maxTokens !== null ? { max_tokens: maxTokens } : {}),
    };
    // extra_body fields ride along in the body; the SDK passes keys it does not know through unchanged.
    const merged = mergeBody(params, this.config.extraBody) as typeof params;
    try {
      if (!this.config.stream) return await this.once(merged, req.signal);
      const stream = await this.client.chat.completions.create(
        { ...merged, stream: true, stream_options: { include_usage: true } },
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

  private async once(
    params: Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, 'stream'>,
    signal?: AbortSignal,
  ): Promise<TextResult> {
    const res = await this.client.chat.completions.create({ ...params, stream: false }, { signal });
    const text = res.choices?.[0]?.message?.content;
    if (typeof text !== 'string') throw badResponse(this.config.name);
    return { text, tokensIn: res.usage?.prompt_tokens ?? 0, tokensOut: res.usage?.completion_tokens ?? 0 };
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

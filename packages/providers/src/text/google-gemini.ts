import type { TextProviderConfig } from '@inkpost/shared';
import type { ConnectionTestResult } from '../connection.js';
import { ProviderError } from '../errors.js';
import {
  type GeminiPart,
  type GeminiResponse,
  geminiCall,
  geminiRefusal,
  inlinePart,
  testGeminiModel,
  withGeminiExtra,
} from '../gemini.js';
import type { TextClient, TextRequest, TextResult } from './types.js';

/**
 * `google_gemini`: Gemini through Google's native REST API (`models/<model>:generateContent`), which accepts
 * the system prompt, reference images and Gemini-only settings (thinking, safety) that its OpenAI-compatible
 * layer does not.
 */
export class GoogleGeminiText implements TextClient {
  constructor(private readonly config: TextProviderConfig) {}

  async complete(req: TextRequest): Promise<TextResult> {
    const answer = (await geminiCall({
      provider: this.config.name,
      url: this.config.endpointUrl!,
      apiKey: this.config.apiKey,
      timeoutMs: this.config.timeoutMs,
      signal: req.signal,
      body: this.body(req),
    })) as GeminiResponse;
    const refusal = geminiRefusal(this.config.name, answer, [this.config.apiKey]);
    if (refusal) throw refusal;
    const candidate = answer?.candidates?.[0];
    // Thinking models return their reasoning as parts marked `thought`; the answer is the rest.
    const text = (candidate?.content?.parts ?? [])
      .filter((p) => p.thought !== true && typeof p.text === 'string')
      .map((p) => p.text)
      .join('');
    if (!text) {
      const finish = candidate?.finishReason ? ` (finishReason ${candidate.finishReason})` : '';
      throw new ProviderError(`${this.config.name} answered without any text${finish}`, {
        code: 'provider_bad_response',
        retryable: true,
      });
    }
    const usage = answer.usageMetadata;
    return {
      text,
      tokensIn: usage?.promptTokenCount ?? 0,
      // Thinking tokens are billed as output, so they count towards it.
      tokensOut: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
    };
  }

  testConnection(signal?: AbortSignal): Promise<ConnectionTestResult> {
    return testGeminiModel({
      provider: this.config.name,
      url: this.config.endpointUrl!,
      apiKey: this.config.apiKey,
      timeoutMs: Math.min(this.config.timeoutMs, 30_000),
      signal,
    });
  }

  private body(req: TextRequest): Record<string, unknown> {
    const parts: GeminiPart[] = [{ text: req.user }];
    for (const image of req.images ?? []) parts.push(inlinePart(image.bytes, image.mimeType));
    const generationConfig: Record<string, unknown> = {};
    if (this.config.temperature !== null) generationConfig.temperature = this.config.temperature;
    if (this.config.maxTokens !== null) generationConfig.maxOutputTokens = this.config.maxTokens;
    const body: Record<string, unknown> = { contents: [{ role: 'user', parts }] };
    if (req.system) body.systemInstruction = { parts: [{ text: req.system }] };
    if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
    return withGeminiExtra(body, this.config.extraBody);
  }
}

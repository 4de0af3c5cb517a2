import type { ImageProviderConfig } from '@inkpost/shared';
import type { ConnectionTestResult } from '../connection.js';
import { quoteModelText, scrubbedError } from '../errors.js';
import {
  type GeminiPart,
  type GeminiResponse,
  geminiCall,
  geminiRefusal,
  inlinePart,
  testGeminiModel,
  withGeminiExtra,
} from '../gemini.js';
import { checkedImage, decodeBase64Image } from './answer.js';
import { buildImagePrompt } from './prompt.js';
import type { ImageProvider, RenderedImage, RenderRequest } from './types.js';

/**
 * `google_genai`: Gemini's native image generation (e.g. gemini-2.5-flash-image) through `:generateContent`,
 * the cover and the user's images sent along as inline parts so every page shares the cover's look.
 */
export class GoogleGenAiImageProvider implements ImageProvider {
  readonly type = 'google_genai';
  readonly name: string;
  readonly usesReferences = true;

  constructor(private readonly config: ImageProviderConfig) {
    this.name = config.name;
  }

  async render(req: RenderRequest): Promise<RenderedImage> {
    const answer = (await geminiCall({
      provider: this.name,
      url: this.config.endpointUrl!,
      apiKey: this.config.apiKey,
      timeoutMs: this.config.timeoutMs,
      signal: req.signal,
      body: this.body(req),
    })) as GeminiResponse;
    const secrets = [this.config.apiKey];
    const refusal = geminiRefusal(this.name, answer, secrets);
    if (refusal) throw refusal;
    const candidate = answer?.candidates?.[0];
    const parts = (candidate?.content?.parts ?? []).filter((p) => p.thought !== true);
    // Thinking image models send draft images marked `thought`; the answer is the first image that is not one.
    const image = parts.find((p) => p.inlineData?.data && /^image\//.test(p.inlineData.mimeType ?? 'image/'));
    if (image?.inlineData?.data) {
      return checkedImage(this.name, decodeBase64Image(image.inlineData.data), this.config.model);
    }
    const text = quoteModelText(parts.map((p) => p.text ?? '').join(' '));
    const finish = candidate?.finishReason ? ` (finishReason ${candidate.finishReason})` : '';
    const said = text ? `; it said: "${text}"` : '';
    throw scrubbedError(`${this.name} answered without an image${finish}${said}`, secrets, {
      code: 'provider_bad_response',
      retryable: true,
    });
  }

  testConnection(signal?: AbortSignal): Promise<ConnectionTestResult> {
    return testGeminiModel({
      provider: this.name,
      url: this.config.endpointUrl!,
      apiKey: this.config.apiKey,
      timeoutMs: Math.min(this.config.timeoutMs, 30_000),
      signal,
    });
  }

  private body(req: RenderRequest): Record<string, unknown> {
    // The cover leads: the prompt calls the first attached image the cover.
    const references = [
      ...req.references.filter((r) => r.role === 'cover'),
      ...req.references.filter((r) => r.role !== 'cover'),
    ];
    const parts: GeminiPart[] = [
      { text: buildImagePrompt(req, this.config.shortPrompt) },
      ...references.map((r) => inlinePart(r.bytes, r.mimeType)),
    ];
    const imageConfig: Record<string, string> = { aspectRatio: this.config.aspectRatio ?? req.aspectRatio };
    if (this.config.imageSize) imageConfig.imageSize = this.config.imageSize;
    const body = {
      contents: [{ role: 'user', parts }],
      generationConfig: { responseModalities: ['IMAGE'], imageConfig },
    };
    return withGeminiExtra(body, this.config.extraBody);
  }
}

import type { ImageProviderConfig } from '@inkpost/shared';
import type { ConnectionTestResult } from '../connection.js';
import { checkedImage } from './answer.js';
import {
  callContext,
  editsForm,
  jsonBody,
  postImagesApi,
  siblingEndpoint,
  testOpenAiImages,
} from './openai-wire.js';
import { buildImagePrompt } from './prompt.js';
import type { ImageProvider, RenderedImage, RenderRequest } from './types.js';

type Shape = 'portrait' | 'landscape' | 'square';

// The sizes each model family accepts (OpenAI's images API rejects any other `size`).
const SIZES: Record<string, Record<Shape, string>> = {
  'gpt-image': { portrait: '1024x1536', landscape: '1536x1024', square: '1024x1024' },
  'dall-e-3': { portrait: '1024x1792', landscape: '1792x1024', square: '1024x1024' },
  'dall-e-2': { portrait: '1024x1024', landscape: '1024x1024', square: '1024x1024' },
};

function familyOf(model: string): string | null {
  const id = model.toLowerCase();
  if (id.startsWith('dall-e-3')) return 'dall-e-3';
  if (id.startsWith('dall-e-2')) return 'dall-e-2';
  if (id.startsWith('gpt-image') || id.startsWith('chatgpt-image')) return 'gpt-image';
  return null;
}

function shapeOf(aspectRatio: string): Shape {
  const [w, h] = aspectRatio.split(':').map(Number);
  if (!w || !h || w === h) return 'square';
  return h > w ? 'portrait' : 'landscape';
}

/**
 * The `size` to ask for: `image_size` when configured, else the model family's size closest to the aspect ratio;
 * null for models of unknown families, whose sizes we cannot guess (the service's default applies).
 */
export function openAiImageSize(model: string, aspectRatio: string, imageSize: string | null): string | null {
  if (imageSize) return imageSize;
  const family = familyOf(model);
  return family ? (SIZES[family]?.[shapeOf(aspectRatio)] ?? null) : null;
}

/**
 * `openai_compatible` images: OpenAI's images API (gpt-image, DALL·E) and services that copy it exactly. A page
 * with references goes to `/v1/images/edits` as `image[]`; DALL·E has no multi-image edits, so it draws from the
 * prompt alone.
 */
export class OpenAiImagesProvider implements ImageProvider {
  readonly type = 'openai_compatible';
  readonly name: string;
  /** gpt-image (and models of unknown families) edit with references; DALL·E draws from the prompt alone. */
  readonly usesReferences: boolean;

  constructor(private readonly config: ImageProviderConfig) {
    this.name = config.name;
    this.usesReferences = !familyOf(config.model!)?.startsWith('dall-e');
  }

  async render(req: RenderRequest): Promise<RenderedImage> {
    const model = this.config.model!;
    const references = this.usesReferences ? req.references : [];
    // The prompt mentions attached images only when they really go along.
    const prompt = buildImagePrompt({ ...req, references }, this.config.shortPrompt);
    const fields: Record<string, string | number> = { model, prompt, n: 1 };
    const size = openAiImageSize(model, this.config.aspectRatio ?? req.aspectRatio, this.config.imageSize);
    if (size) fields.size = size;
    if (this.config.responseFormat) fields.response_format = this.config.responseFormat;
    const ctx = callContext(this.config, req.signal);
    const url = this.config.endpointUrl!;
    const extra = this.config.extraBody;
    const image =
      references.length > 0
        ? await postImagesApi(
            ctx,
            siblingEndpoint(url, '/images/edits'),
            editsForm(fields, extra, references),
          )
        : await postImagesApi(ctx, siblingEndpoint(url, '/images/generations'), jsonBody(fields, extra));
    return checkedImage(this.name, image, model);
  }

  testConnection(signal?: AbortSignal): Promise<ConnectionTestResult> {
    return testOpenAiImages(this.config, signal);
  }
}

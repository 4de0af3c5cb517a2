import type { ImageProviderConfig } from '@inkpost/shared';
import type { ConnectionTestResult } from '../connection.js';
import { checkedImage } from './answer.js';
import { renderWithChat } from './chat-image.js';
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

const EDITS = /\/images\/edits\/?$/;
const CHAT = /\/chat\/completions\/?$/;

/**
 * `image_api`: OpenAI-style image endpoints as relays and image services expose them — `/v1/images/generations`
 * (JSON) and `/v1/images/edits` (multipart, references as `image[]`), answering `b64_json` or `url` — and
 * `/v1/chat/completions` for image models that answer in a chat message.
 */
export class ImageApiProvider implements ImageProvider {
  readonly type = 'image_api';
  readonly name: string;
  /** Edits and chat endpoints take images along; a generations endpoint takes the prompt alone. */
  readonly usesReferences: boolean;
  private readonly endpoint: string;

  constructor(private readonly config: ImageProviderConfig) {
    this.name = config.name;
    this.endpoint = config.endpointType ?? '';
    this.usesReferences = EDITS.test(this.endpoint) || CHAT.test(this.endpoint);
  }

  async render(req: RenderRequest): Promise<RenderedImage> {
    // The prompt mentions attached images only when they really go along.
    const request = this.usesReferences ? req : { ...req, references: [] };
    const prompt = buildImagePrompt(request, this.config.shortPrompt);
    if (CHAT.test(this.endpoint)) return renderWithChat(this.config, prompt, request);
    const ctx = callContext(this.config, req.signal);
    const fields = this.fields(prompt, req);
    const extra = this.config.extraBody;
    // An edits endpoint needs at least one image; a cover without references goes to the generations endpoint.
    const image =
      request.references.length > 0
        ? await postImagesApi(ctx, this.config.endpointUrl!, editsForm(fields, extra, request.references))
        : await postImagesApi(
            ctx,
            siblingEndpoint(this.config.endpointUrl!, '/images/generations'),
            jsonBody(fields, extra),
          );
    return checkedImage(this.name, image, this.config.model);
  }

  testConnection(signal?: AbortSignal): Promise<ConnectionTestResult> {
    return testOpenAiImages(this.config, signal);
  }

  private fields(prompt: string, req: RenderRequest): Record<string, string | number> {
    const fields: Record<string, string | number> = {
      model: this.config.model!,
      prompt,
      n: 1,
      // Relays and image services read aspect_ratio; `size` alone cannot express 3:4 for most of them.
      aspect_ratio: this.config.aspectRatio ?? req.aspectRatio,
    };
    if (this.config.imageSize) fields.size = this.config.imageSize;
    if (this.config.responseFormat) fields.response_format = this.config.responseFormat;
    return fields;
  }
}

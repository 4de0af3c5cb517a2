import { extensionForMime, type ImageProviderConfig, sniffImageMime } from '@inkpost/shared';
import { ProviderError } from '../errors.js';
import { providerFetch } from '../http.js';
import { buildImagePrompt } from './prompt.js';
import type { ImageProvider, ImageReference, RenderedImage, RenderRequest } from './types.js';

/**
 * `image_api`: OpenAI-style image endpoints as relays and image services expose them — `/v1/images/generations`
 * (JSON) and `/v1/images/edits` (multipart, references as `image[]`), answering `b64_json` or `url`.
 */
export class ImageApiProvider implements ImageProvider {
  readonly type = 'image_api';
  readonly name: string;

  constructor(private readonly config: ImageProviderConfig) {
    this.name = config.name;
  }

  async render(req: RenderRequest): Promise<RenderedImage> {
    const prompt = buildImagePrompt(req, this.config.shortPrompt);
    const edits = this.config.endpointType?.endsWith('/images/edits') ?? false;
    // An edits endpoint needs at least one image; a cover without references goes to the generations endpoint.
    const answer =
      edits && req.references.length > 0
        ? await this.post(this.config.endpointUrl!, this.multipart(prompt, req), req.signal)
        : await this.post(this.generationsUrl(edits), this.json(prompt, req), req.signal, 'application/json');
    return this.withMime(await this.imageFrom(answer, req.signal));
  }

  private withMime(bytes: Buffer): RenderedImage {
    const mimeType = sniffImageMime(bytes);
    if (!mimeType) {
      throw new ProviderError(`${this.name} answered with data that is not an image`, {
        code: 'provider_bad_response',
        retryable: true,
      });
    }
    if (!looksComplete(bytes, mimeType)) {
      throw new ProviderError(`${this.name} answered with a truncated image`, {
        code: 'provider_bad_response',
        retryable: true,
      });
    }
    return { bytes, mimeType, model: this.config.model };
  }

  private generationsUrl(fromEdits: boolean): string {
    return fromEdits
      ? this.config.endpointUrl!.replace(/\/images\/edits$/, '/images/generations')
      : this.config.endpointUrl!;
  }

  private baseFields(prompt: string, req: RenderRequest): Record<string, string | number> {
    const fields: Record<string, string | number> = {
      model: this.config.model!,
      prompt,
      n: 1,
      aspect_ratio: req.aspectRatio,
    };
    if (this.config.imageSize) fields.size = this.config.imageSize;
    if (this.config.responseFormat) fields.response_format = this.config.responseFormat;
    return fields;
  }

  private json(prompt: string, req: RenderRequest): string {
    return JSON.stringify(this.baseFields(prompt, req));
  }

  private multipart(prompt: string, req: RenderRequest): FormData {
    const form = new FormData();
    for (const [k, v] of Object.entries(this.baseFields(prompt, req))) form.append(k, String(v));
    req.references.forEach((ref: ImageReference, i) => {
      const name = `${ref.role}-${i}.${extensionForMime(ref.mimeType)}`;
      form.append('image[]', new Blob([new Uint8Array(ref.bytes)], { type: ref.mimeType }), name);
    });
    return form;
  }

  private async post(
    url: string,
    body: RequestInit['body'],
    signal?: AbortSignal,
    contentType?: string,
  ): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.config.apiKey}` };
    if (contentType) headers['content-type'] = contentType;
    const res = await providerFetch({
      provider: this.name,
      url,
      headers,
      body,
      signal,
      timeoutMs: this.config.timeoutMs,
      secrets: [this.config.apiKey],
    });
    try {
      return JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new ProviderError(`${this.name} answered with a body that is not JSON`, {
        code: 'provider_bad_response',
        retryable: true,
      });
    }
  }

  private async imageFrom(answer: unknown, signal?: AbortSignal): Promise<Buffer> {
    const item = (answer as { data?: { b64_json?: unknown; url?: unknown }[] })?.data?.[0];
    if (typeof item?.b64_json === 'string' && item.b64_json.length > 0) {
      return Buffer.from(item.b64_json.replace(/^data:[^,]*,/, ''), 'base64');
    }
    if (typeof item?.url === 'string' && /^https?:\/\//.test(item.url)) {
      const res = await providerFetch({
        provider: this.name,
        url: item.url,
        method: 'GET',
        signal,
        timeoutMs: this.config.timeoutMs,
        secrets: [this.config.apiKey],
      });
      return res.body;
    }
    throw new ProviderError(`${this.name} answered without an image (no data[0].b64_json or url)`, {
      code: 'provider_bad_response',
      retryable: true,
    });
  }
}

/**
 * False when an image visibly stops early: its format's end marker (PNG IEND, JPEG EOI, GIF trailer) is missing
 * from the last bytes, or a WebP is shorter than its RIFF header says. A cut-off download has the right magic
 * number, so sniffing the type alone would accept it.
 */
function looksComplete(bytes: Buffer, mimeType: string): boolean {
  const tail = bytes.subarray(-32);
  switch (mimeType) {
    case 'image/png':
      return tail.includes('IEND', 0, 'latin1');
    case 'image/jpeg':
      return tail.includes(Buffer.from([0xff, 0xd9]));
    case 'image/gif':
      return tail.includes(0x3b);
    case 'image/webp':
      return bytes.length >= 12 && bytes.readUInt32LE(4) + 8 <= bytes.length;
    default:
      return true;
  }
}

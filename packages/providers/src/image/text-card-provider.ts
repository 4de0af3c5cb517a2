import type { ImageProviderConfig } from '@inkpost/shared';
import { renderTextCard } from './text-card.js';
import type { ImageProvider, RenderedImage, RenderRequest } from './types.js';

/** `text_card`: renders the page text onto a styled card locally; no key, no network, no cost. */
export class TextCardProvider implements ImageProvider {
  readonly type = 'text_card';
  readonly name: string;

  constructor(private readonly config: ImageProviderConfig) {
    this.name = config.name;
  }

  async render(req: RenderRequest): Promise<RenderedImage> {
    const page = req.pages[req.pageIndex];
    if (!page) throw new Error(`page ${req.pageIndex} is not in the outline`);
    const style = req.style ?? (typeof this.config.raw.style === 'string' ? this.config.raw.style : undefined);
    const bytes = await renderTextCard({
      topic: req.topic,
      pageType: page.type,
      content: page.content,
      pageNumber: req.pageIndex + 1,
      pageCount: req.pages.length,
      aspectRatio: req.aspectRatio,
      style,
    });
    return { bytes, mimeType: 'image/png', model: 'text-card' };
  }
}

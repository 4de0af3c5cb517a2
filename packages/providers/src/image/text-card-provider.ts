import type { ImageProviderConfig } from '@inkpost/shared';
import type { ConnectionTestResult } from '../connection.js';
import { renderTextCard } from './text-card.js';
import type { ImageProvider, RenderedImage, RenderRequest } from './types.js';

// Outline lines addressed to an image model ("画面：…", "Visual: …") describe a picture; a text card has none.
const IMAGE_DIRECTION = /^\s*(画面|视觉|配图|风格|visual|image|style)\s*[:：]/i;

/** The page text a card shows: the outline text without directions meant for image models. */
export function cardText(content: string): string {
  return content
    .split('\n')
    .filter((line) => !IMAGE_DIRECTION.test(line))
    .join('\n')
    .trim();
}

/** `text_card`: renders the page text onto a styled card locally; no key, no network, no cost. */
export class TextCardProvider implements ImageProvider {
  readonly type = 'text_card';
  readonly name: string;
  /** A card shows the page text; there is no picture to take a look from. */
  readonly usesReferences = false;

  constructor(private readonly config: ImageProviderConfig) {
    this.name = config.name;
  }

  async render(req: RenderRequest): Promise<RenderedImage> {
    const page = req.pages[req.pageIndex];
    if (!page) throw new Error(`page ${req.pageIndex} is not in the outline`);
    const style =
      req.style ?? (typeof this.config.raw.style === 'string' ? this.config.raw.style : undefined);
    const bytes = await renderTextCard({
      topic: req.topic,
      pageType: page.type,
      content: cardText(page.content) || page.content,
      pageNumber: req.pageIndex + 1,
      pageCount: req.pages.length,
      aspectRatio: req.aspectRatio,
      style,
    });
    return { bytes, mimeType: 'image/png', model: 'text-card' };
  }

  /** Renders a small card locally: proves the fonts and canvas work, with no network involved. */
  async testConnection(): Promise<ConnectionTestResult> {
    const bytes = await renderTextCard({
      topic: 'Inkpost',
      pageType: 'cover',
      content: '连接测试 · connection test',
      pageNumber: 1,
      pageCount: 1,
      aspectRatio: '1:1',
    });
    return { message: `${this.name}: rendered a test card locally (${bytes.length} bytes)` };
  }
}

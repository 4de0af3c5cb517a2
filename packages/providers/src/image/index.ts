import type { ImageProviderConfig } from '@inkpost/shared';
import { ImageApiProvider } from './image-api.js';
import { TextCardProvider } from './text-card-provider.js';
import type { ImageProvider } from './types.js';

/** The image provider for a configured entry. */
export function createImageProvider(config: ImageProviderConfig): ImageProvider {
  switch (config.type) {
    case 'image_api':
      return new ImageApiProvider(config);
    case 'text_card':
      return new TextCardProvider(config);
  }
}

export { buildImagePrompt } from './prompt.js';
export * from './text-card.js';
export * from './types.js';

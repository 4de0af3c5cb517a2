import type { ImageProviderConfig } from '@inkpost/shared';
import { GoogleGenAiImageProvider } from './google-genai.js';
import { ImageApiProvider } from './image-api.js';
import { OpenAiImagesProvider } from './openai-images.js';
import { TextCardProvider } from './text-card-provider.js';
import type { ImageProvider } from './types.js';

/** The image provider for a configured entry. */
export function createImageProvider(config: ImageProviderConfig): ImageProvider {
  switch (config.type) {
    case 'image_api':
      return new ImageApiProvider(config);
    case 'openai_compatible':
      return new OpenAiImagesProvider(config);
    case 'google_genai':
      return new GoogleGenAiImageProvider(config);
    case 'text_card':
      return new TextCardProvider(config);
  }
}

export { findChatImage } from './chat-image.js';
export { openAiImageSize } from './openai-images.js';
export { buildImagePrompt } from './prompt.js';
export * from './text-card.js';
export * from './types.js';

import type { TextProviderConfig } from '@inkpost/shared';
import { GoogleGeminiText } from './google-gemini.js';
import { OpenAiCompatibleText } from './openai-compatible.js';
import type { TextClient } from './types.js';

/** The chat client of a configured text provider; null for the offline `local` writer, which needs none. */
export function createTextClient(config: TextProviderConfig): TextClient | null {
  switch (config.type) {
    case 'openai_compatible':
      return new OpenAiCompatibleText(config);
    case 'google_gemini':
      return new GoogleGeminiText(config);
    case 'local':
      return null;
  }
}

export * from './types.js';

import type { ConnectionTestResult } from '../connection.js';

export interface TextRequest {
  system: string;
  user: string;
  images?: { bytes: Buffer; mimeType: string }[];
  signal?: AbortSignal;
}

export interface TextResult {
  text: string;
  tokensIn: number;
  tokensOut: number;
}

/** A chat model: a system and user message in, text and token usage out. Failures are ProviderErrors. */
export interface TextClient {
  complete(req: TextRequest): Promise<TextResult>;
  /** A cheap real call proving the key and endpoint work (see `testTextProvider`); optional for test doubles. */
  testConnection?(signal?: AbortSignal): Promise<ConnectionTestResult>;
}

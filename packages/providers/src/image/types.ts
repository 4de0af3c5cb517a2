import type { AspectRatio, PageType } from '@inkpost/shared';
import type { ConnectionTestResult } from '../connection.js';

export interface ImageReference {
  bytes: Buffer;
  mimeType: string;
  /** `cover` is the post's rendered cover (style reference); `user` an image the user attached. */
  role: 'cover' | 'user';
}

export interface OutlinePageText {
  type: PageType;
  content: string;
}

export interface RenderRequest {
  topic: string;
  pageIndex: number;
  pages: OutlinePageText[];
  aspectRatio: AspectRatio;
  style: string | null;
  references: ImageReference[];
  signal?: AbortSignal;
}

export interface RenderedImage {
  bytes: Buffer;
  mimeType: string;
  model: string | null;
}

/** An image model: one page in, one image out. Failures are ProviderErrors. */
export interface ImageProvider {
  readonly name: string;
  readonly type: string;
  /**
   * Whether `render` sends `references` to the model. Reading them (the cover and the user's images, several MB)
   * from storage costs every page a round trip, which is wasted on a model that only takes a prompt.
   */
  readonly usesReferences: boolean;
  render(request: RenderRequest): Promise<RenderedImage>;
  /** A cheap real call proving the key and endpoint work (see `testImageProvider`); optional for test doubles. */
  testConnection?(signal?: AbortSignal): Promise<ConnectionTestResult>;
}

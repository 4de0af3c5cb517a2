import { newPageId, newPostId, type PageType, type PostRecord } from '@inkpost/shared';
import { newPageRecord } from './post-state.js';

/** A post record for tests: outlined, with the given page types. */
export function samplePost(
  types: PageType[] = ['cover', 'content', 'content', 'summary'],
  tenant = 'local',
): PostRecord {
  const now = new Date().toISOString();
  return {
    id: newPostId(),
    tenant,
    topic: 'Sample topic',
    status: 'outlined',
    aspectRatio: '3:4',
    style: null,
    pageCountHint: null,
    autoGenerate: false,
    textProvider: 'local',
    imageProvider: 'text_card',
    webhookUrl: null,
    referenceImages: [],
    pages: types.map((t, i) => newPageRecord(newPageId(), t, `Page ${i + 1}`)),
    copy: null,
    copyState: { status: 'none', attempt: 0, error: null },
    usage: {
      textTokensIn: 0,
      textTokensOut: 0,
      imagesGenerated: 0,
      providerCalls: 0,
      cost: null,
      currency: null,
    },
    estimate: null,
    error: null,
    outlineAttempt: 0,
    requestId: null,
    createdAt: now,
    updatedAt: now,
    revision: 0,
  };
}

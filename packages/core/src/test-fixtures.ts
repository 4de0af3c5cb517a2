import { newPageId, newPostId, type PageType, type PostRecord } from '@inkpost/shared';
import { newPageRecord, newPostRecord } from './post-state.js';

/** A post record for tests: outlined, with the given page types. */
export function samplePost(
  types: PageType[] = ['cover', 'content', 'content', 'summary'],
  tenant = 'local',
): PostRecord {
  return newPostRecord({
    id: newPostId(),
    tenant,
    topic: 'Sample topic',
    status: 'outlined',
    textProvider: 'local',
    imageProvider: 'text_card',
    pages: types.map((t, i) => newPageRecord(newPageId(), t, `Page ${i + 1}`)),
  });
}

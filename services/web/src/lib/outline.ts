import type { PageType, PostView } from '@inkpost/shared/contract';
import type { PatchBody } from './api';

/** A page as the outline editor holds it: `id` for pages the server has (they keep their images). */
export interface DraftPage {
  key: string;
  id?: string;
  type: PageType;
  content: string;
}

export interface Draft {
  topic: string;
  pages: DraftPage[];
}

export const PAGE_TYPES: readonly PageType[] = ['cover', 'content', 'summary'];
export const MAX_PAGES = 20;
export const MAX_PAGE_CHARS = 4_000;
export const MAX_TOPIC_CHARS = 500;

let counter = 0;
const newKey = () => `draft-${++counter}`;

export function draftOf(post: PostView): Draft {
  return {
    topic: post.topic,
    pages: post.pages.map((p) => ({ key: p.id, id: p.id, type: p.type, content: p.content })),
  };
}

/** What an outline says, ignoring everything else on the post (images, status): equal means "same outline". */
export function signature(draft: Draft): string {
  return JSON.stringify([
    draft.topic.trim(),
    draft.pages.map((p) => [p.id ?? null, p.type, p.content.trim()]),
  ]);
}

export function patchBodyOf(draft: Draft): PatchBody {
  return {
    topic: draft.topic.trim(),
    pages: draft.pages.map((p) => ({
      ...(p.id ? { id: p.id } : {}),
      type: p.type,
      content: p.content.trim(),
    })),
  };
}

/** Problems that would make the API refuse the draft (keys of the messages). */
export function draftProblems(draft: Draft): ('topicEmpty' | 'pageEmpty' | 'tooMany' | 'none')[] {
  const problems: ('topicEmpty' | 'pageEmpty' | 'tooMany' | 'none')[] = [];
  if (!draft.topic.trim()) problems.push('topicEmpty');
  if (draft.pages.length === 0) problems.push('none');
  if (draft.pages.length > MAX_PAGES) problems.push('tooMany');
  if (draft.pages.some((p) => !p.content.trim())) problems.push('pageEmpty');
  return problems;
}

export function movePage(pages: DraftPage[], from: number, to: number): DraftPage[] {
  if (from === to || from < 0 || to < 0 || from >= pages.length || to >= pages.length) return pages;
  const next = pages.slice();
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved!);
  return next;
}

export function addPage(pages: DraftPage[], type: PageType = 'content'): DraftPage[] {
  if (pages.length >= MAX_PAGES) return pages;
  const page: DraftPage = { key: newKey(), type, content: '' };
  // A new content page goes before the summary, where it usually belongs.
  const last = pages.at(-1);
  if (type === 'content' && last?.type === 'summary') return [...pages.slice(0, -1), page, last];
  return [...pages, page];
}

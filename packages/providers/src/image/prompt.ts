import type { AspectRatio } from '@inkpost/shared';
import type { RenderRequest } from './types.js';

const STYLE_HINTS: Record<string, string> = {
  minimal: 'clean minimal layout, generous white space, one accent colour, crisp sans-serif typography',
  notebook: 'hand-drawn notebook look: ruled paper, marker highlights, doodles and hand-lettered headings',
  magazine: 'bold editorial magazine layout: strong headline typography, high contrast, photographic feel',
  pastel: 'cute pastel palette, rounded shapes, soft shadows, playful stickers and icons',
};

const ORIENTATION: Record<AspectRatio, string> = {
  '3:4': 'vertical 3:4 portrait',
  '9:16': 'tall vertical 9:16 portrait',
  '1:1': 'square 1:1',
  '4:3': 'horizontal 4:3 landscape',
  '16:9': 'wide horizontal 16:9 landscape',
};

const ROLE: Record<string, string> = {
  cover: 'the cover: it must stop the scroll, with the title large and readable',
  content:
    'a content page: lay the information out clearly, with the heading prominent and the points easy to scan',
  summary: 'the closing page: summarise the key takeaways and invite the reader to save and follow',
};

/**
 * The image prompt for one page. The whole outline goes along so the model keeps the post coherent; with
 * `short` only the page itself is sent (for models with small prompt limits).
 */
export function buildImagePrompt(req: RenderRequest, short: boolean): string {
  const page = req.pages[req.pageIndex];
  if (!page) throw new Error(`page ${req.pageIndex} is not in the outline`);
  const style = req.style ? (STYLE_HINTS[req.style] ?? req.style) : null;
  const hasCover = req.references.some((r) => r.role === 'cover');
  const userRefs = req.references.filter((r) => r.role === 'user').length;
  const lines = [
    `Design one page of a Xiaohongshu (RED) image post, ${ORIENTATION[req.aspectRatio]} format.`,
    `This is page ${req.pageIndex + 1} of ${req.pages.length}, ${ROLE[page.type]}.`,
    'Render the page text below in the image, legibly, in its original language; do not invent other text.',
    '',
    'Page text:',
    page.content,
  ];
  if (style) lines.push('', `Visual style: ${style}.`);
  if (hasCover) {
    lines.push(
      '',
      'The first attached image is the cover of this post: match its colours, typography and layout style exactly.',
    );
  }
  if (userRefs > 0)
    lines.push('', `The user attached ${userRefs} reference image(s): take the subject and look from them.`);
  if (!short) {
    lines.push(
      '',
      `Post topic: ${req.topic}`,
      '',
      'Whole outline, for context only (render only this page):',
    );
    for (const [i, p] of req.pages.entries()) lines.push(`${i + 1}. [${p.type}] ${firstLine(p.content)}`);
  }
  return lines.join('\n');
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim()) ?? '').trim().slice(0, 80);
}

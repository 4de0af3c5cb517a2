import { applyEvent } from '../reduce.js';
import type { InkpostEvent, Page, Post } from '../types.js';
import type { OutStream } from './context.js';

const ICONS: Record<Page['image']['status'], string> = {
  pending: '·',
  queued: '○',
  generating: '◐',
  completed: '✓',
  failed: '✗',
  cancelled: '–',
};

/**
 * Terminal cells a character takes: CJK and emoji take two, which matters when cutting lines to the width.
 */
function cells(char: string): number {
  const cp = char.codePointAt(0) ?? 0;
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    // Circled numbers, symbols and dingbats (①, ✅, ❌): wide in most terminals; over-counting only cuts early.
    (cp >= 0x2460 && cp <= 0x24ff) ||
    (cp >= 0x2600 && cp <= 0x27bf) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

/** Cuts a line to `max` cells: a wrapped line would break the redraw, which counts lines. */
export function fit(text: string, max: number): string {
  let width = 0;
  let out = '';
  for (const char of text) {
    width += cells(char);
    if (width > max - 1) return `${out}…`;
    out += char;
  }
  return out;
}

/** `[■■□□□] 2/5 pages`: one square per page. */
export function progressBar(post: Post): string {
  const done = post.pages.filter((p) => p.image.status === 'completed').length;
  const squares = post.pages.map((p) => (p.image.status === 'completed' ? '■' : '□')).join('');
  return `[${squares}] ${done}/${post.pages.length} pages`;
}

function pageLine(page: Page, index: number): string {
  const text = page.content.replace(/\s+/g, ' ').trim();
  return `  ${String(index + 1).padStart(2, '0')} ${ICONS[page.image.status]} ${page.type.padEnd(7)} ${text}`;
}

function outlineReady(pages: Page[]): string {
  return `outline ready: ${pages.length} pages (${pages.map((p) => p.type).join(', ')})`;
}

/** One plain line for an event, or null for the ones a reader does not need. */
export function describe(event: InkpostEvent, post: Post | null): string | null {
  const total = post?.pages.length ?? 0;
  const page = (i: number) => `page ${i + 1}/${total}`;
  switch (event.name) {
    case 'snapshot': {
      // A fast outline is already in the snapshot: no outline.completed will follow.
      const ready = event.data.pages.length > 0 ? `\n${outlineReady(event.data.pages)}` : '';
      return `post ${event.data.id}: ${event.data.status}${ready}`;
    }
    case 'outline.completed':
      return outlineReady(event.data.pages);
    case 'page.started':
      return `${page(event.data.index)} rendering…`;
    case 'page.completed':
      return `${post ? progressBar(post) : ''} · ${page(event.data.index)} done (v${event.data.version})`;
    case 'page.failed':
      return `${page(event.data.index)} failed: ${event.data.error.message}`;
    case 'copy.completed':
      return 'copy written';
    case 'copy.failed':
      return `copy failed: ${event.data.error.message}`;
    case 'post.completed':
      return `post ${event.data.status}: ${event.data.completed} images, ${event.data.failed} failed`;
    case 'post.failed':
      return `post failed: ${event.data.error.message}`;
    case 'post.cancelled':
      return 'post cancelled';
    default:
      return null;
  }
}

/**
 * Live progress of a post: on a terminal, a block redrawn in place (status, bar, one line per page with its
 * state icon); elsewhere (pipes, CI logs, --json) one plain line per event worth reading.
 */
export class Progress {
  private post: Post | null = null;
  private drawn = 0;
  private note = '';

  constructor(
    private readonly stream: OutStream,
    private readonly live: boolean,
  ) {}

  event(event: InkpostEvent): void {
    this.post = event.name === 'snapshot' ? event.data : this.post && applyEvent(this.post, event);
    if (this.live) {
      this.redraw();
      return;
    }
    const line = describe(event, this.post);
    if (line) this.stream.write(`${line}\n`);
  }

  /** A word on what happens now that no event shows (writing files, waiting for copy). */
  status(text: string): void {
    this.note = text;
    if (this.live) this.redraw();
    else this.stream.write(`${text}\n`);
  }

  private redraw(): void {
    if (!this.post) return;
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const post = this.post;
    const head = `${post.id} · ${post.status}${this.note ? ` · ${this.note}` : ''}`;
    const bar = post.pages.length > 0 ? progressBar(post) : 'writing the outline…';
    const lines = [head, bar, ...post.pages.map(pageLine)].map((l) => fit(l, width));
    // Back to the block's first line, clear to the end of the screen, draw again.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    this.stream.write(`${up}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

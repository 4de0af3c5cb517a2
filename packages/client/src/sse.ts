/** One dispatched Server-Sent Events message. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * An incremental parser of the `text/event-stream` format as the HTML standard defines it: lines end in CRLF,
 * LF or CR (a CR at the end of one chunk may be the first half of a CRLF split across chunks), `:` starts a
 * comment, a blank line dispatches, a message without data is not dispatched.
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private pendingCr = false;
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  /** The `retry:` the server asked for, in ms (null until it sends one). */
  retryMs: number | null = null;
  /** Comment lines seen (the server's `: ping` keep-alives). */
  comments = 0;

  /** Feeds bytes; returns the messages they complete. */
  push(chunk: Uint8Array): SseMessage[] {
    return this.pushText(this.decoder.decode(chunk, { stream: true }));
  }

  pushText(text: string): SseMessage[] {
    let input = text;
    if (this.pendingCr && input.startsWith('\n')) input = input.slice(1);
    this.pendingCr = false;
    this.buffer += input;
    const out: SseMessage[] = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let m = lineEnd.exec(this.buffer); m !== null; m = lineEnd.exec(this.buffer)) {
      // A lone CR at the very end may be half of a CRLF: keep the line, skip the LF when it arrives.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) this.pendingCr = true;
      const message = this.line(this.buffer.slice(start, m.index));
      if (message) out.push(message);
      start = m.index + m[0].length;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments++;
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }

  private dispatch(): SseMessage | null {
    const data = this.data;
    const event = this.event || 'message';
    this.data = [];
    this.event = '';
    // The last event id persists across messages, as in EventSource.
    if (data.length === 0) return null;
    return { id: this.id, event, data: data.join('\n') };
  }
}

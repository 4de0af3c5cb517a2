import { describe, expect, it } from 'vitest';
import { SseParser } from '../src/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('SseParser', () => {
  it('parses messages split anywhere, with any line ending, comments and multi-line data', () => {
    const stream =
      ': ping\r\nid: 1-0\r\nevent: snapshot\r\ndata: {"a":\r\ndata: 1}\r\n\r\n' +
      ': ping\n\nid: 2-0\revent: x\rdata:2\r\r';
    const whole = new SseParser().pushText(stream);
    expect(whole).toEqual([
      { id: '1-0', event: 'snapshot', data: '{"a":\n1}' },
      { id: '2-0', event: 'x', data: '2' },
    ]);
    // Byte by byte (a CRLF and a multi-byte character split across chunks) gives the same messages.
    const parser = new SseParser();
    const split = [...bytes(`${stream}id: 3-0\ndata: 宝宝\n\n`)].flatMap((b) =>
      parser.push(Uint8Array.of(b)),
    );
    expect(split).toEqual([...whole, { id: '3-0', event: 'message', data: '宝宝' }]);
    expect(parser.comments).toBe(2);
  });

  it('keeps the last id, ignores data-less blocks and unknown fields, reads retry', () => {
    const parser = new SseParser();
    const out = parser.pushText('id: 5-1\nfoo: bar\n\nretry: 1500\ndata: x\n\n');
    expect(out).toEqual([{ id: '5-1', event: 'message', data: 'x' }]);
    expect(parser.retryMs).toBe(1500);
  });
});

export interface SseMessage {
  id: string | null;
  event: string;
  data: unknown;
}

/**
 * A minimal SSE client over fetch for tests: yields parsed messages until the server ends the stream or the
 * signal aborts. Comment lines (pings) are counted, not yielded.
 */
export async function* readSse(
  url: string,
  opts: {
    lastEventId?: string;
    signal?: AbortSignal;
    headers?: Record<string, string>;
    onPing?: () => void;
  } = {},
): AsyncGenerator<SseMessage> {
  const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
  if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
  const res = await fetch(url, { headers, signal: opts.signal });
  if (!res.ok || !res.body) throw new Error(`SSE ${url} answered ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const message = parseBlock(block, opts.onPing);
        if (message) yield message;
        boundary = buffer.indexOf('\n\n');
      }
    }
  } catch (err) {
    if (!['AbortError', 'TimeoutError'].includes((err as Error).name)) throw err;
  }
}

function parseBlock(block: string, onPing?: () => void): SseMessage | null {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) onPing?.();
    else if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return null;
  return { id, event, data: JSON.parse(data.join('\n')) };
}

import { ApiError } from './api';

export interface SseMessage {
  id: string | null;
  event: string;
  data: unknown;
}

function parseBlock(block: string): SseMessage | null {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  try {
    return { id, event, data: JSON.parse(data.join('\n')) };
  } catch {
    return null;
  }
}

/**
 * Reads a Server-Sent Events stream over fetch (EventSource cannot send the Authorization header). Resolves when
 * the server ends the stream; rejects with ApiError on an HTTP error, or with the network error.
 */
export async function readEventStream(
  url: string,
  opts: { headers: Record<string, string>; signal: AbortSignal; onMessage: (m: SseMessage) => void },
): Promise<void> {
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...opts.headers },
    signal: opts.signal,
  });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
    throw new ApiError(
      res.status,
      body?.error?.code ?? 'stream_failed',
      body?.error?.message ?? res.statusText,
    );
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const message = parseBlock(buffer.slice(0, boundary));
      buffer = buffer.slice(boundary + 2);
      if (message) opts.onMessage(message);
      boundary = buffer.indexOf('\n\n');
    }
  }
}

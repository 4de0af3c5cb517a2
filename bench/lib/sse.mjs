// A minimal SSE client on node:http that timestamps every event as it arrives.
import http from 'node:http';
import { nowMs } from './stats.mjs';

const TERMINAL = new Set(['post.completed', 'post.failed', 'post.cancelled']);

export const sseAgent = (maxSockets = Infinity) => new http.Agent({ keepAlive: true, maxSockets });

/** Stream id `<ms>-<seq>`: the millisecond part is when Redis committed the event. */
export const eventCommitMs = (id) => Number(id.slice(0, id.indexOf('-')));

/**
 * Follows `GET <url>/v1/posts/<id>/events` until the server ends it. Resolves with every event
 * ({ id, name, data?, receivedAt }) and whether the last one was terminal. `keepData` keeps parsed data.
 * `onOpen` fires once the response headers arrived (the session is subscribed shortly after).
 */
export function follow(
  baseUrl,
  postId,
  { agent, keepData = false, onEvent, onOpen, timeoutMs = 600_000 } = {},
) {
  return new Promise((resolve, reject) => {
    const events = [];
    const req = http.get(
      `${baseUrl}/v1/posts/${postId}/events`,
      { agent, headers: { accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`events of ${postId} answered ${res.statusCode}`));
        }
        onOpen?.();
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk) => {
          const receivedAt = nowMs();
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            let id = null;
            let name = 'message';
            let data = null;
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('event: ')) name = line.slice(7);
              else if (line.startsWith('data: ')) data = line.slice(6);
            }
            if (id === null) continue; // a ping
            const event = { id, name, receivedAt };
            if (keepData && data !== null) event.data = JSON.parse(data);
            events.push(event);
            onEvent?.(event);
          }
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ events, terminal: events.length > 0 && TERMINAL.has(events.at(-1).name) });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`events of ${postId}: no end within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

// A minimal OpenAI-wire provider for the bench, in its own process: chat completions answer an outline,
// images generations/edits answer one pre-encoded 1080×1440 PNG as b64_json. The test kit's fake provider
// returns tiny PNGs of its own; this one returns the bytes a real page weighs. Counts requests in flight.
//
// env: BENCH_PROVIDER_LATENCY_MS (image and chat latency), BENCH_PROVIDER_PAGES (outline pages),
// BENCH_PROVIDER_IMAGE=small for a 108×144 PNG (phases that measure something else than image handling).
// IPC: sends { url, pngBytes } when listening. HTTP: GET /stats, POST /reset, POST /latency?ms=N.
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pageImagePng } from '../lib/images.mjs';
import { outlineText } from '../lib/outline.mjs';

let latencyMs = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 0);
const pages = Number(process.env.BENCH_PROVIDER_PAGES ?? 8);
const png = process.env.BENCH_PROVIDER_IMAGE === 'small' ? pageImagePng(108, 144) : pageImagePng();
const imageBody = Buffer.from(
  JSON.stringify({ created: Math.floor(Date.now() / 1000), data: [{ b64_json: png.toString('base64') }] }),
);
const outline = outlineText(pages);
const usage = { prompt_tokens: 200, completion_tokens: 300, total_tokens: 500 };

const stats = { chat: 0, images: 0, imageInflight: 0, maxImageInflight: 0 };

function chatBody(stream) {
  const base = { id: 'chatcmpl-bench', created: Math.floor(Date.now() / 1000), model: 'bench-text' };
  if (!stream) {
    return JSON.stringify({
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: outline }, finish_reason: 'stop' }],
      usage,
    });
  }
  const chunk = (choices, extra = {}) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
  return [
    chunk([{ index: 0, delta: { role: 'assistant', content: outline }, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    chunk([], { usage }),
    'data: [DONE]\n\n',
  ].join('');
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/stats') return send(res, 200, JSON.stringify(stats));
    if (req.method === 'POST' && path === '/reset') {
      Object.assign(stats, { chat: 0, images: 0, maxImageInflight: stats.imageInflight });
      return send(res, 200, '{}');
    }
    if (req.method === 'POST' && path === '/latency') {
      latencyMs = Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0);
      return send(res, 200, '{}');
    }
    if (path.endsWith('/chat/completions')) {
      stats.chat++;
      const stream = JSON.parse(Buffer.concat(chunks).toString() || '{}').stream === true;
      if (latencyMs > 0) await sleep(latencyMs);
      return send(res, 200, chatBody(stream), stream ? 'text/event-stream' : 'application/json');
    }
    if (path.endsWith('/images/generations') || path.endsWith('/images/edits')) {
      stats.images++;
      stats.imageInflight++;
      stats.maxImageInflight = Math.max(stats.maxImageInflight, stats.imageInflight);
      res.once('close', () => stats.imageInflight--);
      if (latencyMs > 0) await sleep(latencyMs);
      return send(res, 200, imageBody);
    }
    send(res, 404, JSON.stringify({ error: { message: 'not found' } }));
  });
});

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ url: `http://127.0.0.1:${server.address().port}`, pngBytes: png.length });
});
process.on('disconnect', () => process.exit(0));

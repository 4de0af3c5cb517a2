import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: no answer may name it (or any path in it). */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as text (latin1 keeps every byte, so a secret in binary is still found). */
  text: string;
  /** The body was cut off: an SSE stream still open when we stopped reading. */
  open: boolean;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given: percent-encoding and all (no URL normalisation on the way). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Stop reading after this long and report what arrived (SSE streams stay open). */
  readMs?: number;
}

/** One HTTP/1.1 request with node:http, which, unlike fetch, sends the path byte for byte. */
export function rawRequest(base: string, r: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let finish: (() => void) | null = null;
    const req = httpRequest(
      { host: hostname, port, method: r.method, path: r.path, headers: r.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let open = true;
        let done = false;
        finish = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: body.toString('latin1'),
            open,
          });
        };
        const timer = setTimeout(() => {
          res.destroy();
          finish?.();
        }, r.readMs ?? 5_000);
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          open = false;
          finish?.();
        });
        res.on('error', () => finish?.());
        res.on('close', () => finish?.());
      },
    );
    // An answer that came before the whole request was read can be followed by the server's complaint about the
    // unread rest (as a second response on a closing connection): the first answer, still being read, counts.
    req.on('error', (err) => {
      if (!finish) reject(err);
    });
    // No answer at all is a finding too (a hung handler): fail rather than wait for the test's timeout.
    const noAnswer = setTimeout(() => {
      if (finish) return;
      req.destroy();
      reject(new Error(`no answer to ${r.method} ${r.path.slice(0, 100)} within ${r.readMs ?? 5_000} ms`));
    }, r.readMs ?? 5_000);
    req.on('response', () => clearTimeout(noAnswer));
    req.end(r.body);
  });
}

/** Raw bytes over a socket, for requests node:http would refuse to send (bad header names, huge headers). */
export function rawSocket(base: string, bytes: string | Buffer, readMs = 2_000): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let out = '';
    const timer = setTimeout(() => socket.destroy(), readMs);
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

const STACK_FRAME = /\bat (?:async )?[^\s(]*\s*\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/;

/**
 * What must never appear in an answer (body or headers): the secrets given (keys, and paths of this machine the
 * test knows, such as its temp dirs), a stack frame, the repository's path or a node_modules path.
 */
export function leaksIn(
  answer: { text: string; headers?: IncomingHttpHeaders },
  secrets: string[],
): string[] {
  const all = `${JSON.stringify(answer.headers ?? {})}\n${answer.text}`;
  const found: string[] = secrets.filter((s) => all.includes(s)).map((s) => `secret "${s.slice(0, 12)}…"`);
  const frame = STACK_FRAME.exec(all);
  if (frame) found.push(`stack frame: ${frame[0]}`);
  if (all.includes(REPO_ROOT)) found.push('the repository path');
  if (all.includes('node_modules/')) found.push('a node_modules path');
  return found;
}

/** Whether a body is the API's error shape `{ error: { code, message } }` with non-empty strings. */
export function isErrorShape(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return (
      typeof body.error?.code === 'string' &&
      body.error.code.length > 0 &&
      typeof body.error.message === 'string' &&
      body.error.message.length > 0
    );
  } catch {
    return false;
  }
}

import http from 'node:http';
import net from 'node:net';

function listen(server: net.Server | http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: net.Server | http.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface TcpProxy {
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Resets every open connection at once, as a dying load balancer or a network blip does. */
  drop(): void;
  /**
   * Stops accepting (connects are refused) after dropping everything; `start` listens again on the same port.
   */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Pipes one accepted connection to the target both ways; either side closing closes both. */
function splice(client: net.Socket, target: URL, sockets: Set<net.Socket>): void {
  const upstream = net.connect(Number(target.port), target.hostname);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream);
  upstream.pipe(client);
}

/** A TCP proxy in front of the API, so a test can cut the client's connections for real. */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const onConnection = (client: net.Socket) => {
    connections++;
    splice(client, target, sockets);
  };
  let server = net.createServer(onConnection);
  const port = await listen(server, 0);
  const drop = () => {
    for (const s of sockets) s.resetAndDestroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    drop,
    async stop() {
      const closing = closeServer(server);
      drop();
      await closing;
    },
    async start() {
      server = net.createServer(onConnection);
      await listen(server, port);
    },
    async close() {
      const closing = closeServer(server);
      drop();
      await closing;
    },
  };
}

export interface FlakyProxy {
  url: string;
  /** The next `n` requests get a 503 with the API's error shape instead of reaching the API. */
  failNext(n: number, status?: number): void;
  /** Requests seen, as `METHOD path`, with the headers they carried. */
  requests: { line: string; headers: http.IncomingHttpHeaders; status: number }[];
  close(): Promise<void>;
}

/** Forwards one HTTP request to the target and its answer back, recording both. */
function forward(
  target: URL,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: FlakyProxy['requests'],
) {
  const upstream = http.request(
    { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
    (answer) => {
      log.push({ line: `${req.method} ${req.url}`, headers: req.headers, status: answer.statusCode ?? 0 });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

/** An HTTP proxy that can answer 5xx itself for a while (a gateway whose upstream is restarting). */
export async function startFlakyProxy(targetUrl: string): Promise<FlakyProxy> {
  const target = new URL(targetUrl);
  let failing = 0;
  let failStatus = 503;
  const requests: FlakyProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    if (failing === 0) return forward(target, req, res, requests);
    failing--;
    requests.push({ line: `${req.method} ${req.url}`, headers: req.headers, status: failStatus });
    req.resume();
    res.writeHead(failStatus, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'bad_gateway', message: 'The upstream is restarting.' } }));
  });
  const port = await listen(server, 0);
  return {
    url: `http://127.0.0.1:${port}`,
    failNext(n, status = 503) {
      failing = n;
      failStatus = status;
    },
    requests,
    close: () => {
      server.closeAllConnections();
      return closeServer(server);
    },
  };
}

/** A port nothing listens on: listened on, then closed. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, 0);
  await closeServer(server);
  return port;
}

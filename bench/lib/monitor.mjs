// Redis MONITOR over a plain socket (ioredis's monitor mode trips over busy servers): every command as
// { source: 'ip:port' | 'lua', args: [first four arguments] }.
import net from 'node:net';

function parseArgs(text) {
  const args = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m && args.length < 4; m = re.exec(text)) args.push(m[1]);
  return args;
}

export function startMonitor(url) {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port || 6379) });
  const seen = [];
  let rest = '';
  socket.on('connect', () => socket.write('MONITOR\r\n'));
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    const lines = (rest + chunk).split('\r\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
      if (m) seen.push({ source: m[1], args: parseArgs(m[2]) });
    }
  });
  const ready = new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('data', () => resolve());
  });
  let stopped = null;
  return {
    ready,
    seen,
    stop: () => {
      stopped ??= new Promise((resolve) => socket.end(resolve));
      return stopped;
    },
  };
}

// A loopback HTTP target for tests and benchmarks, with a route for every behaviour the client
// must handle. Counts requests per route (`counts`, keyed by the route's first path segment).
//   /fast             'ok'
//   /json             {"ok":true,"items":[1,2,3]}
//   /echo             {method, url, headers, body} of the request
//   /status/:code     that status, body 'status <code>'
//   /slow?ms=N        'slow' after N ms
//   /cookies/set?k=v  Set-Cookie k=v (Path=/) for each query pair
//   /cookies/echo     {"cookie": <the Cookie header>}
//   /redirect/:n      302 to /redirect/<n-1>, and /redirect/0 answers 'done'
//   /reset            destroys the socket without answering
//   /hang             never answers (for timeouts)

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLoopback } from './listen';

export interface RunningServer {
  url: string;
  port: number;
  /** Requests received per route ('fast', 'json', 'echo', ...). */
  counts: Map<string, number>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse, counts: Map<string, number>): void {
  const u = new URL(req.url ?? '/', 'http://x');
  const parts = u.pathname.split('/').filter(Boolean);
  const route = parts[0] ?? '';
  counts.set(route, (counts.get(route) ?? 0) + 1);
  switch (route) {
    case 'fast':
      return send(res, 200, 'ok');
    case 'json':
      return send(res, 200, JSON.stringify({ ok: true, items: [1, 2, 3] }), 'application/json');
    case 'echo': {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        send(res, 200, JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks as unknown as Uint8Array[]).toString('utf8') }), 'application/json'),
      );
      return;
    }
    case 'status': {
      const code = Number(parts[1]);
      return send(res, code >= 100 && code < 600 ? code : 400, `status ${parts[1]}`);
    }
    case 'slow': {
      const ms = Number(u.searchParams.get('ms') ?? 100);
      setTimeout(() => send(res, 200, 'slow'), ms);
      return;
    }
    case 'cookies':
      if (parts[1] === 'set') {
        const cookies = [...u.searchParams].map(([k, v]) => `${k}=${v}; Path=/`);
        res.setHeader('set-cookie', cookies);
        return send(res, 200, 'set');
      }
      return send(res, 200, JSON.stringify({ cookie: req.headers.cookie ?? null }), 'application/json');
    case 'redirect': {
      const n = Number(parts[1] ?? 0);
      if (n <= 0) return send(res, 200, 'done');
      res.writeHead(302, { location: `/redirect/${n - 1}`, 'content-length': 0 });
      res.end();
      return;
    }
    case 'reset':
      req.socket.destroy();
      return;
    case 'hang':
      return;
    default:
      return send(res, 404, 'not found');
  }
}

/** Starts the target on 127.0.0.1 on a free port. */
export async function startTarget(): Promise<RunningServer> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => handle(req, res, counts));
  server.keepAliveTimeout = 30_000;
  return { ...(await listenLoopback(server)), counts };
}

export const start = startTarget;

// Run as a script: `node --import tsx test/servers/target.ts` prints {"url": ...} and serves until killed.
if (require.main === module && /target(\.[jt]s)?$/.test(process.argv[1] ?? '')) {
  void startTarget().then((s) => console.log(JSON.stringify({ url: s.url, port: s.port })));
}

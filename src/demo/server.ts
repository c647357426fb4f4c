// The embedded demo API that `loadlens demo` runs the examples against: a small shop on loopback
// that behaves like a real service under load — a lognormal spread of latencies (mostly 2–40 ms),
// a slow checkout (300–800 ms), a small rate of 500s, and a session cookie from /api/login.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface DemoServerOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Loopback only: '127.0.0.1' (default) or '::1'. */
  host?: string;
  /** Share of /api requests answered 500 (default 0.01). */
  errorRate?: number;
  /** Multiplies every delay (default 1); tests use 0 for a fast server. */
  latencyScale?: number;
}

export interface DemoServer {
  /** e.g. 'http://127.0.0.1:39245' */
  url: string;
  /** Requests answered so far, by route. */
  requests: Record<string, number>;
  close(): Promise<void>;
}

const ITEM_COUNT = 500;
const PAGE_SIZE = 20;
/** Sessions are bounded so a long demo run keeps flat memory. */
const MAX_SESSIONS = 10_000;

const CATEGORIES = ['books', 'garden', 'kitchen', 'music', 'toys', 'tools'];
const items = Array.from({ length: ITEM_COUNT }, (_, i) => ({
  id: i + 1,
  name: `Item ${i + 1}`,
  category: CATEGORIES[i % CATEGORIES.length],
  priceCents: 199 + ((i * 7919) % 9800),
  stock: (i * 31) % 50,
}));

/** Standard normal by Box-Muller. */
function gaussian(): number {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

/** Lognormal milliseconds around `median`, clamped to [min, max]: a realistic service spread. */
function lognormalMs(median: number, sigma: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, median * Math.exp(sigma * gaussian())));
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function sessionOf(req: IncomingMessage): string | undefined {
  const m = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '');
  return m?.[1];
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    throw new Error(`demo server: host must be loopback (127.0.0.1 or ::1), got ${host}`);
  }
  const errorRate = options.errorRate ?? 0.01;
  const scale = options.latencyScale ?? 1;
  const carts = new Map<string, Array<{ itemId: number; qty: number }>>();
  const requests: Record<string, number> = {};

  const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms * scale));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const route = `${method} ${path.replace(/\/\d+$/, '/:id')}`;
    requests[route] = (requests[route] ?? 0) + 1;
    const body = method === 'POST' ? await readBody(req) : '';

    if (path === '/health') return sendJson(res, 200, { ok: true });

    if (method === 'POST' && path === '/api/login') {
      await delay(lognormalMs(12, 0.4, 4, 60));
      const creds = parseJson(body);
      if (!creds || typeof creds.user !== 'string' || creds.password !== 'secret') {
        return sendJson(res, 401, { error: 'bad credentials: send {"user": "...", "password": "secret"}' });
      }
      if (carts.size >= MAX_SESSIONS) carts.delete(carts.keys().next().value as string);
      const session = randomBytes(12).toString('hex');
      carts.set(session, []);
      return sendJson(res, 200, { user: creds.user }, { 'set-cookie': `session=${session}; Path=/; HttpOnly` });
    }

    if (!path.startsWith('/api/')) return sendJson(res, 404, { error: `no route ${method} ${path}` });

    // A small share of failures, as a real service under load has.
    if (Math.random() < errorRate) {
      await delay(lognormalMs(5, 0.5, 1, 40));
      return sendJson(res, 500, { error: 'internal error (simulated)' });
    }

    if (method === 'GET' && path === '/api/items') {
      await delay(lognormalMs(9, 0.6, 2, 40));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const category = url.searchParams.get('category');
      const list = category ? items.filter((i) => i.category === category) : items;
      const start = (page - 1) * PAGE_SIZE;
      return sendJson(res, 200, { page, total: list.length, items: list.slice(start, start + PAGE_SIZE) });
    }

    const itemMatch = /^\/api\/items\/(\d+)$/.exec(path);
    if (method === 'GET' && itemMatch) {
      await delay(lognormalMs(5, 0.5, 2, 30));
      const item = items[Number(itemMatch[1]) - 1];
      return item ? sendJson(res, 200, item) : sendJson(res, 404, { error: `no item ${itemMatch[1]}` });
    }

    const session = sessionOf(req);
    const cart = session ? carts.get(session) : undefined;
    if (path === '/api/cart' || path === '/api/checkout') {
      if (!cart) return sendJson(res, 401, { error: 'log in first: POST /api/login' });
    }

    if (method === 'GET' && path === '/api/cart') {
      await delay(lognormalMs(6, 0.5, 2, 30));
      return sendJson(res, 200, { items: cart });
    }

    if (method === 'POST' && path === '/api/cart') {
      await delay(lognormalMs(10, 0.6, 3, 40));
      const line = parseJson(body);
      const itemId = Number(line?.itemId);
      if (!items[itemId - 1]) return sendJson(res, 400, { error: 'itemId must be 1..' + ITEM_COUNT });
      cart!.push({ itemId, qty: Math.max(1, Number(line?.qty) || 1) });
      return sendJson(res, 201, { items: cart!.length });
    }

    if (method === 'POST' && path === '/api/checkout') {
      // The slow endpoint: payment and stock calls behind it.
      await delay(300 + Math.random() * 500);
      if (cart!.length === 0) return sendJson(res, 409, { error: 'cart is empty' });
      const totalCents = cart!.reduce((sum, l) => sum + items[l.itemId - 1].priceCents * l.qty, 0);
      cart!.length = 0;
      return sendJson(res, 200, { orderId: randomBytes(6).toString('hex'), totalCents });
    }

    return sendJson(res, 404, { error: `no route ${method} ${path}` });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: err.message });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

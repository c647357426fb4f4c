// Test helper: a raw-socket HTTP/1.1 server for protocol edge cases. It parses request heads
// itself (and skips content-length bodies), and hands each request to a case function that
// writes whatever bytes it likes: split writes, one byte at a time, delays, half-close, reset.
// It counts connections, bytes received and requests, so a test can tell what reached it.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RawRequest {
  method: string;
  path: string;
  /** Lowercase names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The `x-request-id` the test sent ('' if none). */
  id: string;
  /** content-length of the request body (0 if none). */
  bodyLength: number;
  /** 1-based index of the connection it arrived on. */
  conn: number;
  /** 1-based index of the request on its connection. */
  seq: number;
}

export interface RawConn {
  readonly socket: Socket;
  /** 1-based index of the connection. */
  readonly index: number;
  /** Writes `data`, split as asked: `bytes` = one byte per write; `at` = cut points; `delayMs` between writes. */
  send(data: string | Buffer, split?: { bytes?: boolean; at?: number[]; delayMs?: number }): Promise<void>;
  /** Graceful close of our side (FIN); we keep reading (and discarding) what the client sends. */
  end(): void;
  /** Abortive close: RST. */
  reset(): void;
  /** Resolves once the request body (content-length bytes) has been read. */
  body(): Promise<Buffer>;
}

export type RawCase = (conn: RawConn, req: RawRequest, server: RawServer) => void | Promise<void>;

export interface RawServer {
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes received from clients on all connections. */
  readonly bytesReceived: number;
  /** Every request head parsed, in arrival order. */
  readonly requests: RawRequest[];
  /** Connections closed so far (by either side). */
  readonly closedConnections: number;
  /** Resolves when `n` connections have closed, or after `maxMs` (resolves false then). */
  waitClosed(n: number, maxMs: number): Promise<boolean>;
  /** Per-case state a case function may keep. */
  state: Record<string, unknown>;
  close(): Promise<void>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const MAX_HEAD = 64 * 1024;

/** Starts a raw server on 127.0.0.1; `handle` answers every request. */
export async function startRaw(handle: RawCase): Promise<RawServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let closed = 0;
  let bytesReceived = 0;
  const requests: RawRequest[] = [];
  const closeWaiters: Array<() => void> = [];
  let server!: RawServer;

  const srv: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const index = ++connections;
    sockets.add(socket);
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let seq = 0;
    // Body bytes still to skip (and hand to body()) before the next head.
    let bodyLeft = 0;
    let bodyChunks: Buffer[] = [];
    let bodyDone: ((b: Buffer) => void) | null = null;
    let bodyPromise: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    // Requests are handled one after another on a connection.
    let chain: Promise<void> = Promise.resolve();
    let ended = false;

    const conn: RawConn = {
      socket,
      index,
      async send(data, split) {
        const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
        let cuts: number[];
        if (split?.bytes) cuts = Array.from({ length: b.length - 1 }, (_, i) => i + 1);
        else cuts = (split?.at ?? []).filter((c) => c > 0 && c < b.length).sort((x, y) => x - y);
        let from = 0;
        for (const c of [...cuts, b.length]) {
          if (socket.destroyed || ended) return;
          socket.write(b.subarray(from, c) as unknown as Uint8Array);
          from = c;
          if (c < b.length) {
            // A delay (or at least a turn) between writes, so they go out as separate segments.
            if (split?.delayMs) await sleep(split.delayMs);
            else await new Promise<void>((r) => setImmediate(r));
          }
        }
      },
      end() {
        if (ended || socket.destroyed) return;
        ended = true;
        socket.end();
      },
      reset() {
        ended = true;
        if (!socket.destroyed) socket.resetAndDestroy();
      },
      body: () => bodyPromise,
    };

    const parse = (): void => {
      for (;;) {
        if (bodyLeft > 0) {
          if (buf.length === 0) return;
          const n = Math.min(bodyLeft, buf.length);
          if (bodyChunks.length < 4096) bodyChunks.push(buf.subarray(0, n));
          buf = buf.subarray(n);
          bodyLeft -= n;
          if (bodyLeft === 0 && bodyDone) bodyDone(Buffer.concat(bodyChunks as unknown as Uint8Array[]));
          continue;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > MAX_HEAD) buf = Buffer.alloc(0);
          return;
        }
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        buf = buf.subarray(end + 4);
        const [method = '', path = ''] = lines[0].split(' ');
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          if (i <= 0) continue;
          const k = line.slice(0, i).trim().toLowerCase();
          const v = line.slice(i + 1).trim();
          headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
        }
        const bodyLength = Number(headers['content-length'] ?? 0) || 0;
        const req: RawRequest = { method, path, headers, id: headers['x-request-id'] ?? '', bodyLength, conn: index, seq: ++seq };
        requests.push(req);
        bodyLeft = bodyLength;
        bodyChunks = [];
        bodyPromise = bodyLength === 0 ? Promise.resolve(Buffer.alloc(0)) : new Promise((r) => (bodyDone = r));
        const own = { ...conn, body: ((p) => () => p)(bodyPromise) };
        chain = chain.then(() => handle(own, req, server)).catch(() => undefined);
      }
    };

    socket.on('data', (d: Buffer) => {
      bytesReceived += d.length;
      buf = buf.length === 0 ? d : Buffer.concat([buf, d] as unknown as Uint8Array[]);
      parse();
    });
    // The client half-closed: close ours too once what is queued is written (the case may have
    // ended already).
    socket.on('end', () => {
      if (!ended && !socket.destroyed) void chain.then(() => conn.end());
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      closed++;
      for (const w of closeWaiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;

  server = {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() { return connections; },
    get bytesReceived() { return bytesReceived; },
    get closedConnections() { return closed; },
    requests,
    state: {},
    async waitClosed(n, maxMs) {
      const deadline = Date.now() + maxMs;
      while (closed < n) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          closeWaiters.push(() => { clearTimeout(t); r(); });
        });
      }
      return true;
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    }),
  };
  return server;
}

/** A complete content-length response whose body names the request. */
export function okResponse(id: string, extraHeaders = ''): string {
  const body = `ok ${id}`;
  return `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nx-id: ${id}\r\n${extraHeaders}\r\n${body}`;
}

// A lean HTTP/1.1 client for plain http:// origins (H6, performance): net sockets and Node's own
// native llhttp parser (the one node:http uses), one request at a time per connection, idle
// connections kept on a stack per origin. Measured on loopback it costs about half the CPU per
// request of undici's Pool.dispatch (whose parser runs in WASM behind several JS layers) and a
// third of its memory per connection (bench/RESULTS.md). It drives the same legacy dispatch
// handler interface as undici (onConnect, onHeaders, onData, onComplete, onError), so the
// Exchange in transport.ts works with either; https and capped pools stay on undici.

import { connect, type Socket } from 'node:net';

interface ParserInstance {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(chunk: Buffer): number | Error;
  finish(): number | Error | undefined;
  consume(handle: unknown): void;
  [key: number]: unknown;
  /** The connection it parses for (the callbacks below are shared and get the parser as `this`). */
  conn: H1Connection;
}

// Node's http parser binding, through the module node:http itself is built on.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { HTTPParser } = require('_http_common') as {
  HTTPParser: { new (): ParserInstance; RESPONSE: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number; kOnExecute: number };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { _checkIsHttpToken: isToken, _checkInvalidHeaderChar: hasInvalidChar } = require('_http_common') as {
  _checkIsHttpToken(s: string): boolean;
  _checkInvalidHeaderChar(s: string): boolean;
};

/** The subset of undici's legacy dispatch handler the Exchange implements. */
export interface H1Handler {
  onConnect(abort: (err?: Error) => void): void;
  onRequestSent?(): void;
  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: null): void;
  onError(err: Error): void;
}

export interface H1Request {
  path: string;
  method: string;
  headers?: Record<string, string> | null;
  body?: Buffer | null;
  /** Inactivity limit while the request is in flight, ms (undici's headersTimeout). */
  headersTimeout?: number;
}

/** A new connection's connect time, reported for the Exchange to attribute (transport.ts). */
export type OnConnected = (connectingMs: number, at: number) => void;

const CONNECT_TIMEOUT_MS = 10_000;
/**
 * At most this many connection attempts in flight per origin; further requests wait for the
 * first connection that opens or frees up (their wait is blocked time, part of the latency).
 * Thousands of simultaneous connects (an open model meeting a stall) overflow the server's
 * accept queue (Node's default backlog is 511), and the kernel's SYN retries then add 1-7 s.
 */
const MAX_CONNECTING = 256;

interface Waiting {
  req: H1Request;
  head: Buffer | string;
  handler: H1Handler;
}
/**
 * Inactivity limits (connect, request) are checked by one interval per pool, every tenth of the
 * shortest limit in use (within these bounds), not by a timer per socket (~300 bytes per VU).
 */
const SWEEP_MAX_MS = 250;
const SWEEP_MIN_MS = 10;
/** Request heads without extra headers or body are encoded once per (method, path). */
const MAX_CACHED_HEADS = 1000;

function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** One origin's connections: `dispatch` takes an idle one (or opens one), like undici's Pool. */
export class H1Pool {
  private readonly idle: H1Connection[] = [];
  /** Requests waiting for a connection (FIFO from `waitingHead`; taken slots are emptied). */
  private waiting: (Waiting | undefined)[] = [];
  private waitingHead = 0;
  /** @internal Connection attempts in flight. */
  connecting = 0;
  private readonly all = new Set<H1Connection>();
  private readonly heads = new Map<string, Map<string, Buffer>>();
  private headCount = 0;
  private closed = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweepMs = 0;
  readonly hostname: string;
  readonly port: number;
  readonly hostHeader: string;

  constructor(
    origin: string,
    readonly now: () => number,
    readonly onConnected: OnConnected,
  ) {
    const u = new URL(origin);
    this.hostname = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || 80);
    this.hostHeader = u.host;
  }

  dispatch(req: H1Request, handler: H1Handler): boolean {
    if (this.closed) {
      handler.onError(codedError('the pool is closed', 'UND_ERR_DESTROYED'));
      return false;
    }
    let head: Buffer | string;
    try {
      head = this.head(req);
    } catch (err) {
      handler.onError(err as Error);
      return false;
    }
    let c = this.idle.pop();
    while (c !== undefined && c.dead) c = this.idle.pop();
    if (c === undefined) {
      if (this.connecting >= MAX_CONNECTING) {
        this.waiting.push({ req, head, handler });
        return true;
      }
      c = this.open();
    }
    c.send(req, head, handler);
    return true;
  }

  /**
   * Warm-up: opens `n` idle connections (at most MAX_CONNECTING at a time); resolves when each
   * has opened or failed. Their connect time is no request's (they are not reported).
   */
  preconnect(n: number): Promise<void> {
    let started = 0;
    let ended = 0;
    return new Promise<void>((resolve) => {
      if (n <= 0) return resolve();
      const more = (): void => {
        ended++;
        if (ended === n) resolve();
        else if (started < n && !this.closed) startOne();
      };
      const startOne = (): void => {
        started++;
        this.open(more);
      };
      while (started < Math.min(n, MAX_CONNECTING)) startOne();
      if (this.closed) resolve();
    });
  }

  private open(warmUpEnded?: () => void): H1Connection {
    const c = new H1Connection(this, warmUpEnded);
    this.all.add(c);
    return c;
  }

  private nextWaiting(): Waiting | undefined {
    if (this.waitingHead >= this.waiting.length) return undefined;
    const w = this.waiting[this.waitingHead];
    // A taken slot must not keep its finished request (and response) alive: under sustained
    // load the queue may never drain, and it held ~2 exchanges per VU at 15,000 VUs.
    this.waiting[this.waitingHead++] = undefined;
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    } else if (this.waitingHead >= 1024 && this.waitingHead * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    return w;
  }

  /** @internal A connection attempt ended (opened or failed): start more for waiting requests. */
  connectEnded(): void {
    this.connecting--;
    while (!this.closed && this.connecting < MAX_CONNECTING) {
      const w = this.nextWaiting();
      if (w === undefined) return;
      this.open().send(w.req, w.head, w.handler);
    }
  }

  /** @internal A connection has an inactivity limit of `ms`: the sweep runs often enough for it. */
  watch(ms: number): void {
    const every = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, Math.floor(ms / 10)));
    if (this.closed || (this.sweepTimer !== null && every >= this.sweepMs)) return;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepMs = every;
    this.sweepTimer = setInterval(this.sweep, every);
    this.sweepTimer.unref();
  }

  private readonly sweep = (): void => {
    const now = this.now();
    for (const c of this.all) {
      if (c.timeoutMs > 0 && now - c.activeAt >= c.timeoutMs) c.timedOut();
    }
  };

  /** The request line and headers: a cached Buffer for the plain case, else a latin1 string. */
  private head(req: H1Request): Buffer | string {
    const headers = req.headers;
    const body = req.body;
    if ((headers === undefined || headers === null) && (body === undefined || body === null)) {
      let byPath = this.heads.get(req.method);
      if (byPath === undefined) this.heads.set(req.method, (byPath = new Map()));
      let b = byPath.get(req.path);
      if (b === undefined) {
        checkPath(req.path);
        if (this.headCount >= MAX_CACHED_HEADS) {
          this.heads.clear();
          this.headCount = 0;
          this.heads.set(req.method, byPath);
        }
        b = Buffer.from(`${req.method} ${req.path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\nconnection: keep-alive\r\n\r\n`, 'latin1');
        byPath.set(req.path, b);
        this.headCount++;
      }
      return b;
    }
    checkPath(req.path);
    let s = `${req.method} ${req.path} HTTP/1.1\r\n`;
    let host = false;
    if (headers) {
      for (const k in headers) {
        const v = String(headers[k]);
        if (!isToken(k)) throw codedError(`invalid header name ${JSON.stringify(k)}`, 'UND_ERR_INVALID_ARG');
        if (hasInvalidChar(v)) throw codedError(`invalid value for header ${k}`, 'UND_ERR_INVALID_ARG');
        const lower = k.length === 4 || k.length === 14 || k.length === 10 || k.length === 17 ? k.toLowerCase() : '';
        if (lower === 'host') host = true;
        // Framing is ours: the body's length, keep-alive.
        else if (lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding') continue;
        s += `${k}: ${v}\r\n`;
      }
    }
    if (!host) s += `host: ${this.hostHeader}\r\n`;
    if (body) s += `content-length: ${body.length}\r\n`;
    return s + 'connection: keep-alive\r\n\r\n';
  }

  /** @internal A connection finished a response and can take another request. */
  release(c: H1Connection): void {
    if (this.closed || c.dead) return;
    const w = this.nextWaiting();
    if (w !== undefined) c.send(w.req, w.head, w.handler);
    else this.idle.push(c);
  }

  /** @internal A connection is gone. */
  forget(c: H1Connection): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Aborts every request in flight and closes every connection. */
  async destroy(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    const conns = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    const aborted = (): Error => codedError('the request was aborted (the run has ended)', 'UND_ERR_ABORTED');
    for (const c of conns) c.fail(aborted());
    for (let w = this.nextWaiting(); w !== undefined; w = this.nextWaiting()) w.handler.onError(aborted());
  }
}

function checkPath(path: string): void {
  // A request target with spaces or control characters would break the request line.
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 32 || c === 127 || c > 255) throw codedError(`invalid request path ${JSON.stringify(path)}`, 'UND_ERR_INVALID_ARG');
  }
}

// The parser's and the socket's callbacks are shared by every connection (node:http does the
// same): Node calls them with the parser or the socket as `this`, which leads to the connection.
// Eleven closures per connection were ~1 KB per VU.
const kConn = Symbol('H1Connection');
/** The parsers' async resource (for async_hooks), one for all: an object per connection is 48 bytes. */
const PARSER_RESOURCE = {};
type ConnSocket = Socket & { [kConn]: H1Connection };

function parserOnHeaders(this: ParserInstance, headers: string[]): void {
  const c = this.conn;
  const pairs = (c.headerPairs ??= []);
  for (let i = 0; i < headers.length; i++) pairs.push(headers[i]);
}

function parserOnHeadersComplete(
  this: ParserInstance,
  _major: number, _minor: number, headers: string[] | undefined, _method: unknown, _url: unknown,
  status: number, statusText: string, _upgrade: boolean, shouldKeepAlive: boolean,
): number {
  const c = this.conn;
  if (headers === undefined) {
    headers = c.headerPairs ?? [];
    c.headerPairs = null;
  }
  // 1xx (100 Continue, 103 Early Hints): the real response follows.
  if (status < 200) return 0;
  c.keepAlive = shouldKeepAlive;
  c.handler?.onHeaders(status, headers, noop, statusText);
  return c.skipBody ? 1 : 0;
}

function parserOnBody(this: ParserInstance, chunk: Buffer): void {
  this.conn.handler?.onData(chunk);
}

function parserOnMessageComplete(this: ParserInstance): void {
  this.conn.messageComplete();
}

function parserOnExecute(this: ParserInstance, r: number | Error): void {
  const c = this.conn;
  c.activeAt = c.pool.now();
  if (typeof r !== 'number') c.fail(r);
}

function socketOnConnect(this: ConnSocket): void {
  this[kConn].connected();
}

function socketOnData(this: ConnSocket, chunk: Buffer): void {
  const c = this[kConn];
  c.activeAt = c.pool.now();
  const r = c.parser.execute(chunk);
  if (typeof r !== 'number') c.fail(r);
}

function socketOnEnd(this: ConnSocket): void {
  const c = this[kConn];
  // A response delimited by the connection's end completes here.
  if (c.handler !== null) c.parser.finish();
  c.fail(codedError('other side closed', 'ECONNRESET'));
}

function socketOnError(this: ConnSocket, err: Error): void {
  this[kConn].fail(err);
}

function socketOnClose(this: ConnSocket): void {
  this[kConn].fail(codedError('the connection closed', 'ECONNRESET'));
}

/**
 * Node's parser with the callbacks on the prototype (Node looks them up with a property get),
 * so no connection carries its own (an elements store of ~170 bytes each).
 */
class ResponseParser extends HTTPParser {}
const parserProto = ResponseParser.prototype as unknown as ParserInstance;
parserProto[HTTPParser.kOnHeaders] = parserOnHeaders;
parserProto[HTTPParser.kOnHeadersComplete] = parserOnHeadersComplete;
parserProto[HTTPParser.kOnBody] = parserOnBody;
parserProto[HTTPParser.kOnMessageComplete] = parserOnMessageComplete;
// Reads go straight from the socket's handle into the native parser (as node:http's server
// does): no Buffer per read, no stream machinery. EOF and read errors still reach the socket.
parserProto[HTTPParser.kOnExecute] = parserOnExecute;

/** One keep-alive connection: at most one request in flight. */
class H1Connection {
  dead = false;
  readonly socket: Socket;
  readonly parser: ParserInstance;
  isConnected = false;
  private connectStarted: number;
  handler: H1Handler | null = null;
  /** A request waiting for the connection to open. */
  private pending: { req: H1Request; head: Buffer | string } | null = null;
  skipBody = false;
  keepAlive = true;
  /** Header pairs the parser handed over before the headers completed (long or split heads). */
  headerPairs: string[] | null = null;
  /** Inactivity limit (0: none) and the last activity, checked by the pool's sweep. */
  timeoutMs = CONNECT_TIMEOUT_MS;
  activeAt: number;

  /** A warm-up connection (H1Pool.preconnect): told once it has opened or failed. */
  private warmUpEnded: (() => void) | undefined;

  constructor(readonly pool: H1Pool, warmUpEnded?: () => void) {
    this.warmUpEnded = warmUpEnded;
    this.connectStarted = this.activeAt = pool.now();
    pool.connecting++;
    const socket = (this.socket = connect({ host: pool.hostname, port: pool.port, noDelay: true }));
    (socket as ConnSocket)[kConn] = this;
    pool.watch(CONNECT_TIMEOUT_MS);
    const parser = (this.parser = new ResponseParser());
    parser.initialize(HTTPParser.RESPONSE, PARSER_RESOURCE, 0, 0);
    parser.conn = this;
    socket.on('connect', socketOnConnect);
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
  }

  /** @internal The socket has connected. */
  connected(): void {
    const socket = this.socket;
    const pool = this.pool;
    this.isConnected = true;
    pool.connectEnded();
    const handle = (socket as unknown as { _handle?: { isStreamBase?: boolean } })._handle;
    if (handle?.isStreamBase) this.parser.consume(handle);
    const warm = this.warmUpEnded;
    if (warm !== undefined) {
      this.warmUpEnded = undefined;
      // Idle until a request takes it: no inactivity limit meanwhile (as undici's keep-alive).
      this.timeoutMs = 0;
      pool.release(this);
      warm();
      return;
    }
    const t = (this.activeAt = pool.now());
    pool.onConnected(t - this.connectStarted, t);
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      this.timeoutMs = p.req.headersTimeout ?? 0;
      pool.watch(this.timeoutMs);
      this.write(p.req, p.head);
    }
  }

  /** @internal No activity within the inactivity limit (the pool's sweep). */
  timedOut(): void {
    this.fail(this.isConnected ? codedError('no response within the request timeout', 'UND_ERR_HEADERS_TIMEOUT') : codedError('connect timeout', 'UND_ERR_CONNECT_TIMEOUT'));
  }

  /** @internal The parser has read a whole response. */
  messageComplete(): void {
    const h = this.handler;
    if (h === null) return;
    this.handler = null;
    // Free the connection first: the handler's continuation may dispatch the next request.
    if (this.keepAlive) this.pool.release(this);
    else this.close();
    h.onComplete(null);
  }

  send(req: H1Request, head: Buffer | string, handler: H1Handler): void {
    this.handler = handler;
    this.skipBody = req.method === 'HEAD';
    const timeout = req.headersTimeout ?? 0;
    if (!this.isConnected) {
      // The connect limit applies until it opens, then the request's.
      this.pending = { req, head };
      return;
    }
    if (timeout !== this.timeoutMs) {
      this.timeoutMs = timeout;
      this.pool.watch(timeout);
    }
    this.activeAt = this.pool.now();
    this.write(req, head);
  }

  private write(req: H1Request, head: Buffer | string): void {
    const h = this.handler!;
    h.onConnect(noop);
    const body = req.body;
    if (body) this.socket.cork();
    if (typeof head === 'string') this.socket.write(head, 'latin1');
    else this.socket.write(head as unknown as Uint8Array);
    if (body) {
      this.socket.write(body as unknown as Uint8Array);
      this.socket.uncork();
    }
    h.onRequestSent?.();
  }

  private close(): void {
    if (this.dead) return;
    this.dead = true;
    const warm = this.warmUpEnded;
    this.warmUpEnded = undefined;
    warm?.();
    this.pool.forget(this);
    if (!this.isConnected) this.pool.connectEnded();
    // The parser is left to the GC: this may run inside its own execute() callback.
    this.socket.destroy();
  }

  /** Ends the connection; the request in flight, if any, fails with `err`. */
  fail(err: Error): void {
    const h = this.handler;
    this.handler = null;
    this.pending = null;
    this.close();
    h?.onError(err);
  }
}

function noop(): void {}

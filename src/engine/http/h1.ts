// A lean HTTP/1.1 client for plain http:// origins (H6, performance): net sockets and Node's own
// native llhttp parser (the one node:http uses), one request at a time per connection, idle
// connections kept on a stack per origin. Measured on loopback it costs about half the CPU per
// request of undici's Pool.dispatch (whose parser runs in WASM behind several JS layers) and a
// third of its memory per connection (bench/RESULTS.md). It is one adapter behind the engine's
// ConnectionPool (pool.ts); undici (undici-pool.ts) is the other, and serves https, capped pools
// and every run where this client's parser is missing or fails its start-up probe.
//
// Protocol handling follows undici's client-h1 case by case: 1xx responses before the final one
// never complete a request (101 fails it); trailers are read with their
// message and dropped; bytes with no request in flight (a second response, a body longer than
// its content-length, anything on an idle connection) end the connection; keep-alive is decided
// here (HEAD included) and honours `Keep-Alive: timeout` with undici's safety margin.

import { connect, type Socket } from 'node:net';
import { HttpErrorKind } from './error-kinds';
import { DEFAULT_REQUEST_HEADERS, HttpFailure, kindOfSystemError, type ConnectionPool, type ExchangeHandler, type PoolRequest } from './pool';
import { Sweep } from './sweep';

interface ParserInstance {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(chunk: Buffer): number | Error;
  finish(): number | Error | undefined;
  consume(handle: unknown): void;
  [key: number]: unknown;
  /** The connection it parses for (the callbacks below are shared and get the parser as `this`). */
  conn: H1Connection;
}

/** What this client needs of Node's internal `_http_common` module. */
export interface ParserModule {
  HTTPParser: {
    new (): ParserInstance;
    RESPONSE: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kOnExecute: number;
  };
}

/**
 * Node's http parser binding, through the module node:http itself is built on. Node documents
 * `_http_common` as deprecated (DEP0199), so it is loaded on first use, not with this module, and
 * checked by probeLeanClient() before a run relies on it.
 */
export function loadParserModule(): ParserModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('_http_common') as ParserModule;
}

/** The connect limit (undici's connector default is the same). */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * At most this many connection attempts in flight per origin; further requests wait for the
 * first connection that opens or frees up (their wait is blocked time, part of the latency).
 * Thousands of simultaneous connects (an open model meeting a stall) overflow the server's
 * accept queue (Node's default backlog is 511), and the kernel's SYN retries then add 1-7 s.
 */
const MAX_CONNECTING = 256;
/** Keep-alive idle limits, as undici's Client defaults: no hint -> 4 s; a hint minus 2 s; at most 10 min. */
export const KEEP_ALIVE_DEFAULT_MS = 4_000;
export const KEEP_ALIVE_THRESHOLD_MS = 2_000;
const KEEP_ALIVE_MAX_MS = 600_000;

interface Waiting {
  req: PoolRequest;
  head: Buffer | string;
  /** null: cancelled while waiting (the slot is skipped). */
  handler: ExchangeHandler | null;
}
/**
 * Inactivity limits (connect, request, keep-alive idle) are checked by one interval per pool,
 * every tenth of the shortest limit in use (within these bounds), not by a timer per socket
 * (~300 bytes per VU).
 */
/** Request heads without extra headers or body are encoded once per (method, path). */
const MAX_CACHED_HEADS = 1000;

/** The parser class (callbacks installed) for a parser module; the real one is made once. */
let leanParserClass: ParserClass | undefined;
type ParserClass = { new (): ParserInstance; RESPONSE: number };

function parserClassOf(mod: ParserModule): ParserClass {
  const HP = mod.HTTPParser;
  // Node's parser with the callbacks on the prototype (Node looks them up with a property get),
  // so no connection carries its own (an elements store of ~170 bytes each).
  class ResponseParser extends HP {}
  const proto: ParserInstance = ResponseParser.prototype;
  proto[HP.kOnMessageBegin] = parserOnMessageBegin;
  proto[HP.kOnHeaders] = parserOnHeaders;
  proto[HP.kOnHeadersComplete] = parserOnHeadersComplete;
  proto[HP.kOnBody] = parserOnBody;
  proto[HP.kOnMessageComplete] = parserOnMessageComplete;
  // Reads go straight from the socket's handle into the native parser (as node:http's server
  // does): no Buffer per read, no stream machinery. EOF and read errors still reach the socket.
  proto[HP.kOnExecute] = parserOnExecute;
  return Object.assign(ResponseParser, { RESPONSE: HP.RESPONSE });
}

function leanParser(): ParserClass {
  return (leanParserClass ??= parserClassOf(loadParserModule()));
}

/** One origin's connections: `dispatch` takes an idle one (or opens one), like undici's Pool. */
export class H1Pool implements ConnectionPool {
  private readonly idle: H1Connection[] = [];
  /** Requests waiting for a connection (FIFO from `waitingHead`; taken slots are emptied). */
  private waiting: (Waiting | undefined)[] = [];
  private waitingHead = 0;
  /** @internal Connection attempts in flight. */
  connecting = 0;
  private readonly all = new Set<H1Connection>();
  private readonly heads = new Map<string, Map<string, Buffer>>();
  private readonly defaultHeads = new Map<string, Map<string, Buffer>>();
  private headCount = 0;
  private closed = false;
  /** Checks the connections' limits (connect, idle): one timer per pool, not one per socket. */
  private readonly sweep = new Sweep(() => {
    const now = this.now();
    for (const c of this.all) {
      if (c.timeoutMs > 0 && now - c.activeAt >= c.timeoutMs) c.timedOut();
    }
  });
  readonly hostname: string;
  readonly port: number;
  readonly hostHeader: string;
  /** @internal */
  readonly Parser: ParserClass;

  constructor(
    origin: string,
    readonly now: () => number,
    /** A new connection's connect time, reported for the Exchange to attribute (transport.ts). */
    readonly onConnected: (connectingMs: number, at: number) => void,
    parser?: ParserModule,
  ) {
    const u = new URL(origin);
    this.hostname = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || 80);
    this.hostHeader = u.host;
    this.Parser = parser === undefined ? leanParser() : parserClassOf(parser);
  }

  dispatch(req: PoolRequest, handler: ExchangeHandler): void {
    if (this.closed) {
      handler.onFailure(aborted());
      return;
    }
    const head = this.head(req);
    let c: H1Connection | undefined;
    if (!req.freshConnection) {
      c = this.idle.pop();
      while (c !== undefined && c.dead) c = this.idle.pop();
    }
    if (c === undefined) {
      if (this.connecting >= MAX_CONNECTING) {
        const w: Waiting = { req, head, handler };
        handler.poolSlot = w;
        this.waiting.push(w);
        return;
      }
      c = this.open();
    }
    c.send(req, head, handler);
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
    const c = new H1Connection(this, warmUpEnded, false);
    this.all.add(c);
    return c;
  }

  /** @internal A connection that parses what it is given and has no socket (probeLeanClient). */
  detached(): H1Connection {
    const c = new H1Connection(this, undefined, true);
    this.all.add(c);
    return c;
  }

  /**
   * Ends `handler`'s request: the connection it is on is closed (the response is not read on),
   * or its place in the queue is emptied. The failure is reported before this returns.
   */
  cancel(handler: ExchangeHandler, failure: HttpFailure): void {
    const slot = handler.poolSlot;
    handler.poolSlot = undefined;
    if (slot instanceof H1Connection) {
      if (slot.handler === handler) slot.fail(failure);
    } else if (slot !== undefined && (slot as Waiting).handler === handler) {
      (slot as Waiting).handler = null;
      handler.onFailure(failure);
    }
  }

  /** The next request waiting for a connection, skipping cancelled ones. */
  private nextWaiting(): (Waiting & { handler: ExchangeHandler }) | undefined {
    for (;;) {
      const w = this.takeWaiting();
      if (w === undefined || w.handler !== null) return w as (Waiting & { handler: ExchangeHandler }) | undefined;
    }
  }

  private takeWaiting(): Waiting | undefined {
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
    if (!this.closed) this.sweep.watch(ms);
  }

  /**
   * The request line and headers: a cached Buffer for the plain case, else a latin1 string.
   * Method, header names and values were validated by the engine (client.ts); the framing
   * headers (content-length, transfer-encoding, connection) are this client's own.
   */
  private head(req: PoolRequest): Buffer | string {
    const headers = req.headers;
    const body = req.body;
    if ((headers === undefined || headers === DEFAULT_REQUEST_HEADERS) && body === undefined) {
      // Requests with no headers, or exactly the engine's default ones, each in their own cache.
      const heads = headers === undefined ? this.heads : this.defaultHeads;
      let byPath = heads.get(req.method);
      if (byPath === undefined) heads.set(req.method, (byPath = new Map()));
      let b = byPath.get(req.path);
      if (b === undefined) {
        if (this.headCount >= MAX_CACHED_HEADS) {
          this.heads.clear();
          this.defaultHeads.clear();
          this.headCount = 0;
          heads.set(req.method, byPath);
        }
        let extra = '';
        if (headers !== undefined) for (const k in headers) extra += `${k}: ${headers[k]}\r\n`;
        b = Buffer.from(`${req.method} ${req.path} HTTP/1.1\r\n${extra}host: ${this.hostHeader}\r\nconnection: keep-alive\r\n\r\n`, 'latin1');
        byPath.set(req.path, b);
        this.headCount++;
      }
      return b;
    }
    let s = `${req.method} ${req.path} HTTP/1.1\r\n`;
    let host = false;
    if (headers !== undefined) {
      for (const k in headers) {
        const l = k.length;
        if (l === 4 || l === 10 || l === 14 || l === 17) {
          if (sameLower(k, 'host')) host = true;
          else if (sameLower(k, 'content-length') || sameLower(k, 'connection') || sameLower(k, 'transfer-encoding')) continue;
        }
        s += `${k}: ${headers[k]}\r\n`;
      }
    }
    if (!host) s += `host: ${this.hostHeader}\r\n`;
    if (body !== undefined) s += `content-length: ${body.length}\r\n`;
    return s + (req.close ? 'connection: close\r\n\r\n' : 'connection: keep-alive\r\n\r\n');
  }

  /** @internal A connection finished a response and can take another request. */
  release(c: H1Connection, warm = false): void {
    if (this.closed || c.dead) return;
    const w = this.nextWaiting();
    if (w !== undefined) c.send(w.req, w.head, w.handler);
    else {
      c.idled = true;
      // Idle: the keep-alive limit applies until a request takes it (a warm-up connection has
      // heard no hint yet and waits for the load without one).
      c.timeoutMs = warm ? 0 : c.idleMs;
      c.activeAt = this.now();
      if (c.idleMs > 0) this.watch(c.idleMs);
      this.idle.push(c);
    }
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
    this.sweep.stop();
    const conns = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    for (const c of conns) c.fail(aborted());
    for (let w = this.nextWaiting(); w !== undefined; w = this.nextWaiting()) w.handler.onFailure(aborted());
  }
}

function aborted(): HttpFailure {
  return new HttpFailure(HttpErrorKind.aborted, 'the request was aborted (the run has ended)');
}

/** `s` equals the lowercase `lower`, ignoring ASCII case, without allocating. */
function sameLower(s: string, lower: string): boolean {
  if (s.length !== lower.length) return false;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

// The parser's and the socket's callbacks are shared by every connection (node:http does the
// same): Node calls them with the parser or the socket as `this`, which leads to the connection.
// Eleven closures per connection were ~1 KB per VU.
const kConn = Symbol('H1Connection');
/** The parsers' async resource (for async_hooks), one for all: an object per connection is 48 bytes. */
const PARSER_RESOURCE = {};
type ConnSocket = Socket & { [kConn]: H1Connection };

function parserOnMessageBegin(this: ParserInstance): void {
  this.conn.messageBegin();
}

function parserOnHeaders(this: ParserInstance, headers: string[]): void {
  const c = this.conn;
  const pairs = (c.headerPairs ??= []);
  for (let i = 0; i < headers.length; i++) pairs.push(headers[i]);
}

function parserOnHeadersComplete(
  this: ParserInstance,
  _major: number, minor: number, headers: string[] | undefined, _method: unknown, _url: unknown,
  status: number, statusText: string, _upgrade: boolean, shouldKeepAlive: boolean,
): number {
  return this.conn.headersComplete(minor, headers, status, statusText, shouldKeepAlive);
}

function parserOnBody(this: ParserInstance, chunk: Buffer): void {
  const c = this.conn;
  c.bodyBytes += chunk.length;
  c.handler?.onResponseData(chunk);
}

function parserOnMessageComplete(this: ParserInstance): void {
  this.conn.messageComplete();
}

function parserOnExecute(this: ParserInstance, r: number | Error): void {
  this.conn.executed(r);
}

function socketOnConnect(this: ConnSocket): void {
  this[kConn].connected();
}

function socketOnData(this: ConnSocket, chunk: Buffer): void {
  const c = this[kConn];
  c.executed(c.parser.execute(chunk));
}

function socketOnEnd(this: ConnSocket): void {
  this[kConn].ended();
}

function socketOnError(this: ConnSocket, err: Error & { code?: string }): void {
  this[kConn].socketError(err);
}

function socketOnClose(this: ConnSocket): void {
  this[kConn].closedEarly(new HttpFailure(HttpErrorKind.reset, 'the connection closed'));
}

/** The kind of a parse error (Node's parser: an Error with an HPE_* code). */
function parseFailure(err: Error & { code?: string }): HttpFailure {
  if (err.code === 'HPE_HEADER_OVERFLOW') return new HttpFailure(HttpErrorKind.headersTooLarge, 'the response head is larger than the header size limit');
  return new HttpFailure(HttpErrorKind.badResponse, `malformed response (${err.code ?? err.message})`);
}

/** Keep-Alive: timeout=N, in ms (undici's util.parseKeepAliveTimeout), or -1. */
function keepAliveHint(value: string): number {
  // Servers send the same value every time (node:http: 'timeout=5'): parsed once.
  if (value === lastHint) return lastHintMs;
  const m = /timeout=(\d+)/.exec(value);
  lastHint = value;
  return (lastHintMs = m === null ? -1 : parseInt(m[1], 10) * 1000);
}
let lastHint = '';
let lastHintMs = -1;

/** One keep-alive connection: at most one request in flight. */
class H1Connection {
  dead = false;
  readonly socket: Socket | null;
  readonly parser: ParserInstance;
  isConnected = false;
  private connectStarted: number;
  handler: ExchangeHandler | null = null;
  /** A request waiting for the connection to open. */
  private pending: { req: PoolRequest; head: Buffer | string } | null = null;
  /** The request in flight is a HEAD: its response has no body whatever its headers say. */
  private skipBody = false;
  /** The request in flight asked for `connection: close`. */
  private closeAfter = false;
  /** The message being parsed is a 1xx: it ends without ending the request. */
  private informational = false;
  /** The final response's head has arrived for the request in flight. */
  private headDone = false;
  /** A response to the request in flight has begun (any byte of it arrived). */
  private responseBegun = false;
  /** The response's content-length (-1: none) and the body bytes so far. */
  private contentLength = -1;
  bodyBytes = 0;
  private keepAlive = true;
  /** A response completed during this read: the connection is freed once the read is parsed. */
  private completed = false;
  /** Header pairs the parser handed over before the headers completed (long or split heads). */
  headerPairs: string[] | null = null;
  /** Inactivity limit (0: none) and the last activity, checked by the pool's sweep. */
  timeoutMs = CONNECT_TIMEOUT_MS;
  activeAt: number;
  /** The keep-alive idle limit the last response allowed (ms; 0: do not reuse). */
  idleMs = KEEP_ALIVE_DEFAULT_MS;
  /** It has waited in the pool as an idle connection: the server may have closed it meanwhile. */
  idled = false;

  /** A warm-up connection (H1Pool.preconnect): told once it has opened or failed. */
  private warmUpEnded: (() => void) | undefined;

  constructor(readonly pool: H1Pool, warmUpEnded: (() => void) | undefined, detached: boolean) {
    this.warmUpEnded = warmUpEnded;
    this.connectStarted = this.activeAt = pool.now();
    const parser = (this.parser = new pool.Parser());
    parser.initialize(pool.Parser.RESPONSE, PARSER_RESOURCE, 0, 0);
    parser.conn = this;
    if (detached) {
      this.socket = null;
      this.isConnected = true;
      this.timeoutMs = 0;
      return;
    }
    pool.connecting++;
    const socket = (this.socket = connect({ host: pool.hostname, port: pool.port, noDelay: true }));
    (socket as ConnSocket)[kConn] = this;
    pool.watch(CONNECT_TIMEOUT_MS);
    socket.on('connect', socketOnConnect);
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
  }

  /** @internal The socket has connected. */
  connected(): void {
    const socket = this.socket!;
    const pool = this.pool;
    this.isConnected = true;
    pool.connectEnded();
    const handle = (socket as Socket & { _handle?: { isStreamBase?: boolean } })._handle;
    if (handle?.isStreamBase) this.parser.consume(handle);
    const warm = this.warmUpEnded;
    if (warm !== undefined) {
      this.warmUpEnded = undefined;
      pool.release(this, true);
      warm();
      return;
    }
    const t = (this.activeAt = pool.now());
    pool.onConnected(t - this.connectStarted, t);
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      this.timeoutMs = p.req.timeoutMs;
      pool.watch(this.timeoutMs);
      this.write(p.req, p.head);
    }
  }

  /** @internal No activity within the inactivity limit (the pool's sweep). */
  timedOut(): void {
    if (this.isConnected && this.handler === null) this.close(); // idle past its keep-alive limit
    else this.fail(new HttpFailure(HttpErrorKind.timeout, this.isConnected ? 'no response activity within the request timeout' : 'connect timeout'));
  }

  /** @internal The parser starts a message: a response to the request in flight, or stray bytes. */
  messageBegin(): void {
    this.headerPairs = null;
    this.informational = false;
    if (this.handler === null) {
      // No request in flight (an idle connection, a second response, a body longer than its
      // content-length): never parsed into the next request's response.
      this.close();
      return;
    }
    this.responseBegun = true;
    this.contentLength = -1;
    this.bodyBytes = 0;
  }

  /** @internal The parser has read a message head; returns 1 to skip the body, -1 to stop. */
  headersComplete(minor: number, headers: string[] | undefined, status: number, statusText: string, shouldKeepAlive: boolean): number {
    const h = this.handler;
    if (headers === undefined) headers = this.headerPairs ?? [];
    this.headerPairs = null;
    if (h === null || this.dead) return -1;
    if (status === 101) {
      this.fail(new HttpFailure(HttpErrorKind.upgrade, '101 Switching Protocols: upgrades are not supported'));
      return -1;
    }
    if (status < 200) {
      // 100 Continue (even unasked: RFC 9110 §15.2 says a client MUST parse 1xx it did not
      // expect; undici fails it, the one deliberate difference), 102 Processing, 103 Early
      // Hints, ...: the final response follows.
      this.informational = true;
      return 1;
    }
    // The framing and keep-alive headers (names are compared without allocating).
    let connection: string | undefined;
    let hint = -1;
    for (let i = 0; i < headers.length; i += 2) {
      const k = headers[i];
      if (k.length === 10) {
        if (sameLower(k, 'connection')) connection = connection === undefined ? headers[i + 1] : `${connection}, ${headers[i + 1]}`;
        else if (sameLower(k, 'keep-alive')) hint = keepAliveHint(headers[i + 1]);
      } else if (k.length === 14 && sameLower(k, 'content-length')) {
        this.contentLength = parseInt(headers[i + 1], 10);
      }
    }
    const noBody = this.skipBody || status === 204 || status === 304;
    let keepAlive: boolean;
    if (this.closeAfter) keepAlive = false;
    else if (noBody) {
      // The body is known to be empty whatever the framing (llhttp cannot know it was a HEAD).
      const c = connection === undefined ? '' : connection.toLowerCase();
      keepAlive = minor >= 1 ? !c.includes('close') : c.includes('keep-alive');
    } else keepAlive = shouldKeepAlive;
    if (keepAlive) {
      if (hint >= 0) {
        const ms = Math.min(hint - KEEP_ALIVE_THRESHOLD_MS, KEEP_ALIVE_MAX_MS);
        if (ms <= 0) keepAlive = false;
        else this.idleMs = ms;
      } else this.idleMs = KEEP_ALIVE_DEFAULT_MS;
    }
    this.keepAlive = keepAlive;
    this.headDone = true;
    h.onResponseHead(status, headers, statusText);
    return this.skipBody ? 1 : 0;
  }

  /** @internal The parser has read a whole message. */
  messageComplete(): void {
    this.headerPairs = null; // trailers belong to this message only
    if (this.informational) {
      this.informational = false;
      return;
    }
    const h = this.handler;
    if (h === null) return;
    this.handler = null;
    // Freed once this read is parsed (executed()): bytes after the response in the same read
    // must find no request in flight.
    if (this.keepAlive) this.completed = true;
    else this.close();
    h.poolSlot = undefined;
    h.onComplete();
  }

  /** @internal The parser has parsed one read. */
  executed(r: number | Error): void {
    this.activeAt = this.pool.now();
    if (typeof r !== 'number') {
      this.fail(parseFailure(r));
      return;
    }
    if (this.completed) {
      this.completed = false;
      this.pool.release(this);
    }
  }

  /** @internal The server closed its side (FIN). */
  ended(): void {
    const h = this.handler;
    if (h !== null && this.headDone) {
      // A response delimited by the connection's end completes here.
      this.parser.finish();
      if (this.handler === null) return this.close();
      if (this.contentLength >= 0 && this.bodyBytes < this.contentLength) {
        return this.fail(new HttpFailure(HttpErrorKind.contentLength, `the connection closed after ${this.bodyBytes} of ${this.contentLength} body bytes`));
      }
      return this.fail(new HttpFailure(HttpErrorKind.reset, 'the connection closed before the response was complete'));
    }
    this.closedEarly(new HttpFailure(HttpErrorKind.reset, 'other side closed', this.staleEligible()));
  }

  /** @internal A socket error: refused, reset, DNS, ... */
  socketError(err: Error & { code?: string }): void {
    const kind = kindOfSystemError(err.code);
    this.fail(new HttpFailure(kind, err.message, kind === HttpErrorKind.reset && this.staleEligible()));
  }

  /** @internal The connection ended before the response head (or with none in flight). */
  closedEarly(f: HttpFailure): void {
    if (this.handler !== null && !f.staleConnection && this.staleEligible()) f = new HttpFailure(f.kind, f.message, true);
    this.fail(f);
  }

  /** The request in flight went out on a connection that had been idle, and no response byte has arrived. */
  private staleEligible(): boolean {
    return this.handler !== null && this.idled && !this.responseBegun;
  }

  /** @internal Takes `handler`'s request (no bytes written). */
  assign(req: PoolRequest, handler: ExchangeHandler): void {
    this.handler = handler;
    handler.poolSlot = this;
    this.skipBody = req.method === 'HEAD';
    this.closeAfter = req.close;
    this.headDone = false;
    this.responseBegun = false;
  }

  send(req: PoolRequest, head: Buffer | string, handler: ExchangeHandler): void {
    this.assign(req, handler);
    const timeout = req.timeoutMs;
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

  private write(req: PoolRequest, head: Buffer | string): void {
    const h = this.handler!;
    const socket = this.socket!;
    h.onRequestStart();
    const body = req.body;
    if (body) socket.cork();
    if (typeof head === 'string') socket.write(head, 'latin1');
    else socket.write(head as Uint8Array);
    if (body) {
      socket.write(body as Uint8Array);
      socket.uncork();
    }
    h.onRequestSent();
  }

  private close(): void {
    if (this.dead) return;
    this.dead = true;
    this.completed = false;
    const warm = this.warmUpEnded;
    this.warmUpEnded = undefined;
    warm?.();
    this.pool.forget(this);
    if (!this.isConnected) this.pool.connectEnded();
    // The parser is left to the GC: this may run inside its own execute() callback.
    this.socket?.destroy();
  }

  /** Ends the connection; the request in flight, if any, fails with `f`. */
  fail(f: HttpFailure): void {
    const h = this.handler;
    this.handler = null;
    this.pending = null;
    this.close();
    if (h !== null) {
      h.poolSlot = undefined;
      h.onFailure(f);
    }
  }
}

// --- the start-up probe ----------------------------------------------------------------------

/** What a probe request heard. */
class ProbeHandler implements ExchangeHandler {
  heads: string[] = [];
  body = '';
  ended = '';
  onRequestStart(): void {}
  onRequestSent(): void {}
  onResponseHead(status: number, rawHeaders: readonly (string | Buffer)[]): void {
    this.heads.push(`${status} ${rawHeaders.join('|')}`);
  }
  onResponseData(chunk: Buffer): void {
    this.body += chunk.toString('latin1');
  }
  onComplete(): void {
    this.ended += 'complete;';
  }
  onFailure(f: HttpFailure): void {
    this.ended += `${f.kind};`;
  }
  poolSlot?: unknown;
  toJSON(): object {
    return { heads: this.heads, body: this.body, ended: this.ended };
  }
}

const PROBE_REQUEST: PoolRequest = { method: 'GET', path: '/', headers: undefined, body: undefined, timeoutMs: 0, close: false, freshConnection: false };

/**
 * Parses canned responses end to end through this client's own parser callbacks: a 103 then a
 * chunked 200 with a trailer (split mid-chunk), then a 204 on the same connection, then bytes
 * with no request in flight. Returns undefined when every step came out as it must, else what
 * went wrong. `mod` replaces Node's parser module (tests).
 */
export function probeLeanClient(mod?: ParserModule): string | undefined {
  let pool: H1Pool | undefined;
  try {
    const parser = mod ?? loadParserModule();
    if (typeof parser?.HTTPParser !== 'function') return 'Node\'s internal HTTP parser (_http_common) is not available';
    pool = new H1Pool('http://probe.invalid', () => 0, () => {}, parser);
    const c = pool.detached();
    const first = new ProbeHandler();
    c.assign(PROBE_REQUEST, first);
    const part1 = 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n5\r\nhel';
    const part2 = 'lo\r\n0\r\nX-Trailer: t\r\n\r\n';
    c.executed(c.parser.execute(Buffer.from(part1, 'latin1')));
    c.executed(c.parser.execute(Buffer.from(part2, 'latin1')));
    const want1 = '200 Transfer-Encoding|chunked|Keep-Alive|timeout=5';
    if (first.heads.join(';') !== want1 || first.body !== 'hello' || first.ended !== 'complete;') {
      return `unexpected parse of a 103 + chunked 200: ${JSON.stringify(first)}`;
    }
    if (c.dead || c.idleMs !== 5000 - KEEP_ALIVE_THRESHOLD_MS) return 'the keep-alive connection was not kept with its hint';
    const second = new ProbeHandler();
    c.assign(PROBE_REQUEST, second);
    c.executed(c.parser.execute(Buffer.from('HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n', 'latin1')));
    if (second.heads.join(';') !== '204 X-A|1' || second.ended !== 'complete;') return `unexpected parse of a 204 after trailers: ${JSON.stringify(second)}`;
    c.executed(c.parser.execute(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', 'latin1')));
    if (!c.dead) return 'a response with no request in flight did not end the connection';
    return undefined;
  } catch (err) {
    return `Node's internal HTTP parser failed: ${(err as Error)?.message ?? String(err)}`;
  } finally {
    void pool?.destroy();
  }
}

let probed: { problem: string | undefined } | undefined;

/** probeLeanClient() against Node's parser, once per process. */
export function leanClientProblem(): string | undefined {
  return (probed ??= { problem: probeLeanClient() }).problem;
}

/**
 * A parser module whose parser drops the first byte of every read: a deliberately broken parser
 * for testing the fallback (LOADLENS_H1_PROBE=broken, see runner/env.ts).
 */
export function brokenParserModule(): ParserModule {
  const real = loadParserModule();
  class Broken extends real.HTTPParser {
    execute(chunk: Buffer): number | Error {
      return super.execute(chunk.subarray(1));
    }
  }
  return { HTTPParser: Object.assign(Broken, {
    RESPONSE: real.HTTPParser.RESPONSE,
    kOnMessageBegin: real.HTTPParser.kOnMessageBegin,
    kOnHeaders: real.HTTPParser.kOnHeaders,
    kOnHeadersComplete: real.HTTPParser.kOnHeadersComplete,
    kOnBody: real.HTTPParser.kOnBody,
    kOnMessageComplete: real.HTTPParser.kOnMessageComplete,
    kOnExecute: real.HTTPParser.kOnExecute,
  }) };
}

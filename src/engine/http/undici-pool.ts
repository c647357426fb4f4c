// The undici adapter behind the engine's ConnectionPool (pool.ts): https origins, capped pools,
// LOADLENS_HTTP_CLIENT=undici, and every run where the lean client's parser failed its probe.
// undici's errors are mapped to HttpErrorKind here and nowhere else (undiciFailure below).

import type * as Undici from 'undici';
import type { Socket } from 'node:net';
import type { TlsOptions } from '../types';
import { HttpErrorKind } from './error-kinds';
import { HttpFailure, kindOfSystemError, type ConnectionPool, type ExchangeHandler, type PoolRequest } from './pool';

// Deep requires (H6, start-up): undici's index loads all of undici (fetch, websocket, cache, ...),
// ~1 MB of bundle to compile at every start (~70 ms of CPU); the pool and connector are under half.
// Required on first use: plain http runs on the lean H1Pool, so most runs never evaluate undici
// (~15-30 ms less start-up).
function undici(): { Pool: typeof Undici.Pool; Client: typeof Undici.Client; buildConnector: (options: Undici.buildConnector.BuildOptions) => SocketConnector } {
  return { Pool: require('undici/lib/dispatcher/pool'), Client: require('undici/lib/dispatcher/client'), buildConnector: require('undici/lib/core/connect') };
}

/**
 * Concurrent requests on one HTTP/2 connection: what a Node h2 server allows by default (100), and
 * what browsers see from most servers. Past it, the Pool opens another connection.
 */
const H2_STREAMS_PER_CONNECTION = 100;

/** undici's connector as it is (its types say it returns nothing; it returns the socket). */
type SocketConnector = (options: Undici.buildConnector.Options, callback: Undici.buildConnector.Callback) => Socket;

/** A new connection's connect and TLS times, reported for the Exchange to attribute. */
export type OnConnected = (connectingMs: number, tlsMs: number, at: number) => void;

/**
 * Socket errors raised on a connection that had already read a response (a reused keep-alive
 * connection): a raw ECONNRESET carries no socket, so the connector marks it as it passes.
 */
const errorsOnUsedSockets = new WeakSet<Error>();

/** Sockets that saw a reset (RST). */
const resetSockets = new WeakSet<Socket>();
/**
 * The socket whose 'close' undici is handling saw a reset. undici fails a connection's request
 * from its 'close' listener, and for a `connection: close` response it turns a reset during the
 * body into UND_ERR_RES_CONTENT_LENGTH_MISMATCH; our 'close' listener runs first (prepended) and
 * sets this, so such a failure is ECONNRESET, as on the lean client ("RST anywhere").
 */
let closingAfterReset = false;

function markError(this: Socket, err: Error & { code?: string }): void {
  if (this.bytesRead > 0) errorsOnUsedSockets.add(err);
  if (err.code === 'ECONNRESET') resetSockets.add(this);
}

function markClose(this: Socket): void {
  closingAfterReset = resetSockets.has(this);
}

export class UndiciPool implements ConnectionPool {
  private readonly pool: Undici.Pool;

  constructor(
    readonly origin: string,
    connections: number | undefined,
    now: () => number,
    tls: TlsOptions,
    onConnected: OnConnected,
    /** Offer h2 in the TLS handshake (ALPN); a server that picks it gets one multiplexed connection. */
    http2 = false,
  ) {
    const { Pool, Client, buildConnector } = undici();
    const base = buildConnector({
      timeout: 10_000,
      ...(http2 ? { allowH2: true } : {}),
      ...(tls.insecureSkipTLSVerify ? { rejectUnauthorized: false } : {}),
      ...(tls.ca !== undefined ? { ca: tls.ca as never } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert as never, key: tls.key as never, passphrase: tls.passphrase } : {}),
    });
    const https = origin.startsWith('https:');
    // Measures each new connection; the first request that waited at least that long takes it.
    const connect: SocketConnector = (opts, callback) => {
      const started = now();
      let tcpAt = 0;
      const socket = base(opts, (err, sock) => {
        if (err === null) {
          const t = now();
          onConnected((tcpAt || t) - started, tcpAt ? t - tcpAt : 0, t);
          callback(null, sock);
        } else callback(err, null);
      });
      socket.prependListener('error', markError);
      socket.prependListener('close', markClose);
      if (https) socket.once('connect', () => (tcpAt = now()));
      return socket;
    };
    // HTTP/1.1 connections carry one request at a time (no pipelining). One that negotiated h2
    // multiplexes: its Client is told as it connects (undici's own default stays 1 once set).
    const factory = (o: string | URL, opts: object): Undici.Dispatcher => {
      const client: Undici.Client = new Client(o, {
        ...opts,
        connect: (co: Undici.buildConnector.Options, cb: Undici.buildConnector.Callback) =>
          connect(co, (err, sock) => {
            if (err === null && (sock as { alpnProtocol?: string | false }).alpnProtocol === 'h2') client.pipelining = H2_STREAMS_PER_CONNECTION;
            cb(err as null, sock as never);
          }),
      });
      return client;
    };
    this.pool = new Pool(origin, { connections: connections ?? null, pipelining: 1, connect, factory });
  }

  dispatch(req: PoolRequest, handler: ExchangeHandler): void {
    const h = new UndiciHandler(handler);
    handler.poolSlot = h;
    try {
      this.pool.dispatch(
        {
          origin: this.origin, path: req.path, method: req.method as Undici.Dispatcher.HttpMethod, headers: req.headers, body: req.body,
          // Inactivity limits (0: none; the engine passes 0 and bounds the whole request itself).
          headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs,
          // Keep-alive is ours to decide: undici closes after every HEAD unless told not to
          // (stray body bytes after a HEAD's response still end the connection: unsolicited data).
          reset: req.close,
        },
        h,
      );
    } catch (err) {
      h.onError(err as Error);
    }
  }

  /** Ends `handler`'s request: reported at once; undici aborts it (closing its connection) now, or when it would have been written. */
  cancel(handler: ExchangeHandler, failure: HttpFailure): void {
    const slot = handler.poolSlot;
    handler.poolSlot = undefined;
    if (slot instanceof UndiciHandler) slot.cancel(failure);
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

/** undici's (legacy) dispatch handler for one request, reporting to the engine's handler. */
class UndiciHandler implements Undici.Dispatcher.DispatchHandler {
  private responseStarted = false;
  private headDone = false;
  private contentLength = -1;
  private bodyBytes = 0;
  private ended = false;
  /** undici's abort for this request, once it has been handed to a connection. */
  private abort: ((err?: Error) => void) | null = null;

  constructor(private readonly target: ExchangeHandler) {}

  onConnect(abort: (err?: Error) => void): void {
    if (this.ended) {
      // Cancelled while queued in the Pool: never sent.
      abort(new Error('cancelled'));
      return;
    }
    this.abort = abort;
    this.target.onRequestStart();
  }

  /** The engine ends this request (its timeout): reported now; undici's later error is ignored. */
  cancel(f: HttpFailure): void {
    if (this.ended) return;
    this.ended = true;
    const abort = this.abort;
    this.abort = null;
    this.target.onFailure(f);
    abort?.(new Error('cancelled'));
  }

  onRequestSent(): void {
    this.target.onRequestSent();
  }

  onResponseStarted(): void {
    this.responseStarted = true;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, statusText: string): boolean {
    // 1xx (103 Early Hints, ...): the final response follows.
    if (statusCode < 200 || this.ended) return true;
    this.headDone = true;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const k = rawHeaders[i];
      if (k.length === 14 && k.toString('latin1').toLowerCase() === 'content-length') this.contentLength = parseInt(rawHeaders[i + 1].toString('latin1'), 10);
    }
    this.target.onResponseHead(statusCode, rawHeaders, statusText);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.ended) return true;
    this.bodyBytes += chunk.length;
    this.target.onResponseData(chunk);
    return true;
  }

  onComplete(): void {
    if (this.ended) return;
    this.ended = true;
    this.abort = null;
    this.target.onComplete();
  }

  onError(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.abort = null;
    this.target.onFailure(this.failure(err));
  }

  onBodySent(): void {}

  private failure(err: Error): HttpFailure {
    const f = undiciFailure(err);
    if (f.kind === HttpErrorKind.contentLength && closingAfterReset) return new HttpFailure(HttpErrorKind.reset, 'the connection was reset during the body');
    // undici 7 reports a malformed head (a bad header after content-length) as a length
    // mismatch; with no head delivered there is no body to be short: the response is malformed.
    if (f.kind === HttpErrorKind.contentLength && !this.headDone) return new HttpFailure(HttpErrorKind.badResponse, 'a malformed response head');
    if (f.kind !== HttpErrorKind.reset) return f;
    // An orderly close (a SocketError, not a raw RST) after a head with content-length, before
    // that many body bytes: ECONTENTLENGTH, as the lean client says (undici reports 'other side
    // closed' unless the response said connection: close).
    const orderly = (err as { code?: string }).code === 'UND_ERR_SOCKET';
    if (orderly && this.headDone && this.contentLength >= 0 && this.bodyBytes < this.contentLength) {
      return new HttpFailure(HttpErrorKind.contentLength, `the connection closed after ${this.bodyBytes} of ${this.contentLength} body bytes`);
    }
    const info = (err as { socket?: { bytesRead?: number } }).socket;
    const used = errorsOnUsedSockets.has(err) || (info?.bytesRead ?? 0) > 0;
    return used && !this.responseStarted ? new HttpFailure(f.kind, f.message, true) : f;
  }
}

/** undici's errors (and the socket and TLS errors it passes on) in the engine's words. */
export function undiciFailure(err: unknown): HttpFailure {
  const e = err as { code?: string; message?: string; cause?: unknown } | undefined;
  const message = e?.message ?? String(err);
  const code = e?.code;
  // undici's parser errors: a malformed response (their HPE_ code is often missing).
  if ((err as { name?: string } | undefined)?.name === 'HTTPParserError' && code !== 'HPE_HEADER_OVERFLOW') return new HttpFailure(HttpErrorKind.badResponse, message);
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new HttpFailure(HttpErrorKind.timeout, message);
    case 'UND_ERR_SOCKET':
      if (message === 'bad upgrade') return new HttpFailure(HttpErrorKind.upgrade, '101 Switching Protocols: upgrades are not supported');
      if (message === 'bad response') return new HttpFailure(HttpErrorKind.badResponse, 'unexpected response data');
      // 'other side closed', 'closed', or a wrapped socket error.
      if (e?.cause !== undefined && e.cause !== err) {
        const inner = undiciFailure(e.cause);
        if (inner.kind !== HttpErrorKind.unknown) return inner;
      }
      return new HttpFailure(HttpErrorKind.reset, message);
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new HttpFailure(HttpErrorKind.contentLength, message);
    case 'UND_ERR_HEADERS_OVERFLOW':
    case 'HPE_HEADER_OVERFLOW':
      return new HttpFailure(HttpErrorKind.headersTooLarge, 'the response head is larger than the header size limit');
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_CLOSED':
      return new HttpFailure(HttpErrorKind.aborted, message);
    default:
      if (code !== undefined && code.startsWith('HPE_')) return new HttpFailure(HttpErrorKind.badResponse, message);
      return new HttpFailure(kindOfSystemError(code), message);
  }
}

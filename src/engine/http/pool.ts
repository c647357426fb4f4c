// The seam between the engine and an HTTP client. The engine owns these types: a client is an
// adapter that implements ConnectionPool for one origin and reports each request's progress to
// its ExchangeHandler in the engine's words (HttpErrorKind), never in its own (UND_ERR_*, HPE_*).
// Two adapters implement it: the lean HTTP/1.1 client (h1.ts) and undici (undici-pool.ts).

import { HttpErrorKind } from './error-kinds';
import { DEFAULT_ACCEPT_ENCODING } from './decode';

/**
 * The headers of a request that sets none: one shared, frozen object, so a pool may encode a
 * head with exactly these once and reuse it (the lean client caches such heads per path).
 */
export const DEFAULT_REQUEST_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'accept-encoding': DEFAULT_ACCEPT_ENCODING });

/** One request as the engine hands it to a pool. Method and headers are already validated. */
export interface PoolRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string> | undefined;
  body: Buffer | undefined;
  /**
   * The client's own inactivity limit while the request is in flight, ms (0: none). The engine
   * passes 0: it bounds each whole request itself (HttpTransport's sweep, then cancel()).
   */
  timeoutMs: number;
  /** The user sent `connection: close`: send it, and close the connection after this response. */
  close: boolean;
  /** Use a new connection, not an idle one (the retry after a reused connection failed). */
  freshConnection: boolean;
}

/** A request's progress, reported by the pool in this order; then exactly one of onComplete or onFailure. */
export interface ExchangeHandler {
  /** A connection is ready and the request is being written. */
  onRequestStart(): void;
  /** The request has been written. */
  onRequestSent(): void;
  /** The final response's head (never a 1xx): header names and values alternate. */
  onResponseHead(status: number, rawHeaders: readonly RawHeader[], statusText: string): void;
  onResponseData(chunk: Buffer): void;
  onComplete(): void;
  onFailure(failure: HttpFailure): void;
  /** Where the pool has the request (a connection, a queue slot): the pool's own note, for cancel(). */
  poolSlot?: unknown;
}

/** A header name or value as a client hands it over (the lean client: strings; undici: Buffers). */
export type RawHeader = string | Buffer;

/** A failed request, in the engine's words. */
export class HttpFailure extends Error {
  constructor(
    readonly kind: HttpErrorKind,
    message: string,
    /**
     * The request failed on a connection that had been idle in the pool (a reused keep-alive
     * connection) before any byte of its response arrived: the server most likely closed the
     * idle connection as the request went out. An idempotent request may be retried once on a
     * fresh connection (RFC 9112 §9.3.1).
     */
    readonly staleConnection = false,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

/** One origin's connections. */
export interface ConnectionPool {
  /** Sends `req`; `handler` hears about it (a failure too: dispatch itself never throws). */
  dispatch(req: PoolRequest, handler: ExchangeHandler): void;
  /**
   * Ends `handler`'s request now: its connection is closed (or its queue slot emptied) and
   * `failure` goes to its onFailure before cancel returns. Nothing if it has already finished.
   */
  cancel(handler: ExchangeHandler, failure: HttpFailure): void;
  /** Aborts every request in flight (EABORTED) and closes every connection. */
  destroy(): Promise<void>;
}

/** Methods a request may be retried with after a stale connection (RFC 9110 §9.2.2). */
export function isIdempotent(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'PUT':
    case 'DELETE':
    case 'TRACE':
      return true;
    default:
      return false;
  }
}

/** Maps a Node socket or DNS error code to a kind (both adapters use it for what the OS reports). */
export function kindOfSystemError(code: string | undefined): HttpErrorKind {
  switch (code) {
    case 'ECONNREFUSED':
      return HttpErrorKind.refused;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return HttpErrorKind.reset;
    case 'ETIMEDOUT':
      return HttpErrorKind.timeout;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return HttpErrorKind.dns;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
    case 'CERT_UNTRUSTED':
    case 'CERT_REVOKED':
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_REJECTED':
      return HttpErrorKind.certificate;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return HttpErrorKind.certificateHost;
    case 'EPROTO': // an SSL error as Node reports some of them (an alert, a wrong version)
      return HttpErrorKind.tls;
    default:
      if (code !== undefined && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) return HttpErrorKind.tls;
      return HttpErrorKind.unknown;
  }
}

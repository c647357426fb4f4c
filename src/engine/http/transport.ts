// The run's HTTP transport: one undici Pool per origin, shared by all VUs, and the request
// exchange that is both undici's dispatch handler and the response the scenario sees (one
// object per request, no closures besides the promise). Each finished exchange records its
// metrics through series handles cached per (method, status, name, tags), so the hot path
// builds no tag objects and no keys in the recorder.

import type { HttpResponse, RequestTimings, Tags, TlsOptions } from '../types';
import type { MetricsRecorder } from '../metrics/recorder';
import type { CounterSeries, RateSeries, TrendSeries } from '../metrics/recorder';
import * as M from '../metrics/names';
import { HttpErrorKind } from './error-kinds';
import { H1Pool, leanClientProblem } from './h1';
import { HttpFailure, isIdempotent, type ConnectionPool, type ExchangeHandler, type RawHeader } from './pool';
import { UndiciPool } from './undici-pool';
import { Sweep } from './sweep';
import { decodeBody } from './decode';
import type { HttpDebug } from './debug';
import { isExpected, type StatusPredicate } from './expected';
import { EXPECTED_RESPONSE_TAG, GROUP_TAG } from '../metrics/names';

export interface TransportOptions {
  /** Base URL for relative request URLs. */
  target?: string;
  /** Connections per origin; undefined = as many as there are concurrent requests. */
  connections?: number;
  /** Default request timeout (ms). */
  timeoutMs: number;
  cookies: boolean;
  /** Keep each VU's cookies across its iterations (else the jar is emptied as each starts). */
  cookiesPerVu?: boolean;
  /** Accept any TLS certificate. */
  insecure?: boolean;
  /** The scenario's CA and client certificate (validated: see load.ts). */
  tls?: TlsOptions;
  /** Offer HTTP/2 to https origins (default true). */
  http2?: boolean;
  scenarioTags: Tags;
  /** The scenario's http.expectedStatuses (null: 200-399): decides http_req_failed and expected_response. */
  expectedStatuses?: StatusPredicate;
  /** Milliseconds, fractional (performance.now by default). */
  now: () => number;
  /** 'undici' puts plain http:// on undici too (comparison runs, or the lean client's fallback); default 'auto'. */
  client?: HttpClientChoice;
  /** Body bytes a response keeps for text()/json(); the rest is counted and dropped. */
  maxBodyBytes: number;
  /** Keep no bodies (a request's `discardResponseBody` overrides it). */
  discardBodies: boolean;
  /** Print each request and response (--http-debug). */
  httpDebug?: HttpDebug;
}

/** Which client serves plain http:// origins: the lean one ('auto') or undici. */
export type HttpClientChoice = 'auto' | 'undici';

/** Time to connect (and handshake) one new connection, waiting for the request that caused it. */
interface FreshConnection {
  connecting: number;
  tls: number;
  /** When it was ready. */
  at: number;
}

/**
 * The lean HTTP/1.1 client (h1.ts) serves plain http:// origins without a connection cap, unless
 * client 'undici' (the runner's LOADLENS_HTTP_CLIENT=undici, or its fallback) forces undici, or
 * Node's parser failed the lean client's probe (the runner then has said so, once).
 */
function useLeanClient(https: boolean, connections: number | undefined, client: HttpClientChoice): boolean {
  return !https && connections === undefined && client !== 'undici' && leanClientProblem() === undefined;
}

export class OriginPool {
  readonly pool: ConnectionPool;
  /** Connections opened and not yet attributed to a request (approximation, see onRequestStart). */
  readonly fresh: FreshConnection[] = [];
  readonly hostname: string;
  /** 'host:port' as sent in the Host header (for the data_sent estimate). */
  readonly hostHeaderBytes: number;
  readonly https: boolean;
  /**
   * undici frees a finished keep-alive connection one event-loop turn after the response
   * (setImmediate in its parser, after onComplete); a VU that asks again sooner would make
   * the uncapped Pool open another connection (an extra TLS handshake, more connections than
   * VUs). Responses from undici are therefore handed over after that turn (timings unchanged).
   */
  readonly resolveAfterRelease: boolean;

  constructor(readonly origin: string, connections: number | undefined, now: () => number, insecure = false, client: HttpClientChoice = 'auto', tls?: TlsOptions, http2 = true) {
    const u = new URL(origin);
    this.hostname = u.hostname.replace(/^\[|\]$/g, '');
    this.https = u.protocol === 'https:';
    this.hostHeaderBytes = u.host.length + 8;
    const fresh = this.fresh;
    this.resolveAfterRelease = !useLeanClient(this.https, connections, client);
    if (!this.resolveAfterRelease) {
      this.pool = new H1Pool(origin, now, (connecting, at) => {
        if (fresh.length < 10_000) fresh.push({ connecting, tls: 0, at });
      });
    } else {
      this.pool = new UndiciPool(origin, connections, now, { ...tls, insecureSkipTLSVerify: insecure || tls?.insecureSkipTLSVerify === true }, (connecting, tlsMs, at) => {
        if (fresh.length < 10_000) fresh.push({ connecting, tls: tlsMs, at });
      }, http2 && this.https);
    }
  }
}

/** Every series one request records into, resolved once per (method, status, name, tags). */
class RequestSeries {
  readonly reqs: CounterSeries;
  readonly duration: TrendSeries;
  readonly service: TrendSeries;
  readonly blocked: TrendSeries;
  readonly connecting: TrendSeries;
  readonly tls: TrendSeries;
  readonly sending: TrendSeries;
  readonly waiting: TrendSeries;
  readonly receiving: TrendSeries;
  readonly failed: RateSeries;
  readonly sent: CounterSeries;
  readonly received: CounterSeries;

  constructor(
    r: MetricsRecorder,
    tags: Tags,
    readonly method: string,
    readonly status: number,
    /** The request's own tags object (identity), and its JSON. */
    readonly extra: Tags | undefined,
    readonly extraKey: string,
    readonly group: string,
    readonly expected: boolean,
  ) {
    this.reqs = r.series('counter', M.HTTP_REQS, tags);
    this.duration = r.series('trend', M.HTTP_REQ_DURATION, tags);
    this.service = r.series('trend', M.HTTP_REQ_SERVICE_DURATION, tags);
    this.blocked = r.series('trend', M.HTTP_REQ_BLOCKED, tags);
    this.connecting = r.series('trend', M.HTTP_REQ_CONNECTING, tags);
    this.tls = r.series('trend', M.HTTP_REQ_TLS_HANDSHAKING, tags);
    this.sending = r.series('trend', M.HTTP_REQ_SENDING, tags);
    this.waiting = r.series('trend', M.HTTP_REQ_WAITING, tags);
    this.receiving = r.series('trend', M.HTTP_REQ_RECEIVING, tags);
    this.failed = r.series('rate', M.HTTP_REQ_FAILED, tags);
    this.sent = r.series('counter', M.DATA_SENT, tags);
    this.received = r.series('counter', M.DATA_RECEIVED, tags);
  }
}

const EMPTY: RawHeader[] = [];

/** Whole microseconds from `from` to `to` (both ms). */
function usSince(from: number, to: number): number {
  return Math.round((to - from) * 1000);
}

function retryLater(e: Exchange): void {
  // Timed out meanwhile (the sweep): already finished.
  if (e.state === DONE) return;
  if (e.transport.closed) e.onFailure(new HttpFailure(HttpErrorKind.aborted, 'the run has ended'));
  else e.requester.retry(e);
}

function handOver(e: Exchange): void {
  e.requester.done(e);
}

/**
 * Lean-client exchanges finished in this turn of the event loop, handed over together once the
 * turn's reads are done. Each response's end time is taken as it is parsed; handing it over at
 * once would run the caller's code (the rest of the iteration) before the next ready socket is
 * read, so when a burst of responses arrives at once (a stall ending) every later response's
 * end time would include the iterations of all earlier ones. A generator with a thread per VU
 * does not pay that; deferring the hand-over to the check phase makes ours behave the same.
 */
let finishedThisTurn: Exchange[] = [];

function handOverFinished(): void {
  const batch = finishedThisTurn;
  finishedThisTurn = [];
  for (let i = 0; i < batch.length; i++) batch[i].requester.done(batch[i]);
}

/** Who a finished exchange goes to: the VU's request (cookies, redirects, the caller's promise). */
export interface Requester {
  done(ex: Exchange): void;
  /** The request's own choice to drop (true) or keep (false) its body; undefined: the scenario's. */
  discardBody?: boolean;
  /** Sends `ex` again on a fresh connection (its first one was stale, see Exchange.onFailure). */
  retry(ex: Exchange): void;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function rawString(h: RawHeader): string {
  return typeof h === 'string' ? h : h.toString('latin1');
}

/** Exchange.state: in flight; finished; recorded as interrupted by the run's end (the pool may still report it). */
const IN_FLIGHT = 0;
const DONE = 1;
const INTERRUPTED = 2;

/**
 * One request: the pool's ExchangeHandler (whichever client serves it) and, once finished, the
 * response. Timestamps are ms from the transport's clock; phases are derived at the end.
 * While in flight it is on its transport's list (oldest first), which bounds the whole request
 * by its timeout (one sweep per transport, no timer per request) and lets the run's end record
 * the requests it interrupts.
 */
export class Exchange implements HttpResponse, ExchangeHandler {
  status = 0;
  error?: string;
  timings: RequestTimings = ZERO_TIMINGS;
  /** Set-Cookie values (only collected when the jar is on). */
  setCookies: string[] | null = null;
  /** Set before dispatch; gets the exchange once it has finished. */
  requester!: Requester;
  /**
   * Redirects still allowed after this hop (set before dispatch); -1: redirects are not
   * followed (`redirects: 0`), so a 3xx is the answer, not an error.
   */
  redirectsLeft = -1;
  /** Sent a second time after a stale keep-alive connection (at most once). */
  retried = false;
  /** @internal IN_FLIGHT, DONE or INTERRUPTED. */
  state = IN_FLIGHT;
  /** @internal The transport's list of exchanges in flight, oldest first. */
  prevInFlight: Exchange | null = null;
  nextInFlight: Exchange | null = null;
  /** The pool's note of where this request is (ExchangeHandler.poolSlot). */
  poolSlot: unknown = undefined;

  private rawHeaders: readonly RawHeader[] = EMPTY;
  private parsedHeaders: Record<string, string> | null = null;
  private body: Buffer | Buffer[] | null = null;
  /** Body bytes received, and how many of the first of them `body` keeps (-1: not decided yet). */
  private bodyBytes = 0;
  private keepBytes = -1;
  private receivedBytes = 0;
  /** The decoded body would have exceeded maxBodyBytes (a Content-Encoding body): nothing kept. */
  private decodedTooLarge = false;
  /** @internal When the scenario sent it (the transport's clock, ms): its timeout counts from here. */
  readonly t0: number;
  // The phases as whole microseconds after t0 (-1: not reached): small integers are stored in
  // the object itself, where each double field would cost a 16-byte box per request in flight.
  private sendUs = -1;
  private sentUs = -1;
  private headersUs = -1;
  private connectingUs = 0;
  private tlsUs = 0;

  constructor(
    /** @internal */
    readonly transport: HttpTransport,
    readonly originPool: OriginPool,
    readonly method: string,
    /** Path and query as sent. */
    readonly path: string,
    private readonly name: string,
    private readonly tags: Tags | undefined,
    private readonly lagMs: number,
    private readonly sentBytes: number,
    /** The whole request's limit from t0 (ms; 0: none). */
    readonly timeoutMs: number,
    /** The group() the request was made in ('' at the top). */
    private readonly group: string,
    /** The request's expectedStatuses, else the scenario's. */
    private readonly expected: StatusPredicate,
  ) {
    this.t0 = transport.now();
    transport.track(this);
  }

  get url(): string {
    return this.originPool.origin + this.path;
  }

  // --- the pool's handler ----------------------------------------------------------------

  onRequestStart(): void {
    const t = this.transport.now();
    this.sendUs = usSince(this.t0, t);
    // A request that waited at least as long as a new connection took is taken to be the one
    // that opened it (exact for the usual one request per new connection; approximate when
    // several connect at once).
    const fresh = this.originPool.fresh;
    if (fresh.length > 0) {
      // Connections nobody claimed within a second are forgotten.
      while (fresh.length > 0 && fresh[0].at < t - 1000) fresh.shift();
      const c = fresh[0];
      if (c !== undefined && c.at >= this.t0 && t - this.t0 >= c.connecting + c.tls) {
        fresh.shift();
        this.connectingUs = Math.round(c.connecting * 1000);
        this.tlsUs = Math.round(c.tls * 1000);
      }
    }
  }

  onRequestSent(): void {
    this.sentUs = usSince(this.t0, this.transport.now());
  }

  onResponseHead(statusCode: number, rawHeaders: readonly RawHeader[], statusText: string): void {
    this.headersUs = usSince(this.t0, this.transport.now());
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    // Status line + header lines as received (approximately: HTTP/1.1 framing).
    let bytes = 17 + (statusText ? statusText.length : 0);
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      bytes += name.length + rawHeaders[i + 1].length + 4;
      if (name.length === 10 && this.transport.cookies && rawString(name).toLowerCase() === 'set-cookie') {
        (this.setCookies ??= []).push(rawString(rawHeaders[i + 1]));
      }
    }
    this.receivedBytes = bytes;
  }

  onResponseData(chunk: Buffer): void {
    this.receivedBytes += chunk.length;
    // Every byte is counted as it streams; only the first maxBodyBytes are kept (none when
    // discarding), so a huge body costs no memory and data_received stays exact.
    const from = this.bodyBytes;
    this.bodyBytes = from + chunk.length;
    let keep = this.keepBytes;
    if (keep < 0) keep = this.keepBytes = this.bodyDiscarded ? 0 : this.transport.maxBodyBytes;
    if (from >= keep) return;
    if (from + chunk.length > keep) chunk = chunk.subarray(0, keep - from);
    const b = this.body;
    if (b === null) this.body = chunk;
    else if (Array.isArray(b)) b.push(chunk);
    else this.body = [b, chunk];
  }

  onComplete(): void {
    if (this.state !== DONE) this.finish();
  }

  onFailure(f: HttpFailure): void {
    // A pool's report after the engine ended the request (its timeout) has nothing to add.
    if (this.state === DONE) return;
    const T = this.transport;
    // The server closed an idle keep-alive connection as this request went out (no response
    // byte came back): an idempotent request is sent once more on a fresh connection, as Go's
    // net/http does (RFC 9112 §9.3.1). Its latency still runs from the first send.
    if (f.staleConnection && !this.retried && !T.closed && this.state === IN_FLIGHT && isIdempotent(this.method)) {
      this.retried = true;
      this.status = 0;
      this.rawHeaders = EMPTY;
      this.body = null;
      this.receivedBytes = 0;
      this.setCookies = null;
      this.sendUs = this.sentUs = this.headersUs = -1;
      if (T.recording) T.retrySeries(this.method, this.name, this.tags).add(1);
      // undici reports from inside its socket's close handling: dispatch again after it.
      if (this.originPool.resolveAfterRelease) setImmediate(retryLater, this);
      else this.requester.retry(this);
      return;
    }
    this.status = 0;
    this.error = f.kind;
    if (f.kind === HttpErrorKind.unknown) T.unknownFailure(f);
    this.finish();
  }

  /** @internal Past its timeout (the transport's sweep): the pool drops it, and it fails with ETIMEDOUT. */
  expire(): void {
    const f = new HttpFailure(HttpErrorKind.timeout, `no complete response within the request timeout (${this.timeoutMs} ms from the send)`);
    this.originPool.pool.cancel(this, f);
    // Not in the pool just now (between a stale retry's two sends): it fails all the same.
    if (this.state === IN_FLIGHT) this.onFailure(f);
  }

  /**
   * @internal The run has ended with this request in flight: recorded now as failed
   * (EINTERRUPTED), its time so far in the trends as a lower bound. Returns that time as
   * http_req_duration has it (ms, from the due time in the open model). The transport has
   * taken it off its list; when the pool reports it later, nothing more is recorded.
   */
  interrupt(now: number): number {
    this.state = INTERRUPTED;
    this.error = HttpErrorKind.interrupted;
    return this.measure(usSince(this.t0, now), this.transport.recording) / 1000;
  }

  private finish(): void {
    const T = this.transport;
    const state = this.state;
    this.state = DONE;
    this.poolSlot = undefined;
    const now = T.now();
    // Recorded when the run ended (interrupt): its iteration was abandoned and is not resumed
    // (it would check an aborted response and record that into a finished run).
    if (state === INTERRUPTED) return;
    if (state === IN_FLIGHT) T.untrack(this, now);
    // After the end time: decoding is the client's work, not the server's latency.
    if (this.body !== null && this.error === undefined) this.decode();
    this.measure(usSince(this.t0, now), T.recording);
    // The microtask runs once undici's parser callback has returned, so this Immediate is queued
    // after the one that releases the connection (see OriginPool.resolveAfterRelease).
    if (this.originPool.resolveAfterRelease) queueMicrotask(() => setImmediate(handOver, this));
    else if (finishedThisTurn.push(this) === 1) setImmediate(handOverFinished);
  }

  /** Derives the timings with the end at `end` (µs after t0) and records them if `record`; returns http_req_duration (µs). */
  private measure(end: number, record: boolean): number {
    const T = this.transport;
    const send = this.sendUs >= 0 ? this.sendUs : end;
    const sent = this.sentUs >= 0 ? this.sentUs : send;
    const headers = this.headersUs >= 0 ? this.headersUs : end;
    const connecting = this.connectingUs;
    const tls = this.tlsUs;
    // Microseconds from here on (the metrics' unit); the response's timings are in ms.
    const blocked = Math.max(0, send - connecting - tls);
    const sending = sent - send;
    const waiting = Math.max(0, headers - sent);
    const receiving = end - headers;
    const service = sending + waiting + receiving;
    this.timings = {
      blocked: blocked / 1000, connecting: connecting / 1000, tls: tls / 1000,
      sending: sending / 1000, waiting: waiting / 1000, receiving: receiving / 1000, duration: service / 1000,
    };
    // More redirects than allowed: a failed request (the 3xx is kept as its status).
    if (this.redirectsLeft === 0 && this.error === undefined && isRedirect(this.status) && this.header('location') !== undefined) {
      this.error = HttpErrorKind.redirects;
    }
    // The latency a user would have seen: from when the iteration was due (open model),
    // including any wait for a capped connection, excluding connection setup (as k6).
    const duration = this.lagMs * 1000 + blocked + service;
    if (record) {
      const failed = this.error !== undefined || !isExpected(this.expected, this.status);
      const s = T.seriesFor(this.method, this.status, this.name, this.tags, this.group, !failed);
      s.reqs.add(1);
      s.duration.record(duration);
      s.service.record(service);
      s.blocked.record(blocked);
      s.connecting.record(connecting);
      s.tls.record(tls);
      s.sending.record(sending);
      s.waiting.record(waiting);
      s.receiving.record(receiving);
      s.failed.add(failed);
      s.sent.add(this.sentBytes);
      s.received.add(this.receivedBytes);
      if (this.error !== undefined) T.recorder.error(this.error);
    }
    return duration;
  }

  /** Undoes the body's Content-Encoding (the kept bytes; bodySize stays the wire size). A corrupt body: EDECOMPRESS. */
  private decode(): void {
    const coding = this.header('content-encoding');
    if (coding === undefined) return;
    const b = this.body!;
    const raw = Array.isArray(b) ? Buffer.concat(b as unknown as Uint8Array[]) : b;
    const d = decodeBody(raw, coding, this.transport.maxBodyBytes, this.bodyBytes > this.keepBytes);
    if (!d.ok) {
      this.error = HttpErrorKind.decode;
      this.decodeError = d.message;
      this.body = null;
    } else if (d.tooLarge) {
      this.decodedTooLarge = true;
      this.body = null;
    } else this.body = d.body;
  }

  /** Why the body did not decode (EDECOMPRESS). */
  private decodeError: string | undefined;

  // --- the response -----------------------------------------------------------------------

  get headers(): Record<string, string> {
    if (this.parsedHeaders === null) {
      const h: Record<string, string> = {};
      const raw = this.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        const k = rawString(raw[i]).toLowerCase();
        const v = rawString(raw[i + 1]);
        h[k] = h[k] === undefined ? v : `${h[k]}, ${v}`;
      }
      this.parsedHeaders = h;
    }
    return this.parsedHeaders;
  }

  /** The response's header pairs as received (names as the server wrote them). */
  headerPairs(): Array<[string, string]> {
    const raw = this.rawHeaders;
    const out: Array<[string, string]> = [];
    for (let i = 0; i < raw.length; i += 2) out.push([rawString(raw[i]), rawString(raw[i + 1])]);
    return out;
  }

  /** One header by lowercase name, without building the whole record. */
  header(lowerName: string): string | undefined {
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i].length === lowerName.length && rawString(raw[i]).toLowerCase() === lowerName) return rawString(raw[i + 1]);
    }
    return undefined;
  }

  get bodySize(): number {
    return this.bodyBytes;
  }

  get bodyTruncated(): boolean {
    return (this.keepBytes > 0 && this.bodyBytes > this.keepBytes) || this.decodedTooLarge;
  }

  get bodyDiscarded(): boolean {
    return this.requester.discardBody ?? this.transport.discardBodies;
  }

  text(): string {
    if (this.bodyDiscarded) {
      throw new Error(`the response body of ${this.method} ${this.url} was discarded (${this.bodySize} bytes): http.discardResponseBodies or discardResponseBody is set`);
    }
    if (this.decodedTooLarge) {
      throw new Error(`the decoded response body of ${this.method} ${this.url} is larger than http.maxResponseBodyBytes (${this.transport.maxBodyBytes} bytes; ${this.bodySize} bytes on the wire)`);
    }
    if (this.decodeError !== undefined) throw new Error(`${this.method} ${this.url}: ${this.decodeError}`);
    const b = this.body;
    if (b === null) return '';
    if (Array.isArray(b)) return Buffer.concat(b as unknown as Uint8Array[]).toString('utf8');
    return b.toString('utf8');
  }

  json<T = any>(): T {
    // (A decoded body over the cap: text() says so.)
    if (this.bodyTruncated && !this.decodedTooLarge) {
      throw new Error(
        `the response body of ${this.method} ${this.url} was truncated at ${this.keepBytes} bytes (http.maxResponseBodyBytes) of ${this.bodySize} received: it cannot be parsed as JSON`,
      );
    }
    return JSON.parse(this.text()) as T;
  }

  toJSON(): object {
    return { status: this.status, url: this.url, headers: this.headers, error: this.error, timings: this.timings };
  }
}

const ZERO_TIMINGS: RequestTimings = Object.freeze({ blocked: 0, connecting: 0, tls: 0, sending: 0, waiting: 0, receiving: 0, duration: 0 });

export class HttpTransport {
  readonly now: () => number;
  readonly cookies: boolean;
  readonly cookiesPerVu: boolean;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly discardBodies: boolean;
  readonly httpDebug: HttpDebug | undefined;
  /** With httpDebug: each exchange's request headers and body as sent (not kept otherwise). */
  readonly sentRequests = new WeakMap<Exchange, { headers: Record<string, string> | undefined; body: Buffer | undefined }>();
  /** The scenario's expectedStatuses (null: 200-399). */
  readonly expected: StatusPredicate;
  /** Off once the run has ended: abandoned iterations record nothing. */
  recording = true;
  /** Closed: requests fail at once with EABORTED, nothing is sent. */
  closed = false;
  readonly targetOrigin: OriginPool | undefined;
  readonly target: URL | undefined;
  private readonly pools = new Map<string, OriginPool>();
  private readonly seriesCache = new Map<string, RequestSeries[]>();
  /** Exchanges in flight, oldest (earliest t0) first. */
  private first: Exchange | null = null;
  private last: Exchange | null = null;
  /** How many requests are in flight. */
  inFlight = 0;
  /** When a request last finished (any outcome), transport clock. */
  private lastDoneAt: number;
  /** The shortest timeout of any request so far: the sweep's period follows it, and its scan stops at the first request younger than it. */
  private minTimeoutMs = Infinity;
  /** Checks the requests in flight against their timeouts: one timer, not one per request. */
  private readonly sweep = new Sweep(() => this.expireTimedOut());

  constructor(readonly recorder: MetricsRecorder, private readonly options: TransportOptions) {
    this.now = options.now;
    this.cookies = options.cookies;
    this.cookiesPerVu = options.cookiesPerVu ?? false;
    this.timeoutMs = options.timeoutMs;
    this.maxBodyBytes = options.maxBodyBytes;
    this.discardBodies = options.discardBodies;
    this.httpDebug = options.httpDebug;
    this.expected = options.expectedStatuses ?? null;
    this.lastDoneAt = options.now();
    if (options.target !== undefined) {
      this.target = new URL(options.target);
      this.targetOrigin = this.pool(this.target.origin);
    }
  }

  pool(origin: string): OriginPool {
    let p = this.pools.get(origin);
    if (p === undefined) {
      p = new OriginPool(origin, this.options.connections, this.now, this.options.insecure, this.options.client, this.options.tls, this.options.http2 ?? true);
      this.pools.set(origin, p);
    }
    return p;
  }

  /** @internal The http_req_retries series of one (method, name, request tags) combination (rare: not cached). */
  retrySeries(method: string, name: string, tags: Tags | undefined): CounterSeries {
    return this.recorder.series('counter', M.HTTP_REQ_RETRIES, { ...this.options.scenarioTags, ...tags, name, method });
  }

  private readonly unknownSeen = new Set<string>();

  /** @internal An EUNKNOWN failure: its message is logged once per distinct message. */
  unknownFailure(f: HttpFailure): void {
    if (this.unknownSeen.size >= 20 || this.unknownSeen.has(f.message)) return;
    this.unknownSeen.add(f.message);
    process.emitWarning(`a request failed for an unrecognised reason (EUNKNOWN): ${f.message}`, 'LoadlensWarning');
  }

  /** @internal The series of one (method, status, name, request tags) combination. */
  seriesFor(method: string, status: number, name: string, tags: Tags | undefined, group = '', expected = true): RequestSeries {
    // No key building on the hot path: by name, then a short scan over (method, status, tags, group, expected).
    let list = this.seriesCache.get(name);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const s = list[i];
        if (s.status === status && s.method === method && s.extra === tags && s.expected === expected && s.group === group) return s;
      }
    }
    // The same request tags in a new object each call (an object literal) share one series.
    const tagKey = tags === undefined ? '' : JSON.stringify(tags);
    if (tags !== undefined && list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const s = list[i];
        if (s.status === status && s.method === method && s.extraKey === tagKey && s.expected === expected && s.group === group) return s;
      }
    }
    // A combination new to this transport once http_reqs holds its limit of tag sets: the
    // recorder would fold each of its series anyway, so take the folded handles of its
    // (method, status, tags) directly, and remember nothing per name (a scenario that sends
    // every request to a new path keeps this cache, and the recorder, at their limit).
    if (this.recorder.isFull(M.HTTP_REQS)) return this.overflowFor(method, status, name, tags, tagKey, group, expected);
    const all = this.requestTags(method, status, name, tags, group, expected);
    const created = new RequestSeries(this.recorder, all, method, status, tags, tagKey, group, expected);
    if (list === undefined) this.seriesCache.set(name, (list = []));
    list.push(created);
    return created;
  }

  /** A request's tags: the scenario's, the request's own, then the system tags (k6's). */
  private requestTags(method: string, status: number, name: string, tags: Tags | undefined, group: string, expected: boolean): Tags {
    return { ...this.options.scenarioTags, ...tags, name, method, status: String(status), [EXPECTED_RESPONSE_TAG]: String(expected), [GROUP_TAG]: group };
  }

  /** Folded request series by (method, status, request tags); a few entries at most in practice. */
  private readonly overflowCache: RequestSeries[] = [];

  private overflowFor(method: string, status: number, name: string, tags: Tags | undefined, tagKey: string, group: string, expected: boolean): RequestSeries {
    const list = this.overflowCache;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (s.status === status && s.method === method && s.extraKey === tagKey && s.expected === expected && s.group === group) return s;
    }
    const all = this.requestTags(method, status, name, tags, group, expected);
    const created = new RequestSeries(this.recorder, all, method, status, tags, tagKey, group, expected);
    // Bounded like the recorder: past it, each new combination builds its (folded) handles again.
    if (list.length < 1000) list.push(created);
    return created;
  }

  /**
   * Warm-up before the load starts: opens up to `connections` idle connections to the target
   * (plain http, the lean client; undici's Pool cannot pre-open). Waits at most `maxWaitMs`;
   * connections still opening then stay in the pool for the requests.
   */
  async warmUp(connections: number, maxWaitMs: number): Promise<void> {
    const pool = this.targetOrigin?.pool;
    if (connections <= 0 || !(pool instanceof H1Pool)) return;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
    await Promise.race([pool.preconnect(connections), limit]);
    clearTimeout(timer);
  }

  /** @internal A new exchange: in flight from now, last on the list. */
  track(e: Exchange): void {
    const last = this.last;
    e.prevInFlight = last;
    if (last === null) this.first = e;
    else last.nextInFlight = e;
    this.last = e;
    this.inFlight++;
    const ms = e.timeoutMs;
    if (ms > 0 && ms < this.minTimeoutMs) {
      this.minTimeoutMs = ms;
      this.watch(ms);
    }
  }

  /** @internal `e` is no longer in flight (`doneAt`: it finished then; undefined: interrupted). */
  untrack(e: Exchange, doneAt?: number): void {
    const prev = e.prevInFlight;
    const next = e.nextInFlight;
    if (prev === null) this.first = next;
    else prev.nextInFlight = next;
    if (next === null) this.last = prev;
    else next.prevInFlight = prev;
    e.prevInFlight = e.nextInFlight = null;
    this.inFlight--;
    if (doneAt !== undefined) this.lastDoneAt = doneAt;
  }

  /**
   * How long no request has finished while requests were waiting (ms; 0 when none is in
   * flight): since the last one finished, or since the oldest in flight was sent if later.
   */
  noResponseMs(): number {
    const first = this.first;
    if (first === null) return 0;
    return Math.max(0, this.now() - Math.max(this.lastDoneAt, first.t0));
  }

  /**
   * Every request still in flight is recorded as interrupted (EINTERRUPTED: counted in
   * http_reqs and http_req_failed, its time so far in the trends as a lower bound). The run
   * calls it when the load has ended, before its last interval is flushed.
   */
  interruptInFlight(): { requests: number; oldestMs: number } {
    const now = this.now();
    let requests = 0;
    let oldestMs = 0;
    for (let e = this.first; e !== null; ) {
      const next = e.nextInFlight;
      this.untrack(e);
      const ms = e.interrupt(now);
      requests++;
      if (ms > oldestMs) oldestMs = ms;
      e = next;
    }
    return { requests, oldestMs };
  }

  /** The sweep runs every tenth of the shortest timeout in use (10-250 ms), not a timer per request. */
  private watch(ms: number): void {
    if (!this.closed) this.sweep.watch(ms);
  }

  /** Fails every request in flight for longer than its timeout (ETIMEDOUT). */
  private expireTimedOut(): void {
    const now = this.now();
    const min = this.minTimeoutMs;
    for (let e = this.first; e !== null; ) {
      const age = now - e.t0;
      // Every later request is younger, and none has a shorter limit.
      if (age < min) return;
      let next = e.nextInFlight;
      if (e.timeoutMs > 0 && age >= e.timeoutMs) {
        e.expire();
        // Nothing else finishes synchronously; should it, start over from the oldest.
        if (next !== null && next.state !== IN_FLIGHT) next = this.first;
      }
      e = next;
    }
  }

  /** Aborts every request still in flight and closes every connection. */
  async close(): Promise<void> {
    this.recording = false;
    this.closed = true;
    this.sweep.stop();
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.pool.destroy().catch(() => undefined)));
  }
}

// The `http` object a VU's iteration (or setup/teardown) uses. One per VU: it holds the VU's
// cookie jar and the current iteration's lag, which every request adds to its latency.
// Network failures come back as responses with status 0 and an `error` kind; only programming
// errors (a bad URL, a bad option) throw.

import type { CookieOptions, HttpClient, HttpCookieJar, HttpResponse, RequestOptions, RequestUrl, Tags } from '../types';
import { parseDuration } from '../duration';
import { CookieJar } from './cookies';
import { isUrlTemplate } from './url';
import { expectedStatusesOf, type StatusPredicate } from './expected';
import { currentGroup } from '../api';
import { Exchange, type HttpTransport, type OriginPool, type Requester } from './transport';
import { HttpFailure, type PoolRequest } from './pool';
import { HttpErrorKind } from './error-kinds';
import { DEFAULT_ACCEPT_ENCODING } from './decode';
import { DEFAULT_REQUEST_HEADERS } from './pool';
import { encodeMultipart, urlEncode } from './body';
import { formatExchange } from './debug';

const DEFAULT_REDIRECTS = 10;
const DEFAULT_HEADERS = DEFAULT_REQUEST_HEADERS as Record<string, string>;

/** An HTTP token (RFC 9110 §5.6.2): methods and header names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a header value may not contain: CR, LF, NUL and the other control characters but tab (as Node and undici). */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** checkHeaders: the user sent `connection: close`; a `content-length` to drop (the client frames the body). */
const CLOSE = 1;
const STRIP_LENGTH = 2;

/**
 * Throws a TypeError for a header name that is no token, a value with CR, LF, NUL or another
 * control character, a `connection` other than close or keep-alive, or a framing header the
 * client owns (transfer-encoding, upgrade, keep-alive, expect), as undici would (so both clients
 * refuse the same requests, before anything is sent). Returns CLOSE | STRIP_LENGTH flags.
 */
function checkHeaders(headers: Record<string, string>): number {
  let flags = 0;
  for (const k in headers) {
    if (!TOKEN.test(k)) throw new TypeError(`invalid header name ${JSON.stringify(k)}: header names are HTTP tokens`);
    const v = headers[k];
    if (typeof v !== 'string' && typeof v !== 'number') throw new TypeError(`invalid value for header ${JSON.stringify(k)}: a string is needed`);
    const value = String(v);
    if (INVALID_VALUE.test(value)) throw new TypeError(`invalid value for header ${JSON.stringify(k)}: it contains CR, LF, NUL or another control character`);
    const l = k.length;
    if (l !== 6 && l !== 7 && l !== 10 && l !== 14 && l !== 17) continue;
    const lower = k.toLowerCase();
    if (lower === 'connection') {
      const c = value.trim().toLowerCase();
      if (c === 'close') flags |= CLOSE;
      else if (c !== 'keep-alive') throw new TypeError(`invalid connection header ${JSON.stringify(value)}: only close or keep-alive`);
    } else if (lower === 'content-length') flags |= STRIP_LENGTH;
    else if (lower === 'transfer-encoding' || lower === 'upgrade' || lower === 'keep-alive' || lower === 'expect') {
      throw new TypeError(`unsupported header ${JSON.stringify(k)}: the client frames requests itself`);
    }
  }
  return flags;
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (query === undefined) return path;
  const q = urlEncode(query);
  if (!q) return path;
  return path + (path.includes('?') ? '&' : '?') + q;
}

/** Tags beyond `name`, or undefined (the cheap, common case). */
function extraTags(tags: Tags | undefined): Tags | undefined {
  if (tags === undefined) return undefined;
  for (const k in tags) if (k !== 'name') return tags;
  return undefined;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export class VuHttp implements HttpClient {
  /** How late the current iteration started (open model); added to each request's latency. */
  lagMs = 0;
  private cookieJar: CookieJar | null = null;

  constructor(private readonly transport: HttpTransport) {}

  get(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('GET', url, opts);
  }
  head(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('HEAD', url, opts);
  }
  del(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('DELETE', url, opts);
  }
  post(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('POST', url, opts);
  }
  put(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('PUT', url, opts);
  }
  patch(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('PATCH', url, opts);
  }

  /** Forgets the VU's cookies. */
  clearCookies(): void {
    this.cookieJar?.clear();
  }

  /** @internal An iteration of this VU starts: its jar starts empty unless cookies are kept per VU. */
  newIteration(): void {
    const jar = this.cookieJar;
    if (jar !== null && jar.size > 0 && !this.transport.cookiesPerVu) jar.clear();
  }

  private jarApi: HttpCookieJar | null = null;

  get jar(): HttpCookieJar {
    return (this.jarApi ??= new JarApi(this));
  }

  /** @internal The VU's jar (made on first use). */
  ownJar(): CookieJar {
    return (this.cookieJar ??= new CookieJar());
  }

  /** @internal `url` resolved against the target, for the jar API. */
  resolve(url: string): URL {
    return this.parseUrl(url, this.transport.target);
  }

  // Not an async function: a suspended one costs ~400 bytes per request in flight (see
  // executors/vu.ts); cookies and redirects are handled when each exchange is done (RequestPlan).
  request(method: string, url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse> {
    try {
      return this.start(method, url, opts);
    } catch (err) {
      // Bad input (a URL, an option) rejects, as from any async call.
      return Promise.reject(err);
    }
  }

  private start(method: string, target: RequestUrl, opts: RequestOptions | undefined): Promise<HttpResponse> {
    const T = this.transport;
    // url`/items/${id}`: sent to its URL, named by its template (unless the tags name it).
    const templated = isUrlTemplate(target);
    const url = templated ? target.url : target;
    method = method.toUpperCase();
    // Bad input is an error at the call, and nothing is sent (either client).
    if (!TOKEN.test(method)) throw new TypeError(`invalid method ${JSON.stringify(method)}: a method is an HTTP token`);
    let pool: OriginPool;
    let path: string;
    // Fast path: '/path' against the scenario's target, no URL parsing.
    if (url.charCodeAt(0) === 47 /* / */ && url.charCodeAt(1) !== 47 && T.targetOrigin !== undefined) {
      pool = T.targetOrigin;
      path = url;
      // Not parsed as a URL, so not encoded: spaces or control characters would break the request line.
      for (let i = 1; i < path.length; i++) {
        const c = path.charCodeAt(i);
        if (c <= 32 || c === 127 || c > 255) throw new TypeError(`invalid request path ${JSON.stringify(path)}: encode spaces and control characters`);
      }
    } else {
      const u = this.parseUrl(url, T.target);
      pool = T.pool(u.origin);
      path = u.pathname + u.search;
    }
    let body: Buffer | undefined;
    let headers = opts?.headers;
    if (opts !== undefined) {
      path = withQuery(path, opts.query);
      let bodies = 0;
      let contentType: string | undefined;
      if (opts.json !== undefined) {
        bodies++;
        body = Buffer.from(JSON.stringify(opts.json));
        contentType = 'application/json';
      }
      if (opts.body !== undefined) {
        bodies++;
        body = typeof opts.body === 'string' ? Buffer.from(opts.body) : Buffer.from(opts.body.buffer, opts.body.byteOffset, opts.body.byteLength);
      }
      if (opts.form !== undefined) {
        bodies++;
        body = Buffer.from(urlEncode(opts.form));
        contentType = 'application/x-www-form-urlencoded';
      }
      if (opts.multipart !== undefined) {
        bodies++;
        const m = encodeMultipart(opts.multipart);
        body = m.body;
        contentType = m.contentType;
      }
      if (bodies > 1) throw new TypeError('a request takes one body: json, body, form or multipart');
      if (contentType !== undefined && !hasHeader(headers, 'content-type')) headers = { ...headers, 'content-type': contentType };
    }
    // Compressed responses are asked for (and decoded) unless the request says otherwise.
    if (headers === undefined) headers = DEFAULT_HEADERS;
    else if (!hasHeader(headers, 'accept-encoding')) headers = { 'accept-encoding': DEFAULT_ACCEPT_ENCODING, ...headers };
    const check = headers !== DEFAULT_HEADERS ? checkHeaders(headers) : 0;
    if ((check & STRIP_LENGTH) !== 0) headers = withoutHeaders(headers!, ['content-length']);
    const timeoutMs = opts?.timeout !== undefined ? parseDuration(opts.timeout, 'timeout') : T.timeoutMs;
    const tags = opts?.tags;
    const hops = opts?.redirects ?? DEFAULT_REDIRECTS;
    const expected = opts?.expectedStatuses !== undefined ? expectedStatusesOf(opts.expectedStatuses, 'expectedStatuses') : T.expected;
    let plan!: RequestPlan;
    const done = new Promise<HttpResponse>((resolve, reject) => {
      plan = new RequestPlan(this, method, headers, body, timeoutMs, tags?.name ?? (templated ? target.name : undefined), extraTags(tags), hops, (check & CLOSE) !== 0, resolve, reject);
    });
    if (opts?.discardResponseBody !== undefined) plan.discardBody = opts.discardResponseBody;
    plan.group = currentGroup();
    plan.expected = expected;
    this.send(plan, pool, path);
    return done;
  }

  /** @internal An exchange of `plan` has finished: keep its cookies, follow a redirect or answer. */
  settle(plan: RequestPlan, ex: Exchange): void {
    const pool = ex.originPool;
    if (this.transport.httpDebug !== undefined) this.debug(ex);
    if (ex.setCookies !== null) {
      const jar = this.ownJar();
      for (const c of ex.setCookies) jar.set(c, pool.hostname, ex.path, pool.https);
    }
    if (plan.hops > 0 && isRedirect(ex.status)) {
      const location = ex.header('location');
      if (location !== undefined) {
        let next: URL;
        try {
          next = new URL(location, ex.url);
        } catch (err) {
          plan.reject(err);
          return;
        }
        if (next.protocol === 'http:' || next.protocol === 'https:') {
          this.redirect(plan, ex, next);
          return;
        }
      }
    }
    plan.resolve(ex);
  }

  /** --http-debug: the exchange's request and response, credentials redacted. */
  private debug(ex: Exchange): void {
    const d = this.transport.httpDebug!;
    const sent = this.transport.sentRequests.get(ex);
    d.write(formatExchange({
      method: ex.method, url: ex.url, requestHeaders: sent?.headers, requestBody: sent?.body,
      status: ex.status, error: ex.error, responseHeaders: ex.headerPairs(), responseSize: ex.bodySize, durationMs: ex.timings.duration,
      responseBody: () => (ex.bodyDiscarded ? undefined : ex.text()),
    }, d.mode));
  }

  private redirect(plan: RequestPlan, ex: Exchange, next: URL): void {
    plan.hops--;
    const pool = ex.originPool;
    const crossOrigin = next.origin !== pool.origin;
    const nextPool = crossOrigin ? this.transport.pool(next.origin) : pool;
    // 303, and 301/302 after a POST, continue as GET without a body (as browsers and k6 do).
    if (ex.status === 303 || ((ex.status === 301 || ex.status === 302) && plan.method === 'POST')) {
      if (plan.method !== 'HEAD') plan.method = 'GET';
      plan.body = undefined;
      if (plan.headers && hasHeader(plan.headers, 'content-type')) plan.headers = withoutHeaders(plan.headers, ['content-type', 'content-length']);
    }
    if (crossOrigin && plan.headers) plan.headers = withoutHeaders(plan.headers, ['authorization', 'cookie']);
    this.send(plan, nextPool, next.pathname + next.search);
  }

  private parseUrl(url: string, base: URL | undefined): URL {
    let u: URL;
    try {
      u = new URL(url, base);
    } catch {
      throw new TypeError(
        base ? `invalid URL ${JSON.stringify(url)}` : `invalid URL ${JSON.stringify(url)}: relative URLs need the scenario's target, e.g. target: 'http://127.0.0.1:8080'`,
      );
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`unsupported URL ${JSON.stringify(url)}: only http: and https:`);
    return u;
  }

  /** Sends one hop of `plan` to `pool` (cookies from the jar added); `plan` gets the exchange when done. */
  private send(plan: RequestPlan, pool: OriginPool, path: string): void {
    const T = this.transport;
    const method = plan.method;
    const body = plan.body;
    const headers = this.withCookies(plan.headers, pool, path);
    let name = plan.fixedName;
    if (name === undefined) {
      const q = path.indexOf('?');
      name = q < 0 ? path : path.slice(0, q);
    }
    // Request line + Host + connection header + the headers + the body (HTTP/1.1 framing).
    let sentBytes = method.length + path.length + 11 + pool.hostHeaderBytes + 24 + 2;
    if (headers !== undefined) for (const k in headers) sentBytes += k.length + String(headers[k]).length + 4;
    if (body !== undefined) sentBytes += body.length + 20;
    const ex = new Exchange(T, pool, method, path, name, plan.extra, this.lagMs, sentBytes, plan.timeoutMs, plan.group, plan.expected);
    ex.requester = plan;
    if (T.httpDebug !== undefined) T.sentRequests.set(ex, { headers, body });
    ex.redirectsLeft = plan.maxRedirects > 0 ? plan.hops : -1;
    if (T.closed) {
      ex.onFailure(new HttpFailure(HttpErrorKind.aborted, 'the run has ended'));
      return;
    }
    // timeoutMs 0: the transport bounds the whole request itself (Exchange.expire).
    pool.pool.dispatch({ method, path, headers, body, timeoutMs: 0, close: plan.close, freshConnection: false }, ex);
  }

  /** `headers` with the jar's cookies for `pool` and `path` added (the user's own cookie header first). */
  private withCookies(headers: Record<string, string> | undefined, pool: OriginPool, path: string): Record<string, string> | undefined {
    if (this.cookieJar === null || this.cookieJar.size === 0) return headers;
    const cookie = this.cookieJar.header(pool.hostname, path, pool.https);
    if (cookie === undefined) return headers;
    const own = headers && findHeader(headers, 'cookie');
    return own ? { ...withoutHeaders(headers!, ['cookie']), cookie: `${own}; ${cookie}` } : { ...headers, cookie };
  }

  /** @internal Sends `ex` of `plan` again, on a fresh connection (see Exchange.onFailure). */
  resend(plan: RequestPlan, ex: Exchange): void {
    const pool = ex.originPool;
    const headers = this.withCookies(plan.headers, pool, ex.path);
    const req: PoolRequest = { method: ex.method, path: ex.path, headers, body: plan.body, timeoutMs: 0, close: plan.close, freshConnection: true };
    pool.pool.dispatch(req, ex);
  }
}

/** A cookie name: an HTTP token; a value: no CTLs, whitespace, quotes, commas, semicolons or backslashes (RFC 6265 §4.1.1). */
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/** The host as the jar knows it (an IPv6 address without brackets, as OriginPool.hostname). */
function hostOf(u: URL): string {
  return u.hostname.replace(/^\[|\]$/g, '');
}

/** `http.jar`: the VU's cookie jar for the scenario (set/get/clear by URL). */
class JarApi implements HttpCookieJar {
  constructor(private readonly http: VuHttp) {}

  set(url: string, name: string, value: string, options: CookieOptions = {}): void {
    const u = this.http.resolve(url);
    if (typeof name !== 'string' || !TOKEN.test(name)) throw new TypeError(`jar.set: invalid cookie name ${JSON.stringify(name)}: a cookie name is an HTTP token`);
    value = String(value);
    if (!COOKIE_VALUE.test(value)) throw new TypeError(`jar.set: invalid value for cookie ${name}: no spaces, quotes, commas, semicolons, backslashes or control characters (encode it)`);
    let cookie = `${name}=${value}; Path=${options.path ?? '/'}`;
    if (options.domain !== undefined) cookie += `; Domain=${options.domain}`;
    if (options.maxAge !== undefined) cookie += `; Max-Age=${Math.floor(options.maxAge)}`;
    if (options.expires !== undefined) cookie += `; Expires=${new Date(options.expires).toUTCString()}`;
    if (options.secure) cookie += '; Secure';
    if (/[;\r\n]/.test(`${options.path ?? ''}${options.domain ?? ''}`)) throw new TypeError('jar.set: path and domain may not contain ; or line breaks');
    this.http.ownJar().set(cookie, hostOf(u), u.pathname, u.protocol === 'https:');
  }

  get(url: string): Record<string, string> {
    const u = this.http.resolve(url);
    const out: Record<string, string> = {};
    for (const c of this.http.ownJar().matching(hostOf(u), u.pathname, u.protocol === 'https:')) out[c.name] ??= c.value;
    return out;
  }

  clear(url?: string): void {
    if (url === undefined) return this.http.clearCookies();
    const u = this.http.resolve(url);
    this.http.ownJar().forget(hostOf(u), u.pathname, u.protocol === 'https:');
  }
}

/**
 * One request as the scenario made it, across its redirects: what the next hop needs and the
 * caller's promise. One small object instead of an async function's state.
 */
class RequestPlan implements Requester {
  discardBody?: boolean;
  /** The group() the request was made in. */
  group = '';
  /** Which statuses are not failures (the request's expectedStatuses, else the scenario's). */
  expected: StatusPredicate = null;
  constructor(
    readonly client: VuHttp,
    public method: string,
    public headers: Record<string, string> | undefined,
    public body: Buffer | undefined,
    readonly timeoutMs: number,
    /** The `name` tag given with the request (or its url`` template), else each hop is named by its path. */
    readonly fixedName: string | undefined,
    readonly extra: Tags | undefined,
    /** Redirects still allowed. */
    public hops: number,
    /** The user sent `connection: close`. */
    readonly close: boolean,
    readonly resolve: (r: HttpResponse) => void,
    readonly reject: (err: unknown) => void,
  ) {
    this.maxRedirects = hops;
  }

  /** The redirects the request allowed (0: the 3xx is the answer). */
  readonly maxRedirects: number;

  done(ex: Exchange): void {
    this.client.settle(this, ex);
  }

  retry(ex: Exchange): void {
    this.client.resend(this, ex);
  }
}

function findHeader(headers: Record<string, string>, lowerName: string): string | undefined {
  for (const k in headers) if (k.toLowerCase() === lowerName) return headers[k];
  return undefined;
}

function hasHeader(headers: Record<string, string> | undefined, lowerName: string): boolean {
  return headers !== undefined && findHeader(headers, lowerName) !== undefined;
}

function withoutHeaders(headers: Record<string, string>, lowerNames: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) if (!lowerNames.includes(k.toLowerCase())) out[k] = headers[k];
  return out;
}

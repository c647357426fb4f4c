// The `http` object a VU's iteration (or setup/teardown) uses. One per VU: it holds the VU's
// cookie jar and the current iteration's lag, which every request adds to its latency.
// Network failures come back as responses with status 0 and an `error` kind; only programming
// errors (a bad URL, a bad option) throw.

import type { HttpClient, HttpResponse, RequestOptions, Tags } from '../types';
import { parseDuration } from '../duration';
import { CookieJar } from './cookies';
import { Exchange, type HttpTransport, type OriginPool } from './transport';

const DEFAULT_REDIRECTS = 10;

function encodeQuery(query: Record<string, string | number | boolean>): string {
  let out = '';
  for (const k in query) {
    out += (out ? '&' : '') + encodeURIComponent(k) + '=' + encodeURIComponent(String(query[k]));
  }
  return out;
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (query === undefined) return path;
  const q = encodeQuery(query);
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
  private jar: CookieJar | null = null;

  constructor(private readonly transport: HttpTransport) {}

  get(url: string, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('GET', url, opts);
  }
  head(url: string, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('HEAD', url, opts);
  }
  del(url: string, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('DELETE', url, opts);
  }
  post(url: string, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('POST', url, opts);
  }
  put(url: string, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('PUT', url, opts);
  }
  patch(url: string, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('PATCH', url, opts);
  }

  /** Forgets the VU's cookies. */
  clearCookies(): void {
    this.jar?.clear();
  }

  async request(method: string, url: string, opts?: RequestOptions): Promise<HttpResponse> {
    const T = this.transport;
    method = method.toUpperCase();
    let pool: OriginPool;
    let path: string;
    // Fast path: '/path' against the scenario's target, no URL parsing.
    if (url.charCodeAt(0) === 47 /* / */ && url.charCodeAt(1) !== 47 && T.targetOrigin !== undefined) {
      pool = T.targetOrigin;
      path = url;
    } else {
      const u = this.parseUrl(url, T.target);
      pool = T.pool(u.origin);
      path = u.pathname + u.search;
    }
    let body: Buffer | undefined;
    let headers = opts?.headers;
    if (opts !== undefined) {
      path = withQuery(path, opts.query);
      if (opts.json !== undefined) {
        body = Buffer.from(JSON.stringify(opts.json));
        if (!hasHeader(headers, 'content-type')) headers = { ...headers, 'content-type': 'application/json' };
      } else if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? Buffer.from(opts.body) : Buffer.from(opts.body.buffer, opts.body.byteOffset, opts.body.byteLength);
      }
    }
    const timeoutMs = opts?.timeout !== undefined ? parseDuration(opts.timeout, 'timeout') : T.timeoutMs;
    const tags = opts?.tags;
    const fixedName = tags?.name;
    const extra = extraTags(tags);
    let hops = opts?.redirects ?? DEFAULT_REDIRECTS;
    for (;;) {
      const ex = await this.send(pool, method, path, headers, body, timeoutMs, fixedName, extra);
      if (ex.setCookies !== null) {
        const jar = (this.jar ??= new CookieJar());
        for (const c of ex.setCookies) jar.set(c, pool.hostname, path, pool.https);
      }
      if (hops <= 0 || !isRedirect(ex.status)) return ex;
      const location = ex.header('location');
      if (location === undefined) return ex;
      hops--;
      const next = new URL(location, ex.url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return ex;
      const crossOrigin = next.origin !== pool.origin;
      pool = crossOrigin ? T.pool(next.origin) : pool;
      path = next.pathname + next.search;
      // 303, and 301/302 after a POST, continue as GET without a body (as browsers and k6 do).
      if (ex.status === 303 || ((ex.status === 301 || ex.status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        if (headers && hasHeader(headers, 'content-type')) headers = withoutHeaders(headers, ['content-type', 'content-length']);
      }
      if (crossOrigin && headers) headers = withoutHeaders(headers, ['authorization', 'cookie']);
    }
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

  private send(
    pool: OriginPool,
    method: string,
    path: string,
    headers: Record<string, string> | undefined,
    body: Buffer | undefined,
    timeoutMs: number,
    fixedName: string | undefined,
    extra: Tags | undefined,
  ): Promise<Exchange> {
    const T = this.transport;
    if (this.jar !== null && this.jar.size > 0) {
      const cookie = this.jar.header(pool.hostname, path, pool.https);
      if (cookie !== undefined) {
        const own = headers && findHeader(headers, 'cookie');
        headers = own ? { ...withoutHeaders(headers!, ['cookie']), cookie: `${own}; ${cookie}` } : { ...headers, cookie };
      }
    }
    let name = fixedName;
    if (name === undefined) {
      const q = path.indexOf('?');
      name = q < 0 ? path : path.slice(0, q);
    }
    // Request line + Host + connection header + the headers + the body (HTTP/1.1 framing).
    let sentBytes = method.length + path.length + 11 + pool.hostHeaderBytes + 24 + 2;
    if (headers !== undefined) for (const k in headers) sentBytes += k.length + String(headers[k]).length + 4;
    if (body !== undefined) sentBytes += body.length + 20;
    const ex = new Exchange(T, pool, method, path, name, extra, this.lagMs, sentBytes);
    const done = new Promise<Exchange>((resolve) => (ex.resolve = resolve));
    if (T.closed) {
      ex.onError(Object.assign(new Error('the run has ended'), { code: 'UND_ERR_ABORTED' }));
      return done;
    }
    try {
      pool.pool.dispatch({ origin: pool.origin, path, method, headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }, ex as never);
    } catch (err) {
      ex.onError(err as Error);
    }
    return done;
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

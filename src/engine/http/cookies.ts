// A VU's cookie jar: enough of RFC 6265 for load tests (domain and path matching, host-only
// cookies, Expires / Max-Age, Secure). One jar per VU, like a browser per user; emptied at each
// iteration's start unless the scenario says `http: { cookies: 'per-vu' }` (k6's default).

interface Cookie {
  name: string;
  value: string;
  /** Lowercase host or domain, without a leading dot. */
  domain: string;
  hostOnly: boolean;
  path: string;
  /** Epoch ms; Infinity for session cookies. */
  expires: number;
  secure: boolean;
}

function defaultPath(requestPath: string): string {
  const q = requestPath.indexOf('?');
  const p = q >= 0 ? requestPath.slice(0, q) : requestPath;
  if (!p.startsWith('/')) return '/';
  const last = p.lastIndexOf('/');
  return last <= 0 ? '/' : p.slice(0, last);
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || (host.endsWith('.' + domain) && !/^[\d.]+$/.test(host));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/' || requestPath[cookiePath.length] === '?';
}

export class CookieJar {
  private cookies: Cookie[] = [];

  get size(): number {
    return this.cookies.length;
  }

  /** Stores the cookies of one Set-Cookie header value received from `host` for `path`. */
  set(setCookie: string, host: string, path: string, https: boolean, nowMs = Date.now()): void {
    const parts = setCookie.split(';');
    const eq = parts[0].indexOf('=');
    if (eq <= 0) return;
    const name = parts[0].slice(0, eq).trim();
    const value = parts[0].slice(eq + 1).trim();
    const lowerHost = host.toLowerCase();
    const cookie: Cookie = { name, value, domain: lowerHost, hostOnly: true, path: defaultPath(path), expires: Infinity, secure: false };
    let maxAge: number | undefined;
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i];
      const e = p.indexOf('=');
      const key = (e >= 0 ? p.slice(0, e) : p).trim().toLowerCase();
      const v = e >= 0 ? p.slice(e + 1).trim() : '';
      if (key === 'domain' && v) {
        const d = v.replace(/^\./, '').toLowerCase();
        // A server may not set cookies for another site.
        if (!domainMatches(lowerHost, d)) return;
        cookie.domain = d;
        cookie.hostOnly = false;
      } else if (key === 'path' && v.startsWith('/')) cookie.path = v;
      else if (key === 'max-age' && /^-?\d+$/.test(v)) maxAge = Number(v);
      else if (key === 'expires') {
        const t = Date.parse(v);
        if (!Number.isNaN(t)) cookie.expires = t;
      } else if (key === 'secure') cookie.secure = true;
    }
    if (maxAge !== undefined) cookie.expires = maxAge <= 0 ? 0 : nowMs + maxAge * 1000;
    if (cookie.secure && !https) return;
    const existing = this.cookies.findIndex((c) => c.name === name && c.domain === cookie.domain && c.path === cookie.path);
    if (existing >= 0) this.cookies.splice(existing, 1);
    if (cookie.expires > nowMs) this.cookies.push(cookie);
  }

  /** The cookies a request to `host` and `path` would send, longest path first. */
  matching(host: string, path: string, https: boolean, nowMs = Date.now()): Array<{ name: string; value: string }> {
    if (this.cookies.length === 0) return [];
    const lowerHost = host.toLowerCase();
    let expired = false;
    const matching: Cookie[] = [];
    for (const c of this.cookies) {
      if (c.expires <= nowMs) {
        expired = true;
        continue;
      }
      if (c.secure && !https) continue;
      if (c.hostOnly ? c.domain !== lowerHost : !domainMatches(lowerHost, c.domain)) continue;
      if (!pathMatches(path, c.path)) continue;
      matching.push(c);
    }
    if (expired) this.cookies = this.cookies.filter((c) => c.expires > nowMs);
    // Longer paths first, as browsers send them.
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching;
  }

  /** The Cookie header for a request, or undefined when no cookie applies. */
  header(host: string, path: string, https: boolean, nowMs = Date.now()): string | undefined {
    let out: string | undefined;
    for (const c of this.matching(host, path, https, nowMs)) out = out === undefined ? `${c.name}=${c.value}` : `${out}; ${c.name}=${c.value}`;
    return out;
  }

  /** Forgets the cookies a request to `host` and `path` would send. */
  forget(host: string, path: string, https: boolean): void {
    const gone = new Set(this.matching(host, path, https));
    this.cookies = this.cookies.filter((c) => !gone.has(c as Cookie));
  }

  clear(): void {
    this.cookies = [];
  }
}

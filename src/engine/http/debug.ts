// --http-debug: each request and response as text (k6's --http-debug), with credentials
// redacted: authorization and proxy-authorization values, and every cookie's value (in the
// request's cookie header and the response's set-cookie), so a debug log can be shared.
// `full` adds the bodies (as kept, decoded; cut at BODY_LIMIT). The engine only formats; the
// runner decides where the text goes (the scenario's console).

/** What --http-debug asks for: heads only, or heads and bodies. */
export type HttpDebugMode = 'headers' | 'full';

export interface HttpDebug {
  mode: HttpDebugMode;
  /** One request and its response, as one block of text. */
  write(text: string): void;
}

/** Body bytes shown per message in full mode; the rest is summarised. */
const BODY_LIMIT = 4096;

const REDACTED = '[redacted]';

function redactHeader(name: string, value: string): string {
  const n = name.toLowerCase();
  if (n === 'authorization' || n === 'proxy-authorization') {
    // Keep the scheme (Bearer, Basic): it says which credentials were sent.
    const sp = value.indexOf(' ');
    return sp > 0 ? `${value.slice(0, sp)} ${REDACTED}` : REDACTED;
  }
  if (n === 'cookie') return value.split(';').map((c) => `${c.split('=')[0].trim()}=${REDACTED}`).join('; ');
  if (n === 'set-cookie') {
    const semi = value.indexOf(';');
    const first = semi < 0 ? value : value.slice(0, semi);
    return `${first.split('=')[0].trim()}=${REDACTED}${semi < 0 ? '' : value.slice(semi)}`;
  }
  return value;
}

function bodyText(body: Buffer | string | undefined, size: number): string {
  if (body === undefined || size === 0) return '';
  const text = typeof body === 'string' ? body : body.subarray(0, BODY_LIMIT).toString('utf8');
  const shown = Math.min(size, BODY_LIMIT);
  return `\n${text.slice(0, BODY_LIMIT)}${size > shown ? `\n… ${size - shown} more bytes` : ''}`;
}

export interface DebugExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string> | undefined;
  requestBody: Buffer | undefined;
  status: number;
  error?: string;
  /** Raw header pairs as received. */
  responseHeaders: Array<[string, string]>;
  /** The body as the response keeps it (undefined: discarded, not kept, or failed). */
  responseBody: () => string | undefined;
  responseSize: number;
  durationMs: number;
}

/** The text block of one exchange (one hop of a redirect chain). */
export function formatExchange(d: DebugExchange, mode: HttpDebugMode): string {
  const full = mode === 'full';
  let out = `> ${d.method} ${d.url}`;
  if (d.requestHeaders !== undefined) for (const k in d.requestHeaders) out += `\n> ${k}: ${redactHeader(k, String(d.requestHeaders[k]))}`;
  if (full && d.requestBody !== undefined) out += bodyText(d.requestBody, d.requestBody.length).replace(/\n/g, '\n> ').replace(/^\n> /, '\n>\n> ');
  if (d.status === 0) return `${out}\n< ${d.error ?? 'failed'} after ${d.durationMs.toFixed(1)} ms`;
  out += `\n< ${d.status}${d.error !== undefined ? ` ${d.error}` : ''} (${d.durationMs.toFixed(1)} ms, ${d.responseSize} body bytes)`;
  for (const [k, v] of d.responseHeaders) out += `\n< ${k}: ${redactHeader(k, v)}`;
  if (full) {
    let body: string | undefined;
    try {
      body = d.responseBody();
    } catch (err) {
      body = `(${(err as Error).message})`;
    }
    if (body !== undefined && body !== '') out += bodyText(body, body.length).replace(/\n/g, '\n< ').replace(/^\n< /, '\n<\n< ');
  }
  return out;
}

// Test helper: THE one seam through which the conformance and fuzz suites drive the HTTP
// clients. It goes through the engine (HttpTransport + the VU's http object), as a scenario
// would, with the client chosen as the runner's LOADLENS_HTTP_CLIENT does: 'lean' = 'auto'
// (the lean HTTP/1.1 client for plain http), 'undici' = undici. If the engine's client or pool
// interface changes, only this file needs adjusting.
import { HttpTransport } from '../../src/engine/http/transport';
import { VuHttp } from '../../src/engine/http/client';
import { MetricsRecorder } from '../../src/engine/metrics/recorder';
import { transportOptionsOf } from '../../src/engine/run';

export type ClientName = 'lean' | 'undici';
export const CLIENTS: ClientName[] = ['lean', 'undici'];

export interface Outcome {
  status: number;
  body: string;
  /** The engine's error kind (undefined on success). */
  error?: string;
  headers: Record<string, string>;
  /** Set when the call threw or its promise rejected (bad input): the message. */
  rejected?: string;
}

export interface RequestOpts {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Request timeout in ms (default: the session's). */
  timeoutMs?: number;
}

export interface Session {
  /** One request; network failures are outcomes (status 0, error), bad input is `rejected`. */
  request(method: string, url: string, opts?: RequestOpts): Promise<Outcome>;
  /** Closes every connection of the session. */
  close(): Promise<void>;
}

/** A session: one transport (one pool per origin) shared by its requests, like a run's VUs. */
export function openSession(client: ClientName, options: { timeoutMs?: number } = {}): Session {
  const def = { http: { timeout: `${options.timeoutMs ?? 5000}ms`, cookies: false } } as never;
  const transport = new HttpTransport(new MetricsRecorder(), transportOptionsOf(def, undefined, client === 'undici' ? 'undici' : 'auto'));
  const http = new VuHttp(transport);
  return {
    async request(method, url, opts = {}) {
      try {
        const r = await http.request(method, url, {
          headers: opts.headers,
          body: typeof opts.body === 'string' || opts.body === undefined ? opts.body : new Uint8Array(opts.body.buffer, opts.body.byteOffset, opts.body.byteLength),
          timeout: opts.timeoutMs !== undefined ? `${opts.timeoutMs}ms` : undefined,
        });
        return { status: r.status, body: r.text(), error: r.error, headers: r.headers };
      } catch (err) {
        return { status: 0, body: '', headers: {}, rejected: err instanceof Error ? err.message : String(err) };
      }
    },
    close: () => transport.close(),
  };
}

/** One request on a fresh session (closed afterwards). */
export async function request(client: ClientName, method: string, url: string, opts?: RequestOpts & { sessionTimeoutMs?: number }): Promise<Outcome> {
  const s = openSession(client, { timeoutMs: opts?.sessionTimeoutMs });
  try {
    return await s.request(method, url, opts);
  } finally {
    await s.close();
  }
}

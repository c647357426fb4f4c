// NATS plumbing shared by the coordinator (coordinator-source.ts) and the agents (agent.ts):
// the URL with its credentials, the names of the KV bucket, the stream and the subjects.
//
//   KV bucket `loadlens`      current            the run id agents should join
//                             <run>.plan         ClusterPlan (options, bundle, setup() data)
//                             <run>.join.<agent> JoinRecord, one per agent that joined
//                             <run>.start        { at }: the agreed start instant
//   stream `LOADLENS`         loadlens.<run>.out.<segment>   AgentRecords of each agent (intervals,
//                                                 errors, done), deflated JSON (packRecord): a
//                                                 coordinator that reconnects loses nothing; file
//                                                 storage, so a restarted nats-server keeps them
//   core subjects             loadlens.<run>.join          join request/reply (version checked)
//                             loadlens.<run>.hb.<segment>  agent heartbeats (every 500 ms)
//                             loadlens.<run>.chb           coordinator heartbeats (every 500 ms)
//                             loadlens.<run>.ctl           ToWorker control: worker-start, cancel, and 'end'

import { readFileSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { NatsConnection } from '@nats-io/nats-core';

export const BUCKET = 'loadlens';
/** The bucket's options (the same wherever it is created): entries expire after a day. */
export const BUCKET_OPTIONS = { history: 1, ttl: 24 * 3600 * 1000 };
export const STREAM = 'LOADLENS';
export const HEARTBEAT_MS = 500;
/** An agent silent this long is lost. */
export const AGENT_LOST_MS = 3000;
/** A coordinator silent this long is gone: its agents stop. */
export const COORDINATOR_LOST_MS = 5000;

export const subjects = (run: string) => ({
  join: `loadlens.${run}.join`,
  out: (segment: number | '*') => `loadlens.${run}.out.${segment}`,
  hb: (segment: number | '*') => `loadlens.${run}.hb.${segment}`,
  chb: `loadlens.${run}.chb`,
  ctl: `loadlens.${run}.ctl`,
});

export class ClusterError extends Error {
  override name = 'ClusterError';
}

export interface NatsTarget {
  servers: string;
  token?: string;
  user?: string;
  pass?: string;
  tls: boolean;
  /** The URL without its credentials, for messages. */
  display: string;
}

export function parseNatsUrl(text: string): NatsTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ClusterError(`--nats: got "${text}"; expected a URL such as nats://TOKEN@host:4222`);
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') throw new ClusterError(`--nats: got "${url.protocol}//"; expected nats:// or tls://`);
  const port = url.port || '4222';
  const host = url.hostname;
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  return {
    servers: `${host}:${port}`,
    token: user && !pass ? user : undefined,
    user: user && pass ? user : undefined,
    pass: user && pass ? pass : undefined,
    tls: url.protocol === 'tls:',
    display: `${url.protocol}//${host}:${port}`,
  };
}

/** Connects, or throws a ClusterError that says what went wrong (authorization, unreachable). */
export async function connectNats(text: string, name: string, credsFile?: string): Promise<NatsConnection> {
  const t = parseNatsUrl(text);
  const { connect } = await import('@nats-io/transport-node');
  const { credsAuthenticator } = await import('@nats-io/nats-core');
  let authenticator;
  if (credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = new Uint8Array(readFileSync(credsFile));
    } catch (err) {
      throw new ClusterError(`--nats-creds: cannot read ${credsFile}: ${(err as Error).message}`);
    }
    authenticator = credsAuthenticator(creds);
  }
  try {
    return await connect({
      servers: t.servers,
      name,
      token: t.token,
      user: t.user,
      pass: t.pass,
      tls: t.tls ? {} : undefined,
      authenticator,
      // Unbounded: a restarted nats-server or a cut network may come back; what bounds a run is its
      // own end (the planned end plus gracefulStop plus a grace), never the client giving up.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
  } catch (err) {
    const e = err as Error;
    if (e.name === 'AuthorizationError' || /authoriz/i.test(e.message)) {
      throw new ClusterError(`authorization failed at ${t.display}: the server refused the ${credsFile !== undefined ? 'credentials file' : t.token ? 'token' : t.user ? 'user/password' : 'connection without credentials'} (${e.message})`);
    }
    throw new ClusterError(`cannot connect to NATS at ${t.display}: ${e.message}`);
  }
}

export function encode(value: unknown): string {
  return JSON.stringify(value);
}

/** Waits for `p`, at most `ms` (a connection that is cut without a reset answers nothing). */
export function within(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

/** A stream record on the wire: deflated JSON (a typical interval shrinks from ~8 KB to ~2.3 KB:
 *  the repeated tags and the base64 histograms compress well). */
export function packRecord(value: unknown): Uint8Array {
  return new Uint8Array(deflateRawSync(JSON.stringify(value)));
}

/** Bounds what a record may inflate to (a deflate bomb must not exhaust the coordinator). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** packRecord's inverse; undefined for anything that is not deflated JSON. */
export function unpackRecord(data: Uint8Array): unknown {
  try {
    return JSON.parse(inflateRawSync(data, { maxOutputLength: MAX_RECORD_BYTES }).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** JSON.parse that returns undefined instead of throwing. */
export function decode(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

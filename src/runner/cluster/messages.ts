// The cluster's messages, and their validation on receipt: nothing that arrives over NATS is
// trusted; a message that is not valid for its subject is dropped (and counted) by the caller.

import { checkMergeable } from '../../engine/metrics';
import { isNormalLoad } from '../../engine/normal-load';
import type { EncodedSeries, IntervalData } from '../../engine/types';
import type { FromWorker, ToWorker } from '../../protocol';

/** What the coordinator publishes for the agents (KV `<run>.plan`). */
export interface ClusterPlan {
  run: string;
  protocolVersion: number;
  agents: number;
  /** The worker-load message, minus its segment index (given in the join reply). */
  load: Omit<Extract<ToWorker, { type: 'worker-load' }>, 'index'>;
}

export interface JoinRequest {
  agent: string;
  protocolVersion: number;
  host: string;
  pid: number;
}

/** `now`: the coordinator's clock (epoch ms) when it replied; the agent maps the start instant
 *  onto its own monotonic clock with it (NTP-style, from the request's round trip). */
export type JoinReply = { ok: true; index: number; now: number } | { ok: false; error: string };

/** An agent's own record on the stream, besides its worker's: it was stopped (SIGTERM: a pod
 *  evicted) before its segment finished. */
export interface AgentStopped {
  type: 'agent-stopped';
  index: number;
  reason: string;
}

/** What an agent publishes to the stream (loadlens.<run>.out.<segment>). */
export type AgentRecord = FromWorker | AgentStopped;

export interface AgentHeartbeat {
  agent: string;
  index: number;
}

export type Control = ToWorker | { type: 'end' };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function isSeries(s: unknown): boolean {
  if (!isObject(s) || typeof s.metric !== 'string' || !isObject(s.tags)) return false;
  for (const v of Object.values(s.tags)) if (typeof v !== 'string') return false;
  switch (s.kind) {
    case 'trend':
      return typeof s.hist === 'string';
    case 'counter':
      return isNum(s.value);
    case 'rate':
      return isNum(s.passes) && isNum(s.fails);
    case 'gauge':
      return isNum(s.value) && isNum(s.min) && isNum(s.max);
    default:
      return false;
  }
}

function isInterval(x: unknown): x is IntervalData {
  if (!isObject(x)) return false;
  if (!isInt(x.index) || !isNum(x.startMs) || !isNum(x.endMs) || !Array.isArray(x.series) || !isObject(x.errors)) return false;
  for (const k of ['vus', 'vusMax', 'iterationsDue', 'iterationsStarted', 'iterationsDropped', 'backlog']) if (!isNum(x[k])) return false;
  for (const v of Object.values(x.errors)) if (!isNum(v)) return false;
  for (const s of x.series) if (!isSeries(s)) return false;
  // The deepest check: every histogram decodes and adds as the merge will; a throw drops the message.
  try {
    for (const s of x.series as EncodedSeries[]) if (s.kind === 'trend') checkMergeable(s.hist);
  } catch {
    return false;
  }
  return true;
}

/** A FromWorker record from segment `index` (stream subject loadlens.<run>.out.<index>). */
export function validFromWorker(x: unknown, index: number): x is FromWorker {
  if (!isObject(x) || x.index !== index || typeof x.type !== 'string') return false;
  switch (x.type) {
    case 'worker-ready':
      return true;
    case 'worker-interval':
      return typeof x.scenario === 'string' && isInterval(x.interval) && (x.startLagMs === undefined || isNum(x.startLagMs));
    case 'worker-error': {
      const e = x.error;
      return isObject(e) && e.type === 'error' && typeof e.kind === 'string' && typeof e.message === 'string'
        && (e.stack === undefined || typeof e.stack === 'string') && (e.count === undefined || isInt(e.count));
    }
    case 'worker-unawaited-sleep':
      return typeof x.scenario === 'string' && typeof x.stack === 'string';
    case 'worker-warning':
      return typeof x.scenario === 'string' && typeof x.message === 'string' && (x.stack === undefined || typeof x.stack === 'string');
    case 'worker-done':
      return typeof x.scenario === 'string' && (x.durationMs === undefined || isNum(x.durationMs))
        && (x.interrupted === undefined || isInt(x.interrupted)) && (x.blocked === undefined || typeof x.blocked === 'boolean');
    default:
      return false;
  }
}

/** A record on an agent's stream subject: its worker's, or its own. */
export function validAgentRecord(x: unknown, index: number): x is AgentRecord {
  if (isObject(x) && x.type === 'agent-stopped') return x.index === index && typeof x.reason === 'string';
  return validFromWorker(x, index);
}

export function validJoinRequest(x: unknown): x is JoinRequest {
  return isObject(x) && typeof x.agent === 'string' && x.agent.length > 0 && x.agent.length < 200
    && isInt(x.protocolVersion) && typeof x.host === 'string' && isInt(x.pid);
}

export function validHeartbeat(x: unknown, index: number): x is AgentHeartbeat {
  return isObject(x) && typeof x.agent === 'string' && x.index === index;
}

export function validPlan(x: unknown): x is ClusterPlan {
  if (!isObject(x) || typeof x.run !== 'string' || !isInt(x.protocolVersion) || !isInt(x.agents)) return false;
  const l = x.load;
  return isObject(l) && l.type === 'worker-load' && isInt(l.workers) && typeof l.code === 'string' && typeof l.file === 'string'
    && typeof l.scenario === 'string' && isObject(l.env) && isNormalLoad(l.load);
}

export function validJoinReply(x: unknown): x is JoinReply {
  return isObject(x) && ((x.ok === true && isInt(x.index) && isNum(x.now)) || (x.ok === false && typeof x.error === 'string'));
}

export function validControl(x: unknown): x is Control {
  if (!isObject(x)) return false;
  if (x.type === 'worker-start') return (x.at === undefined || isNum(x.at)) && (x.lateMs === undefined || isNum(x.lateMs));
  if (x.type === 'cancel') return x.reason === undefined || typeof x.reason === 'string';
  return x.type === 'end';
}

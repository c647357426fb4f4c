// `loadlens agent --nats URL [--serve]`: waits for a run (KV `current` → `<run>.plan`), joins it
// (the protocol version is checked by the coordinator), runs its execution segment in a local
// worker process (dist/worker.js: the same supervised worker thread as `--workers N`, the same
// worker-load/worker-start/worker-interval messages, here carried over NATS), publishes every
// record the worker sends to the JetStream stream, heartbeats, and exits when the run ends:
// 0 when its segment finished, 1 when the coordinator is gone or the agent failed, 2 when it was
// refused (protocol version, credentials). With --serve it waits for the next run instead.

import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { PROTOCOL_VERSION, type FromWorker, type ToWorker } from '../../protocol';
import { defaultWorkerPath } from '../workers';
import { validControl, validJoinReply, validPlan, type AgentRecord, type ClusterPlan, type JoinRequest } from './messages';
import { BUCKET, BUCKET_OPTIONS, COORDINATOR_LOST_MS, ClusterError, HEARTBEAT_MS, connectNats, decode, encode, packRecord, subjects, within } from './nats';

export interface AgentOptions {
  nats: string;
  serve: boolean;
  credsFile?: string;
  log(message: string): void;
}

export const AgentExit = { done: 0, failed: 1, refused: 2 } as const;

class Refused extends Error {}

/** How long an agent runs on while NATS is unreachable (a restarting server): past this its
 *  records could not be delivered anyway (publishRecord gives up after about 10 s), so it stops. */
const NATS_DOWN_MS = 10_000;

/** After SIGTERM (a pod evicted: SIGKILL follows, 30 s later by default), how long the segment may
 *  take to stop gracefully before its worker is killed. */
const SIGTERM_STOP_MS = 5000;

/**
 * This agent's wall clock, the one place it reads it. LOADLENS_TEST_CLOCK_OFFSET_MS (tests only)
 * shifts it, as a machine whose clock is off would be: nothing may depend on it agreeing with the
 * coordinator's (the start instant is mapped through the offset measured at the join).
 */
const testClockOffsetMs = Number(process.env.LOADLENS_TEST_CLOCK_OFFSET_MS) || 0;
const wallNow = (): number => Date.now() + testClockOffsetMs;

/** What the agent's process-level handlers share with the run in progress. */
interface AgentState {
  /** SIGTERM/SIGINT received. */
  stopping: boolean;
  /** Tells the run in progress to stop (set by runOnce while it runs). */
  stop?: () => void;
  /** Since when the connection to NATS is down (reconnecting), on wallNow(); undefined: up. While
   *  it is down the coordinator's silence is not the coordinator's. */
  disconnectedAt?: number;
  /** Called on every reconnect. */
  reconnected?: () => void;
}

/** The protocol version this agent announces (LOADLENS_FAKE_PROTOCOL_VERSION: for tests). */
function ownVersion(): number {
  const fake = Number(process.env.LOADLENS_FAKE_PROTOCOL_VERSION);
  return Number.isInteger(fake) && fake > 0 ? fake : PROTOCOL_VERSION;
}

export async function runAgent(o: AgentOptions): Promise<number> {
  let nc: NatsConnection;
  try {
    nc = await connectNats(o.nats, `loadlens-agent ${hostname()} ${process.pid}`, o.credsFile);
  } catch (err) {
    if (err instanceof ClusterError) {
      o.log(err.message);
      return /authorization/.test(err.message) ? AgentExit.refused : AgentExit.failed;
    }
    throw err;
  }
  const id = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  const { Kvm } = await import('@nats-io/kv');
  const { jetstream } = await import('@nats-io/jetstream');
  const kv = await new Kvm(nc).create(BUCKET, BUCKET_OPTIONS);
  const js = jetstream(nc);
  const seen = new Set<string>();
  const state: AgentState = { stopping: false };
  const onSignal = () => {
    state.stopping = true;
    state.stop?.();
  };
  void (async () => {
    for await (const st of nc.status()) {
      if (st.type === 'disconnect') {
        state.disconnectedAt ??= wallNow();
        o.log(`agent ${id}: disconnected from NATS; reconnecting (the segment runs on; its records wait)`);
      } else if (st.type === 'reconnect') {
        state.disconnectedAt = undefined;
        state.reconnected?.();
        o.log(`agent ${id}: reconnected to NATS`);
      }
    }
  })().catch(() => {});
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  o.log(`agent ${id}: connected; waiting for a run`);
  try {
    for (;;) {
      // Wait for a run to join.
      let plan: ClusterPlan | undefined;
      while (!plan) {
        if (state.stopping || nc.isClosed()) return AgentExit.failed;
        const cur = await kv.get('current').catch(() => null);
        const run = cur && cur.operation === 'PUT' ? cur.string() : '';
        if (run && !seen.has(run)) {
          const p = await kv.get(`${run}.plan`).catch(() => null);
          const value = p && p.operation === 'PUT' ? decode(p.string()) : undefined;
          if (validPlan(value) && value.run === run) plan = value;
          else seen.add(run);
        }
        if (!plan) await new Promise((r) => setTimeout(r, 250));
      }
      seen.add(plan.run);
      let code: number | undefined;
      try {
        code = await runOnce(nc, js, plan, id, o, state);
      } catch (err) {
        if (err instanceof Refused) {
          o.log(err.message);
          return AgentExit.refused;
        }
        throw err;
      }
      // Not joined (a stale run whose coordinator is gone, or a full one): wait for the next.
      if (code === undefined) continue;
      if (!o.serve || code !== AgentExit.done || state.stopping) return code;
      o.log(`agent ${id}: run ${plan.run} ended; waiting for the next run`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await within(nc.drain(), 2000);
    if (!nc.isClosed()) await nc.close().catch(() => {});
  }
}

/**
 * Publishes one record to the stream, retrying through a short disconnect (a reconnecting client,
 * a stream leader election) for up to about 10 s: a record that never reached the stream is lost.
 */
async function publishRecord(js: import('@nats-io/jetstream').JetStreamClient, subject: string, data: Uint8Array, msgID: string, failed: (err: Error) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // The message id makes a retry of a record the stream did store a duplicate it drops.
      await js.publish(subject, data, { timeout: 2000, msgID });
      return;
    } catch (err) {
      if (attempt >= 5) return failed(err as Error);
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

async function runOnce(
  nc: NatsConnection,
  js: import('@nats-io/jetstream').JetStreamClient,
  plan: ClusterPlan,
  id: string,
  o: AgentOptions,
  state: AgentState,
): Promise<number | undefined> {
  const s = subjects(plan.run);
  const req: JoinRequest = { agent: id, protocolVersion: ownVersion(), host: hostname(), pid: process.pid };
  let reply;
  // NTP-style: the coordinator's clock at the middle of the round trip is reply.now.
  const sentAt = wallNow();
  let roundTripMs = 0;
  try {
    reply = decode((await nc.request(s.join, encode(req), { timeout: 5000 })).string());
    roundTripMs = wallNow() - sentAt;
  } catch (err) {
    o.log(`agent ${id}: run ${plan.run}: no answer to the join request (${(err as Error).message}); waiting for another run`);
    return undefined;
  }
  if (!validJoinReply(reply)) {
    o.log(`agent ${id}: run ${plan.run}: invalid join reply; waiting for another run`);
    return undefined;
  }
  if (!reply.ok) {
    if (/protocol version/.test(reply.error)) throw new Refused(`agent ${id}: refused: ${reply.error}`);
    o.log(`agent ${id}: run ${plan.run}: refused: ${reply.error}; waiting for another run`);
    return undefined;
  }
  const index = reply.index;
  /** The coordinator's clock minus this agent's, ms (within ± half the round trip). */
  const offsetMs = reply.now - (sentAt + roundTripMs / 2);
  o.log(`agent ${id}: joined run ${plan.run} as segment ${index + 1}/${plan.agents} (clock offset to the coordinator ${offsetMs >= 0 ? '+' : ''}${Math.round(offsetMs)} ms ± ${Math.ceil(roundTripMs / 2)} ms)`);

  // The segment runs in a local worker process (its own supervised worker thread).
  const child: ChildProcess = fork(defaultWorkerPath(), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  const toWorker = (m: ToWorker) => { if (child.connected) child.send(m); };
  let publishing: Promise<unknown> = Promise.resolve();
  let sequence = 0;
  let done = false;
  let lastCoordinatorBeat = wallNow();
  let publishFailed = false;
  let ended: 'coordinator-gone' | 'end' | 'stopped' | undefined;
  const publish = (m: AgentRecord) => {
    // In order: each record is published after the previous one's ack.
    const msgID = `${plan.run}.${index}.${++sequence}`;
    publishing = publishing.then(() => publishRecord(js, s.out(index), packRecord(m), msgID, (err) => {
      publishFailed = true;
      o.log(`agent ${id}: publish failed: ${err.message}`);
    }));
  };
  child.on('message', (m: FromWorker) => {
    if (m.type === 'worker-done') done = true;
    publish(m);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  let startTimer: NodeJS.Timeout | undefined;
  let startReceived = false;
  let killTimer: NodeJS.Timeout | undefined;
  // SIGTERM (a pod evicted): the segment stops gracefully (a cancel: no new iterations, the ones in
  // flight finish), its records and an agent-stopped record reach the stream, the agent exits 1.
  state.stop = () => {
    if (ended !== undefined || done) return;
    ended = 'stopped';
    o.log(`agent ${id}: stopping (signal): segment ${index + 1}/${plan.agents} of run ${plan.run} stops now; its remaining load is not run`);
    publish({ type: 'agent-stopped', index, reason: 'the agent was stopped (SIGTERM/SIGINT, e.g. its pod was evicted)' });
    clearTimeout(startTimer);
    if (!startReceived) return void child.kill('SIGKILL');
    toWorker({ type: 'cancel', reason: 'the agent was stopped' });
    killTimer = setTimeout(() => child.kill('SIGKILL'), SIGTERM_STOP_MS);
  };
  state.reconnected = () => { lastCoordinatorBeat = wallNow(); };
  const ctl = nc.subscribe(s.ctl, {
    callback: (_err: Error | null, msg: Msg) => {
      const m = decode(msg.string());
      if (!validControl(m)) return;
      lastCoordinatorBeat = wallNow();
      if (m.type === 'end' || (m.type === 'cancel' && !startReceived)) {
        // The run ended (or never started): a worker still loaded or running stops.
        ended ??= 'end';
        clearTimeout(startTimer);
        if (!done) {
          if (startReceived) toWorker({ type: 'cancel', reason: 'the run ended' });
          else child.kill('SIGKILL');
        }
      } else if (m.type === 'worker-start') {
        if (startReceived || ended !== undefined) return;
        startReceived = true;
        // The agreed instant, mapped from the coordinator's clock through the offset measured at
        // the join onto this process's monotonic clock; the worker measures from there.
        const due = performance.now() + (m.at ?? 0) - (wallNow() + offsetMs);
        startTimer = setTimeout(() => toWorker({ type: 'worker-start', lateMs: performance.now() - due }), Math.max(0, due - performance.now()));
      } else if (m.type === 'cancel') {
        clearTimeout(startTimer);
        toWorker(m);
      }
    },
  });
  const chb = nc.subscribe(s.chb, { callback: () => { lastCoordinatorBeat = wallNow(); } });
  const beat = setInterval(() => {
    nc.publish(s.hb(index), encode({ agent: id, index }));
    // While this agent is itself cut from NATS, the coordinator's silence is not the coordinator's.
    if (state.disconnectedAt !== undefined) lastCoordinatorBeat = wallNow();
    if (!done && ended === undefined && state.disconnectedAt !== undefined && wallNow() - state.disconnectedAt > NATS_DOWN_MS) {
      ended = 'coordinator-gone';
      o.log(`agent ${id}: NATS unreachable for ${NATS_DOWN_MS / 1000} s during run ${plan.run}: stopping`);
      child.kill('SIGKILL');
    }
    if (!done && wallNow() - lastCoordinatorBeat > COORDINATOR_LOST_MS && ended === undefined) {
      ended = 'coordinator-gone';
      o.log(`agent ${id}: the coordinator of run ${plan.run} is gone (no heartbeat for ${COORDINATOR_LOST_MS / 1000} s): stopping`);
      child.kill('SIGKILL');
    }
  }, HEARTBEAT_MS);
  toWorker({ ...plan.load, index });
  // A signal that came while joining.
  if (state.stopping) state.stop();
  const code = await exited;
  state.stop = undefined;
  state.reconnected = undefined;
  clearInterval(beat);
  clearTimeout(startTimer);
  clearTimeout(killTimer);
  // Bounded: over a cut network neither the last publishes nor a flush would ever be answered.
  await within(publishing, ended === 'coordinator-gone' ? 2000 : 15_000);
  await within(nc.flush(), 2000);
  ctl.unsubscribe();
  chb.unsubscribe();
  if (ended === 'coordinator-gone') return AgentExit.failed;
  if (ended === 'stopped') {
    o.log(`agent ${id}: segment ${index + 1}/${plan.agents} stopped before its end; what it measured was sent`);
    return AgentExit.failed;
  }
  if (!done) {
    o.log(`agent ${id}: its worker process ended (code ${code}) before finishing its segment`);
    return AgentExit.failed;
  }
  if (publishFailed) {
    o.log(`agent ${id}: segment ${index + 1}/${plan.agents} finished, but some of its records never reached NATS`);
    return AgentExit.failed;
  }
  o.log(`agent ${id}: segment ${index + 1}/${plan.agents} finished`);
  return AgentExit.done;
}

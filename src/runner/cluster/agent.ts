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
import { validControl, validJoinReply, validPlan, type ClusterPlan, type JoinRequest } from './messages';
import { BUCKET, BUCKET_OPTIONS, COORDINATOR_LOST_MS, ClusterError, HEARTBEAT_MS, connectNats, decode, encode, subjects, within } from './nats';

export interface AgentOptions {
  nats: string;
  serve: boolean;
  credsFile?: string;
  log(message: string): void;
}

export const AgentExit = { done: 0, failed: 1, refused: 2 } as const;

class Refused extends Error {}

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
  let stopping = false;
  const onSignal = () => { stopping = true; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  o.log(`agent ${id}: connected; waiting for a run`);
  try {
    for (;;) {
      // Wait for a run to join.
      let plan: ClusterPlan | undefined;
      while (!plan) {
        if (stopping || nc.isClosed()) return AgentExit.failed;
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
        code = await runOnce(nc, js, plan, id, o, () => stopping);
      } catch (err) {
        if (err instanceof Refused) {
          o.log(err.message);
          return AgentExit.refused;
        }
        throw err;
      }
      // Not joined (a stale run whose coordinator is gone, or a full one): wait for the next.
      if (code === undefined) continue;
      if (!o.serve || code !== AgentExit.done || stopping) return code;
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
async function publishRecord(js: import('@nats-io/jetstream').JetStreamClient, subject: string, data: string, msgID: string, failed: (err: Error) => void): Promise<void> {
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
  stopping: () => boolean,
): Promise<number | undefined> {
  const s = subjects(plan.run);
  const req: JoinRequest = { agent: id, protocolVersion: ownVersion(), host: hostname(), pid: process.pid };
  let reply;
  try {
    reply = decode((await nc.request(s.join, encode(req), { timeout: 5000 })).string());
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
  o.log(`agent ${id}: joined run ${plan.run} as segment ${index + 1}/${plan.agents}`);

  // The segment runs in a local worker process (its own supervised worker thread).
  const child: ChildProcess = fork(defaultWorkerPath(), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  const toWorker = (m: ToWorker) => { if (child.connected) child.send(m); };
  let publishing: Promise<unknown> = Promise.resolve();
  let sequence = 0;
  let done = false;
  let lastCoordinatorBeat = Date.now();
  let ended: 'coordinator-gone' | 'end' | undefined;
  child.on('message', (m: FromWorker) => {
    if (m.type === 'worker-done') done = true;
    // In order: each record is published after the previous one's ack.
    const msgID = `${plan.run}.${index}.${++sequence}`;
    publishing = publishing.then(() => publishRecord(js, s.out(index), encode(m), msgID, (err) => o.log(`agent ${id}: publish failed: ${err.message}`)));
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  let startTimer: NodeJS.Timeout | undefined;
  let startReceived = false;
  const ctl = nc.subscribe(s.ctl, {
    callback: (_err: Error | null, msg: Msg) => {
      const m = decode(msg.string());
      if (!validControl(m)) return;
      lastCoordinatorBeat = Date.now();
      if (m.type === 'end' || (m.type === 'cancel' && !startReceived)) {
        // The run ended (or never started): a worker still loaded or running stops.
        ended ??= 'end';
        clearTimeout(startTimer);
        if (!done) {
          if (startReceived) toWorker({ type: 'cancel', reason: 'the run ended' });
          else child.kill('SIGKILL');
        }
      } else if (m.type === 'worker-start') {
        startReceived = true;
        // The agreed instant on this machine's clock; the worker measures from there on its
        // monotonic clock.
        startTimer = setTimeout(() => toWorker({ type: 'worker-start' }), Math.max(0, (m.at ?? 0) - Date.now()));
      } else if (m.type === 'cancel') {
        clearTimeout(startTimer);
        toWorker(m);
      }
    },
  });
  const chb = nc.subscribe(s.chb, { callback: () => { lastCoordinatorBeat = Date.now(); } });
  const beat = setInterval(() => {
    nc.publish(s.hb(index), encode({ agent: id, index }));
    if (!done && Date.now() - lastCoordinatorBeat > COORDINATOR_LOST_MS && ended === undefined) {
      ended = 'coordinator-gone';
      o.log(`agent ${id}: the coordinator of run ${plan.run} is gone (no heartbeat for ${COORDINATOR_LOST_MS / 1000} s): stopping`);
      child.kill('SIGKILL');
    }
    if (stopping() && ended === undefined) {
      ended = 'end';
      child.kill('SIGKILL');
    }
  }, HEARTBEAT_MS);
  toWorker({ ...plan.load, index });
  const code = await exited;
  clearInterval(beat);
  clearTimeout(startTimer);
  // Bounded: over a cut network neither the last publishes nor a flush would ever be answered.
  await within(publishing, ended === 'coordinator-gone' ? 2000 : 15_000);
  await within(nc.flush(), 2000);
  ctl.unsubscribe();
  chb.unsubscribe();
  if (ended === 'coordinator-gone') return AgentExit.failed;
  if (!done) {
    o.log(`agent ${id}: its worker process ended (code ${code}) before finishing its segment`);
    return AgentExit.failed;
  }
  o.log(`agent ${id}: segment ${index + 1}/${plan.agents} finished`);
  return AgentExit.done;
}

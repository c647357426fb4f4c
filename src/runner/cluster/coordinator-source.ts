// The coordinator's side of a distributed run (`loadlens run FILE --nats URL --agents N`): one
// more kind of LoadSource. It bundles the scenario once, runs setup() here, publishes the plan
// (KV), answers the agents' joins (checking the protocol version), assigns each one its execution
// segment, starts them all at one agreed instant, merges their one-second intervals (read from
// the JetStream stream) and hands the merged stream to the runner, which evaluates thresholds
// globally, writes --out and prints one summary, as for local worker processes. Agents that stop
// sending heartbeats are lost: what they reported is kept, the run ends incomplete.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { ScenarioSetupError } from '../../engine/errors';
import { maxVUsOf, validateScenario } from '../../engine/load';
import { OptionsError } from '../../engine/errors';
import { planFromLoad, runHook } from '../../engine/run';
import { equalSegment } from '../../engine/segments';
import type { AgentCounts, IntervalData } from '../../engine/types';
import { PROTOCOL_VERSION, type ClusterOptions, type FromWorker } from '../../protocol';
import { bundleScenarioFile } from '../bundle';
import { httpClientFromEnv } from '../env';
import type { LoadSource, SourceEvents, SourceResult, SourceRunOptions } from '../source';
import { IntervalMerger } from '../workers';
import { validAgentRecord, validHeartbeat, validJoinRequest, type ClusterPlan, type Control, type JoinReply } from './messages';
import { AGENT_LOST_MS, BUCKET, BUCKET_OPTIONS, ClusterError, HEARTBEAT_MS, STREAM, connectNats, decode, encode, subjects, unpackRecord, within } from './nats';
import { SegmentReports, endSegments, setupOnce, type SegmentState } from '../segment-reports';

/** How long before the start instant the agents are told (broker fan-out plus clock skew). */
const START_LEAD_MS = 1500;
/** Past the planned end plus gracefulStop, how long the run waits for its agents before ending. */
const END_GRACE_MS = 10_000;

interface Agent extends SegmentState {
  id: string;
  host: string;
  index: number;
  lost: boolean;
  /** Why the agent stopped its segment early (SIGTERM), as it said. */
  stopped?: string;
  lastBeat: number;
  /** How late its load started after the agreed instant, ms (its first interval says). */
  startLagMs?: number;
}

export class ClusterSource implements LoadSource {
  private nc: NatsConnection | undefined;
  private run_ = '';
  private cancelReason: string | undefined;
  private cancelledAt: number | undefined;
  private started = false;
  private wake: (() => void) | undefined;
  /** Messages not valid for their subject, dropped. */
  invalid = 0;

  constructor(private readonly options: ClusterOptions) {}

  async run(o: SourceRunOptions, events: SourceEvents): Promise<SourceResult> {
    const definition = o.definition;
    validateScenario(definition);
    const load = o.load;
    const plan = planFromLoad(o.name, load);
    const n = this.options.agents;
    if (maxVUsOf(load) < n) throw new OptionsError('--agents', n, `at most the scenario's ${maxVUsOf(load)} VU(s): each agent's segment must own at least one`);
    const code = await bundleScenarioFile(o.file);

    const run = process.env.LOADLENS_RUN_ID || `r${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    this.run_ = run;
    const s = subjects(run);
    const nc = await connectNats(this.options.nats, `loadlens-coordinator ${hostname()} ${process.pid}`, this.options.credsFile);
    this.nc = nc;
    const { jetstreamManager, jetstream, DeliverPolicy } = await import('@nats-io/jetstream');
    const { Kvm } = await import('@nats-io/kv');
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(STREAM);
    } catch {
      // File storage: a nats-server restarted mid-run still has every record it acknowledged.
      await jsm.streams.add({ name: STREAM, subjects: ['loadlens.*.out.*'], storage: 'file' as never, max_age: 3600 * 1e9 });
    }
    const kv = await new Kvm(nc).create(BUCKET, BUCKET_OPTIONS);

    const agents: Agent[] = [];
    const subs: Subscription[] = [];
    const dropped = (what: string) => {
      this.invalid++;
      if (this.invalid === 1 || this.invalid % 100 === 0) events.log('warn', `dropped an invalid message on ${what} (${this.invalid} so far)`);
    };
    let lastCounts = '';
    const changed = () => {
      const lost = agents.filter((a) => a.lost);
      const counts: AgentCounts = {
        planned: n, joined: agents.length, running: this.started ? agents.filter((a) => !a.done && !a.lost).length : 0, lost: lost.length,
        ...(lost.length > 0 && { lostSegments: lost.map((a) => equalSegment(a.index, n).toString()) }),
      };
      const key = JSON.stringify(counts);
      if (key !== lastCounts) {
        lastCounts = key;
        events.agents?.(counts);
      }
      this.wake?.();
    };
    /** Waits until cond() or untilMs (or a cancel, when `cancellable`). */
    const waitFor = async (cond: () => boolean, until: number | (() => number), cancellable = true): Promise<boolean> => {
      while (!cond()) {
        const left = (typeof until === 'number' ? until : until()) - Date.now();
        if (left <= 0 || (cancellable && this.cancelReason !== undefined)) return cond();
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(left, 250));
          this.wake = () => { clearTimeout(t); r(); };
        });
      }
      return true;
    };
    const control = (m: Control) => nc.publish(s.ctl, encode(m));
    // While this coordinator is cut from NATS, its agents' silence is its own: nobody is lost
    // for it; once reconnected, the stream (an ordered consumer) delivers what it missed.
    let disconnected = false;
    const stream = { restart: () => {}, close: () => {} };
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'disconnect') {
          disconnected = true;
          events.log('warn', `disconnected from ${this.natsDisplay()}; reconnecting`);
        } else if (st.type === 'reconnect') {
          disconnected = false;
          for (const a of agents) a.lastBeat = Date.now();
          stream.restart();
          events.log('info', `reconnected to ${this.natsDisplay()}`);
        }
      }
    })().catch(() => {});
    const coordinatorBeat = setInterval(() => nc.publish(s.chb, encode({ run })), HEARTBEAT_MS);
    let setupData: unknown;
    let incomplete = false;
    const merger = new IntervalMerger({ workers: n, emit: (interval) => events.interval(interval) });
    const reports = new SegmentReports(n, merger, events, () => this.started);
    const cleanup = async () => {
      clearInterval(coordinatorBeat);
      stream.close();
      for (const sub of subs) sub.unsubscribe();
      try {
        control({ type: 'end' });
        // Bounded: a cut connection answers nothing.
        await within((async () => {
          const cur = await kv.get('current');
          if (cur?.string() === run) await kv.delete('current');
          // The bundle is not needed once the run is over (the joins and the start stay, for the record).
          await kv.purge(`${run}.plan`);
        })(), 3000);
        await within(nc.drain(), 3000);
        if (!nc.isClosed()) await nc.close();
      } catch {
        /* the connection is gone already */
      }
    };

    try {
      // setup() runs once, here.
      const setup = await setupOnce(definition, o.env, o.name);
      setupData = setup.setupData;
      for (const e of setup.extras) merger.addExtra(e);
      const planRecord: ClusterPlan = {
        run,
        protocolVersion: PROTOCOL_VERSION,
        agents: n,
        load: {
          type: 'worker-load', workers: n, file: o.file, code, scenario: o.name, target: definition.target,
          load, env: o.env, setupData, stopByMs: plan.plannedMs + load.gracefulStopMs,
        },
      };

      // Joins: request/reply on core NATS, the protocol version checked; recorded in KV.
      subs.push(nc.subscribe(s.join, {
        callback: (_err: Error | null, msg: Msg) => {
          const req = decode(msg.string());
          if (!validJoinRequest(req)) return dropped(s.join);
          let reply: JoinReply;
          const again = agents.find((a) => a.id === req.agent);
          if (req.protocolVersion !== PROTOCOL_VERSION) {
            reply = { ok: false, error: `protocol version mismatch: the agent speaks version ${req.protocolVersion}, the coordinator version ${PROTOCOL_VERSION}; run the same Loadlens version on both` };
            events.log('warn', `refused agent ${req.agent} (${req.host}): protocol version ${req.protocolVersion}, the coordinator's is ${PROTOCOL_VERSION}`);
          } else if (again) {
            reply = { ok: true, index: again.index, now: Date.now() };
          } else if (agents.length >= n || this.started) {
            reply = { ok: false, error: `run ${run} is full (${n} agent(s))` };
          } else {
            const a: Agent = { id: req.agent, host: req.host, index: agents.length, ready: false, done: false, lost: false, lastBeat: Date.now(), durationMs: 0, interrupted: 0 };
            agents.push(a);
            reply = { ok: true, index: a.index, now: Date.now() };
            void kv.put(`${run}.join.${a.index}`, encode({ agent: a.id, host: a.host, pid: req.pid, segment: equalSegment(a.index, n).toString() })).catch(() => {});
            events.log('info', `agents: ${agents.length}/${n} joined (agent ${a.id} on ${a.host}: segment ${equalSegment(a.index, n).toString()})`);
            changed();
          }
          msg.respond(encode(reply));
        },
      }));
      subs.push(nc.subscribe(s.hb('*'), {
        callback: (_err: Error | null, msg: Msg) => {
          const index = Number(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
          const a = agents[index];
          const hb = decode(msg.string());
          if (!a || !validHeartbeat(hb, index) || hb.agent !== a.id) return dropped(msg.subject);
          a.lastBeat = Date.now();
        },
      }));
      // Each agent's records, from the stream (an ordered consumer: in order, nothing lost).
      const js = jetstream(nc);
      const onRecord = (subject: string, data: Uint8Array) => {
        const index = Number(subject.slice(subject.lastIndexOf('.') + 1));
        const a = agents[index];
        const m = unpackRecord(data);
        if (!a || !validAgentRecord(m, index)) return dropped(subject);
        if (a.lost) return;
        a.lastBeat = Date.now();
        const name = `agent ${a.index + 1}/${n} (${a.host}, segment ${equalSegment(a.index, n).toString()})`;
        if (m.type === 'agent-stopped') {
          a.stopped = m.reason;
          incomplete = true;
          events.log('error', `${name} stopped before the end of its segment: ${m.reason}; what it measured is kept, the rest of its segment is not run; the run is incomplete`);
          return changed();
        }
        if (m.type === 'worker-interval' && m.startLagMs !== undefined) a.startLagMs ??= m.startLagMs;
        reports.report(m, index, name, a);
        if (m.type === 'worker-done') merger.retire(index);
        changed();
      };
      // Each agent's records, from the stream: an ordered consumer, in order, nothing lost. A
      // restarted nats-server keeps the stream (file storage) but not the consumer, which the
      // client does not always notice: on every reconnect the reader starts a new consumer after
      // the last record it read (retrying until JetStream answers again).
      let lastSeq = 0;
      let reading: { stop(): void } | undefined;
      let closed = false;
      const readOnce = async () => {
        const consumer = await js.consumers.get(STREAM, lastSeq === 0
          ? { filter_subjects: s.out('*') }
          : { filter_subjects: s.out('*'), deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 });
        const records = await consumer.consume();
        reading = records;
        if (closed) records.stop();
        return records;
      };
      const consume = async (records: Awaited<ReturnType<typeof readOnce>>) => {
        for await (const m of records) {
          if (m.seq <= lastSeq) continue;
          lastSeq = m.seq;
          try {
            onRecord(m.subject, m.data);
          } catch (err) {
            dropped(`${m.subject} (${(err as Error).message})`);
          }
        }
      };
      // The first consumer exists before the plan is published: no record can come before it.
      let records: Awaited<ReturnType<typeof readOnce>> | undefined = await readOnce();
      void (async () => {
        while (!closed) {
          try {
            records ??= await readOnce();
            await consume(records);
          } catch {
            await new Promise((r) => setTimeout(r, 250));
          }
          records = undefined;
        }
      })();
      stream.restart = () => reading?.stop();
      stream.close = () => { closed = true; reading?.stop(); };

      const planText = encode(planRecord);
      const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
      if (Buffer.byteLength(planText) > maxPayload) {
        throw new ClusterError(`the bundled scenario and what setup() returned take ${(Buffer.byteLength(planText) / 1048576).toFixed(2)} MB, more than the NATS server's max_payload (${(maxPayload / 1048576).toFixed(2)} MB): raise max_payload or return less from setup()`);
      }
      await kv.put(`${run}.plan`, planText);
      await kv.put('current', run);
      events.log('info', `cluster run ${run}: waiting up to ${Math.round(this.options.agentsTimeoutMs / 1000)} s for ${n} agent(s) on ${this.natsDisplay()}`);

      const deadline = Date.now() + this.options.agentsTimeoutMs;
      const joined = await waitFor(() => agents.length >= n, deadline);
      // Cancelled (Ctrl-C) before the start: no load ran; the joined agents are told and exit.
      const cancelledEarly = (): SourceResult => {
        control({ type: 'cancel', reason: this.cancelReason });
        events.log('warn', `cancelled before the start: ${agents.length} of ${n} agent(s) had joined; no load was run`);
        merger.flush();
        return { durationMs: 0 };
      };
      if (this.cancelReason !== undefined && !joined) return cancelledEarly();
      if (!joined) {
        control({ type: 'cancel', reason: 'not enough agents' });
        throw new ClusterError(`only ${agents.length} of ${n} agent(s) joined within --agents-timeout ${Math.round(this.options.agentsTimeoutMs / 1000)} s (run ${run} on ${this.natsDisplay()}); start more with: loadlens agent --nats ${this.natsDisplay()}`);
      }
      await kv.delete('current').catch(() => {});
      const ready = await waitFor(() => agents.every((a) => a.ready || a.loadError !== undefined), deadline + 30_000);
      if (this.cancelReason !== undefined && !agents.every((a) => a.ready)) return cancelledEarly();
      const failed = agents.find((a) => a.loadError !== undefined);
      if (!ready || failed) {
        control({ type: 'cancel', reason: 'agents not ready' });
        if (failed) throw Object.assign(new Error(`agent ${failed.index + 1}/${n} (${failed.host}): ${failed.loadError!.message}`), { stack: failed.loadError!.stack });
        throw new ClusterError(`${agents.filter((a) => !a.ready).length} agent(s) did not load the scenario in time`);
      }

      // One agreed start instant, at a lead (KV record for the record; the control subject tells them).
      const at = Date.now() + START_LEAD_MS;
      await kv.put(`${run}.start`, encode({ at }));
      this.started = true;
      control({ type: 'worker-start', at });
      for (const a of agents) a.lastBeat = Math.max(a.lastBeat, at);
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      if (this.cancelReason !== undefined) control({ type: 'cancel', reason: this.cancelReason });
      events.started(plan, Date.now());
      changed();
      events.log('info', `agents: ${n} running`);

      // Until every agent is done or lost; lost = silent for AGENT_LOST_MS; nothing waits past
      // the planned end plus gracefulStop plus END_GRACE_MS.
      const endBy = at + plan.plannedMs + load.gracefulStopMs + END_GRACE_MS;
      const lose = (a: Agent, why: string) => {
        a.lost = true;
        incomplete = true;
        merger.retire(a.index);
        const running = agents.filter((x) => !x.done && !x.lost).length;
        events.log('error', `agent ${a.index + 1}/${n} (${a.host}, agent ${a.id}) lost: ${why}; segment ${equalSegment(a.index, n).toString()} of the load is lost, what it reported is kept; the run is incomplete (agents: ${running} running, ${agents.filter((x) => x.lost).length} lost)`);
      };
      const ticker = setInterval(() => {
        merger.tick();
        const now = Date.now();
        for (const a of agents) {
          if (!disconnected && !a.done && !a.lost && now - a.lastBeat > AGENT_LOST_MS) lose(a, `no heartbeat for ${((now - a.lastBeat) / 1000).toFixed(1)} s`);
        }
        changed();
      }, 250);
      // After a cancel (Ctrl-C, abortOnFail), the agents have their gracefulStop plus the grace.
      const until = () => (this.cancelledAt === undefined ? endBy : Math.min(endBy, this.cancelledAt + load.gracefulStopMs + END_GRACE_MS));
      await waitFor(() => agents.every((a) => a.done || a.lost), until, false);
      clearInterval(ticker);
      for (const a of agents) if (!a.done && !a.lost) lose(a, this.cancelledAt === undefined ? 'it did not finish by the planned end plus gracefulStop plus 10 s' : 'it did not stop within gracefulStop plus 10 s of the cancel');
      merger.flush();

      if (this.invalid > 0) events.log('warn', `${this.invalid} invalid message(s) dropped`);
      const label = (a: Agent) => `${equalSegment(a.index, n).toString()} (agent ${a.index + 1}/${n}, ${a.host})`;
      // A stopped agent that then fell silent is named as stopped: that is what happened to it.
      const stopped = agents.filter((a) => a.stopped !== undefined);
      const lost = agents.filter((a) => a.lost && a.stopped === undefined);
      if (lost.length > 0) events.log('error', `incomplete: lost segment(s) ${lost.map(label).join(', ')}`);
      if (stopped.length > 0) events.log('error', `incomplete: stopped segment(s) ${stopped.map(label).join(', ')}`);
      const durationMs = await endSegments({ states: agents, merger, events, definition, scenario: o.name, env: o.env, setupData, what: 'agent' });
      const notes = [
        ...lost.map((a) => `Lost segment ${label(a)}: its remaining load was not run; what it reported before is counted.`),
        ...stopped.map((a) => `Stopped segment ${label(a)}: ${a.stopped}; its remaining load was not run; what it reported before is counted.`),
      ];
      const bySegment = agents.filter((a) => a.startLagMs !== undefined)
        .map((a) => ({ segment: equalSegment(a.index, n).toString(), host: a.host, ms: Math.round(a.startLagMs! * 10) / 10 }));
      const cluster = {
        agents: n,
        startSkewMs: { max: Math.max(0, ...bySegment.map((b) => b.ms)), bySegment },
        lost: lost.map((a) => equalSegment(a.index, n).toString()),
        stopped: stopped.map((a) => equalSegment(a.index, n).toString()),
      };
      return { durationMs, incomplete, blocked: reports.blocked, notes, cluster };
    } finally {
      await cleanup();
    }
  }

  cancel(reason: string): void {
    this.cancelReason = reason;
    this.cancelledAt ??= Date.now();
    if (this.started && this.nc && !this.nc.isClosed()) this.nc.publish(subjects(this.run_).ctl, encode({ type: 'cancel', reason }));
    this.wake?.();
  }

  private natsDisplay(): string {
    try {
      const u = new URL(this.options.nats);
      return `${u.protocol}//${u.hostname}:${u.port || '4222'}`;
    } catch {
      return this.options.nats;
    }
  }
}

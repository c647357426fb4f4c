// What a load source does with the reports of the processes that each run one execution segment
// of the load: local worker processes (workers.ts) and cluster agents (cluster/coordinator-source.ts)
// speak the same worker messages, and are counted and forwarded the same way here.

import { ScenarioSetupError } from '../engine/errors';
import { runHook } from '../engine/run';
import type { IntervalData, ScenarioDefinition } from '../engine/types';
import type { FromWorker } from '../protocol';
import { httpClientFromEnv } from './env';
import { httpDebugSink } from './console';
import type { HttpDebugMode } from '../engine/http/debug';
import type { SourceEvents } from './source';
import type { IntervalMerger } from './workers';

/** One segment's process as its load source tracks it. */
export interface SegmentState {
  ready: boolean;
  done: boolean;
  durationMs: number;
  interrupted: number;
  /** The first error it reported before the load started. */
  loadError?: Extract<FromWorker, { type: 'worker-error' }>['error'];
}

export class SegmentReports {
  /** Occurrences of each iteration error message, per segment (each process counts its own). */
  private readonly errorCounts = new Map<string, number[]>();
  /** Some segment was stopped while its scenario was blocked past the planned end. */
  blocked = false;

  constructor(
    private readonly segments: number,
    private readonly merger: IntervalMerger,
    private readonly events: SourceEvents,
    /** Whether the load has started (errors before it are load errors, kept for the start to fail with). */
    private readonly started: () => boolean,
  ) {}

  /** Applies one report of segment `index`; `label` names its process in messages. */
  report(m: FromWorker, index: number, label: string, state: SegmentState): void {
    const events = this.events;
    switch (m.type) {
      case 'worker-ready':
        state.ready = true;
        break;
      case 'worker-interval':
        this.merger.add(index, m.interval);
        break;
      case 'worker-error': {
        if (!this.started()) {
          state.loadError ??= m.error;
          break;
        }
        if (m.error.kind === 'exit' || m.error.kind === 'blocked' || m.error.kind === 'memory') {
          events.ended(m.error.kind, `${label}: ${m.error.message}`, m.error.stack);
          break;
        }
        if (m.error.kind !== 'iteration') {
          events.log('error', `${label}: ${m.error.stack ?? m.error.message}`);
          break;
        }
        const counts = this.errorCounts.get(m.error.message) ?? new Array<number>(this.segments).fill(0);
        counts[index] = m.error.count ?? counts[index] + 1;
        this.errorCounts.set(m.error.message, counts);
        events.iterationError(Object.assign(new Error(m.error.message), { stack: m.error.stack }), counts.reduce((a, b) => a + b, 0));
        break;
      }
      case 'worker-unawaited-sleep':
        events.unawaitedSleep(m.stack);
        break;
      case 'worker-warning':
        events.warning(m.message, m.stack);
        break;
      case 'worker-done':
        state.done = true;
        state.durationMs = m.durationMs ?? 0;
        state.interrupted = m.interrupted ?? 0;
        if (m.blocked) {
          this.blocked = true;
          events.log('error', `${label}: the scenario's event loop was still blocked after the planned duration and gracefulStop: its segment was stopped`);
        }
        break;
    }
  }
}

/**
 * Before the segments start: setup() runs once, here (the segments get what it returned), with an
 * http client of its own; its requests are the run's too (`extras`, merged into the first interval).
 * Throws ScenarioSetupError when setup() throws.
 */
export async function setupOnce(definition: ScenarioDefinition, env: Record<string, string>, scenario: string, httpDebug?: HttpDebugMode): Promise<{ setupData: unknown; extras: IntervalData[] }> {
  if (!definition.setup) return { setupData: undefined, extras: [] };
  try {
    const r = await runHook(scenario, definition, (http) => definition.setup!({ http, env }), httpClientFromEnv(), httpDebugSink(httpDebug));
    return { setupData: r.value, extras: [r.interval] };
  } catch (err) {
    throw new ScenarioSetupError(err, scenario);
  }
}

/**
 * Once every segment has ended: says what they cut off, runs teardown once (here, not in the
 * segments) and returns the load's duration, teardown included. `what` names the segments'
 * processes in messages ('worker', 'agent').
 */
export async function endSegments(o: {
  states: readonly SegmentState[];
  merger: IntervalMerger;
  events: SourceEvents;
  definition: ScenarioDefinition;
  scenario: string;
  env: Record<string, string>;
  setupData: unknown;
  what: string;
  /** --http-debug: teardown's requests are printed too. */
  httpDebug?: HttpDebugMode;
}): Promise<number> {
  const { merger, events, definition } = o;
  const interrupted = o.states.reduce((a, s) => a + s.interrupted, 0);
  if (interrupted > 0) events.log('warn', `${interrupted} iteration(s) still running after gracefulStop were interrupted`);
  if (merger.lateParts > 0) events.log('info', `${merger.lateParts} ${o.what} interval(s) arrived after their interval closed; counted in the next one`);
  let durationMs = Math.max(0, ...o.states.map((s) => s.durationMs));
  if (definition.teardown) {
    const t0 = performance.now();
    try {
      const r = await runHook(o.scenario, definition, (http) => definition.teardown!({ http, env: o.env, data: o.setupData }), httpClientFromEnv(), httpDebugSink(o.httpDebug));
      merger.addExtra(r.interval);
    } catch (err) {
      events.teardownError(err);
    }
    merger.flush();
    durationMs += performance.now() - t0;
  }
  return durationMs;
}

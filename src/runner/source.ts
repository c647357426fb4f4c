// The seam between the runner and whatever generates load: the in-process engine today, local
// worker processes (workers.ts) or remote machines later. A source reports each one-second
// interval it measured (already merged across its processes, in index order) and the errors it
// saw; the runner does everything else (aggregation, thresholds, abort, --out, progress, summary).

import type { AgentCounts, ClusterSummary, IntervalData, ScenarioDefinition } from '../engine/types';
import type { NormalLoad } from '../engine/load';
import type { PlanInfo } from '../protocol';

export interface SourceEvents {
  /** The load starts (after setup). */
  started(plan: PlanInfo, startedAt: number): void;
  /** One finished interval, in index order. */
  interval(interval: IntervalData): void;
  /** An iteration threw or rejected (the run goes on); count: occurrences of this message so far. */
  iterationError(error: unknown, count: number): void;
  teardownError(error: unknown): void;
  /** A sleep() nobody awaited (its stack, source-mapped); once per call site per process. */
  unawaitedSleep(stack: string): void;
  /** A warning from the scenario's code in a worker process or agent (check() used while no run
   *  is active...), with its stack: the runner prints it at its line, once per run. */
  warning(message: string, stack: string | undefined): void;
  /** A distributed run's agents changed (joined, finished, lost): shown on the live line. */
  agents?(counts: AgentCounts): void;
  /** Informational messages (e.g. a worker that died). */
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Part of the load ended badly (a worker process's scenario called process.exit(), blocked its
   *  event loop or ran out of memory); `stack` is in the scenario's lines. */
  ended(kind: 'exit' | 'blocked' | 'memory', message: string, stack?: string): void;
}

export interface SourceRunOptions {
  name: string;
  file: string;
  definition: ScenarioDefinition;
  /** The run's load, resolved once by the runner (engine/run.ts resolveLoad); worker processes and
   *  agents get this object, not the overrides it came from. */
  load: NormalLoad;
  env: Record<string, string>;
  debug?: { iterations?: number };
  /** --http-debug: print each request and response. */
  httpDebug?: 'headers' | 'full';
  /** Other scenarios of a mix run in this process at the same time (in-process sources only). */
  concurrent?: boolean;
}

export interface SourceResult {
  /** From the load's start to its end (teardown included). */
  durationMs: number;
  /** True when some part of the planned load was lost (a worker died). */
  incomplete?: boolean;
  /** True when part of the load was ended while its scenario was blocked past the planned end. */
  blocked?: boolean;
  /** Notes for the summary (e.g. the execution segments a distributed run lost). */
  notes?: string[];
  /** A distributed run's agents, for the summary. */
  cluster?: ClusterSummary;
}

export interface LoadSource {
  /**
   * Runs setup (once), the load and teardown; resolves once every interval has been reported.
   * Throws OptionsError for bad options and ScenarioSetupError when setup() throws.
   */
  run(options: SourceRunOptions, events: SourceEvents): Promise<SourceResult>;
  /** Stop starting iterations, let in-flight ones finish within gracefulStop, then resolve run(). */
  cancel(reason: string): void;
}

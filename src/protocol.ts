// The one typed contract between processes: CLI or extension (parent) ⇄ runner (child), runner ⇄
// worker processes, and extension ⇄ webview panel (which reuses the runner's messages).
// Messages travel over Node's IPC channel (child_process.fork), or as JSON lines in --out files.

import type { IntervalData, LiveStats, ScenarioOptions, SummaryData, ThresholdVerdict } from './engine/types';
import type { RunDetails } from './view-model/messages';

/**
 * 2: cluster records deflated on the wire, the join reply carries the coordinator's clock, start lag reported.
 * 3: the plan carries the resolved load (worker-load `load`), not the overrides to resolve it from.
 */
export const PROTOCOL_VERSION = 3;

// Engine vocabulary, owned by the engine (it imports nothing from here); the contract carries it.
import type { LoadOverrides, PlanInfo } from './engine/types';
import type { NormalLoad } from './engine/normal-load';
export type { LoadOverrides, PlanInfo };

export interface RunRequest {
  /** Absolute path of the *.load.ts file. */
  file: string;
  /** Export names of the scenarios to run, together (a workload mix); every scenario in the file when omitted. */
  scenarios?: string[];
  overrides?: LoadOverrides;
  /** Base URL replacing each scenario's `target` (CLI --target); a scenario without a target also
   *  falls back to env.LOADLENS_TARGET. */
  target?: string;
  env?: Record<string, string>;
  /** Live outputs (--out, repeatable): JSON lines files, Prometheus remote write. */
  outputs?: OutSpec[];
  /** k6-style summary JSON written at the end. */
  summaryExportPath?: string;
  /** JUnit XML written at the end (CLI --junit): a test case per threshold and per check. */
  junitPath?: string;
  /** Markdown summary written at the end (CLI --summary-md). */
  summaryMdPath?: string;
  /** The same Markdown, appended (CLI: $GITHUB_STEP_SUMMARY, as GitHub expects). */
  stepSummaryPath?: string;
  /** A self-contained HTML report (src/report/html.ts) written at the end. */
  reportPath?: string;
  /** Worker processes on this machine (1 = run in the runner process itself). */
  workers?: number;
  /** Debug mode: one VU, `iterations` iterations (default 1), no thresholds abort. */
  debug?: { iterations?: number };
  /** --http-debug: print each request and response (heads; 'full' with bodies), credentials redacted. */
  httpDebug?: 'headers' | 'full';
  /** A distributed run: the load runs on `agents` agents reached through NATS (src/runner/cluster). */
  cluster?: ClusterOptions;
}

/** One --out destination. */
export type OutSpec =
  /** JSON lines: one record per interval, then the summary. Flushed as it goes. Absolute path. */
  | { kind: 'json'; path: string }
  /** Prometheus remote write 1.0 (src/runner/prometheus.ts): every series so far, once a second. */
  | { kind: 'prometheus'; url: string; /** The `testid` label on every series. */ testid: string };

export interface ClusterOptions {
  /** nats:// or tls:// URL, with a token (nats://TOKEN@host:port) or user:password. */
  nats: string;
  agents: number;
  /** How long to wait for the agents to join, ms. */
  agentsTimeoutMs: number;
  /** A NATS credentials file (JWT and nkey seed, --nats-creds). */
  credsFile?: string;
}

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export type ErrorKind =
  /** The scenario file does not compile or bundle. */
  | 'compile'
  /** No scenario found, unknown scenario name, or bad load/threshold options. */
  | 'options'
  /** setup() threw: the run stopped before any load. */
  | 'setup'
  /** An iteration threw (the run goes on; the first few are reported). */
  | 'iteration'
  | 'teardown'
  /** The scenario called process.exit(): the run stops (at its location), with a summary. */
  | 'exit'
  /** The scenario's event loop is blocked (a synchronous loop): reported at the line it is stuck on. */
  | 'blocked'
  /** The scenario's thread ran out of memory: the run ends with the summary of what was measured. */
  | 'memory'
  /** A distributed run could not start: NATS unreachable or refused the credentials, too few agents. */
  | 'cluster'
  /** A bug or crash inside Loadlens itself. */
  | 'internal';

/** Parent → runner (and runner → worker). */
export type ToRunner =
  | { type: 'run'; request: RunRequest }
  | { type: 'list'; file: string }
  /** Stop starting iterations, wait gracefulStop, then finish with a summary. */
  | { type: 'cancel'; reason?: string };

/** Runner → parent. */
export type FromRunner =
  | { type: 'listed'; file: string; scenarios: PlanInfo[] }
  | {
      type: 'started';
      scenario: string;
      file: string;
      plan: PlanInfo;
      startedAt: number;
      /** The load's gracefulStop: how long a cancel may wait for in-flight iterations. */
      gracefulStopMs?: number;
      /** The scenario's thresholds (data), so a supervisor can summarise a run it had to stop. */
      thresholds?: ScenarioOptions['thresholds'];
    }
  /**
   * Once per second per scenario, display-ready: what the views (panel, status bar, CLI live line,
   * Test Explorer) show, and no histogram. The interval data itself (for --out, merging and the
   * aggregate) stays with the runner and its supervisor (RunnerInterval).
   * `live` carries the requests in flight and how long no request has finished while they waited
   * (`inFlight`, `noResponseMs`: the "no response for 5 s" warning).
   */
  | { type: 'progress'; scenario: string; progress: Progress }
  | { type: 'thresholds'; scenario: string; verdicts: ThresholdVerdict[] }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; scenario?: string }
  | {
      type: 'error';
      kind: ErrorKind;
      message: string;
      location?: SourceLocation;
      stack?: string;
      scenario?: string;
      /** How many times this message occurred so far (iteration errors). */
      count?: number;
    }
  /** `details` (the per-second series and the endpoints, for saved runs and reports) is absent
   *  when a supervisor summarised a run it had to stop. */
  | { type: 'finished'; scenario: string; summary: SummaryData; details?: RunDetails }
  /**
   * A workload mix (several scenarios together, or file-wide thresholds): after every scenario's
   * `finished`, the totals of all of them, judged by the file-wide thresholds (summary.mix names them).
   */
  | { type: 'mix-finished'; summary: SummaryData }
  /** The last message: the process exit code it is about to use. */
  | { type: 'done'; exitCode: number };

/** A second of a run as the views draw it: one point of the live series and the running figures. */
export interface Progress {
  /** The interval's 0-based second since the run's start. */
  second: number;
  /** Iterations dropped within that second (open model, every VU busy). */
  dropped: number;
  live: LiveStats;
}

/**
 * Runner → its supervisor only (host.ts), never relayed: a merged interval whole, series included,
 * so that the supervisor's aggregate can summarise a run it had to stop (blocked, out of memory).
 * The last interval carries what the end cut off (`unfinished`).
 */
export interface RunnerInterval {
  type: 'interval';
  scenario: string;
  interval: IntervalData;
}

/** What the runner core (runner.ts) sends: the runner protocol plus the interval data for its supervisor. */
export type FromRunnerCore = FromRunner | RunnerInterval;

/**
 * Runner thread → its supervising host (src/runner/host.ts): the runner's messages, plus a
 * heartbeat every 250 ms; a missing heartbeat means the scenario blocked the thread's event loop.
 */
export type FromRunnerThread = FromRunnerCore | Heartbeat | ThreadOutput;

/** The scenario thread's console output, in order with its other messages. */
export interface ThreadOutput {
  type: 'output';
  stream: 'stdout' | 'stderr';
  text: string;
}

/** A thread's sign of life to its supervisor, with its heap figures (bytes). */
export interface Heartbeat {
  type: 'heartbeat';
  heapUsed: number;
  heapLimit: number;
}

/** Worker → runner (local worker processes; the same records cross NATS in a cluster). */
export type FromWorker =
  | { type: 'worker-ready'; index: number }
  | {
      type: 'worker-interval';
      index: number;
      scenario: string;
      interval: IntervalData;
      /** On the first interval of a cluster agent's segment: how late its load started after the
       *  agreed start instant, ms (the agent's timer lateness plus the worker's own start). */
      startLagMs?: number;
    }
  | { type: 'worker-error'; index: number; error: Extract<FromRunner, { type: 'error' }> }
  /** A sleep() nobody awaited: its stack, once per call site (the runner names the line). */
  | { type: 'worker-unawaited-sleep'; index: number; scenario: string; stack: string }
  /** A warning the scenario's code raised in the worker (check() or a custom metric used while no
   *  run is active): the runner names its line and says it once per run, however many workers do. */
  | { type: 'worker-warning'; index: number; scenario: string; message: string; stack?: string }
  | {
      type: 'worker-done';
      index: number;
      scenario: string;
      /** The worker's load phase, ms. */
      durationMs?: number;
      /** Iterations abandoned after gracefulStop. */
      interrupted?: number;
      /** The segment was ended from outside its thread, blocked past the planned end plus gracefulStop. */
      blocked?: boolean;
    };

/** A worker process's thread (worker-thread.ts) → the process's main thread (worker.ts), which
 *  relays FromWorker to the runner and watches the heartbeat. */
export type FromWorkerThread = FromWorker | Heartbeat | ThreadOutput;

/** Runner → local worker process (src/runner/workers.ts). */
export type ToWorker =
  /** Load the bundled scenario and get ready; answer worker-ready. */
  | {
      type: 'worker-load';
      /** This worker's segment: the index-th of `workers` equal segments. */
      index: number;
      workers: number;
      file: string;
      /** The scenario file bundled once by the runner (esbuild output). */
      code: string;
      scenario: string;
      target?: string;
      /** The run's load, resolved once by the runner (overrides applied): every segment runs its
       *  share of this one plan. */
      load: NormalLoad;
      env: Record<string, string>;
      /** What setup() returned in the runner (JSON). */
      setupData: unknown;
      /** --http-debug of the run request. */
      httpDebug?: 'headers' | 'full';
      /** The planned duration plus gracefulStop, ms: a segment still blocked this long after its
       *  start is ended by its process. */
      stopByMs?: number;
    }
  /** Every worker is ready: start the load now. On the cluster's control subject `at` is the
   *  agreed start instant on the coordinator's clock (epoch ms), which each agent maps onto its
   *  monotonic clock; an agent then tells its worker `lateMs`, how late its timer fired, so that
   *  the worker reports its start lag (startLagMs). */
  | { type: 'worker-start'; at?: number; lateMs?: number }
  | { type: 'cancel'; reason?: string };

/** Process exit codes, shared by the runner and the CLI (documented in the README). */
export const ExitCode = {
  ok: 0,
  /** Internal error. */
  internal: 1,
  /** Bad CLI usage, bad scenario options (load shape, threshold syntax, a threshold on an unknown
   *  metric), or an output path that cannot be written: all found before the first request. */
  badOptions: 2,
  /** The scenario file does not compile, or exports no scenario. */
  compile: 3,
  /** setup() threw. */
  setup: 4,
  /** Cancelled by the user (Ctrl-C or a cancel message) before the planned end. */
  cancelled: 105,
  /** The scenario called process.exit(): the run stopped there, with a summary. */
  scenarioExit: 106,
  /** The scenario ran out of memory: the run stopped, with the summary of what was measured. */
  outOfMemory: 107,
  /** A threshold with abortOnFail failed and stopped the run. */
  aborted: 108,
  /** The scenario blocked its event loop past the planned end and gracefulStop: the run was stopped. */
  blocked: 109,
  /** One or more thresholds failed. */
  thresholdsFailed: 99,
  /** A distributed run could not start: NATS unreachable or refused the credentials, or fewer
   *  agents than --agents joined within --agents-timeout. */
  cluster: 110,
} as const;

/** One line of an --out file. */
export type OutRecord =
  | { type: 'start'; version: number; scenario: string; file: string; plan: PlanInfo; startedAt: number }
  | { type: 'interval'; scenario: string; interval: IntervalData }
  | {
      type: 'summary';
      scenario: string;
      summary: SummaryData;
      /** Set when the run was stopped from outside the scenario's thread (blocked, out of memory):
       *  the figures are those of the intervals above, the last partial second is missing. */
      incomplete?: string;
    }
  /** A workload mix's totals (see the 'mix-finished' message), after the scenarios' summaries. */
  | { type: 'total'; summary: SummaryData };

// The thread of a local worker process (`--workers N`; worker.ts is the process's main thread,
// which relays these messages to the runner and watches this thread): loads the bundled scenario
// the runner sends, waits for the start signal, runs its execution segment of the load with the
// engine and streams each interval to the runner. setup/teardown run in the runner.

import { tuneHeap } from './heap';
import { runScenario } from '../engine/run';
import { onUseOutsideRun, recordUnhandledRejection } from '../engine/api';
import { equalSegment } from '../engine/segments';
import type { ScenarioDefinition } from '../engine/types';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import type { FromRunner, FromWorkerThread, ToWorker } from '../protocol';
import { cleanStack, findScenarios, loadBundle, selectScenarios } from './bundle';
import { httpClientFromEnv } from './env';
import { httpDebugSink } from './console';
import { ScenarioExitError } from './exit';
import { relayOutput } from './thread-output';
import { HEARTBEAT_EVERY_MS } from './watchdog';


type Load = Extract<ToWorker, { type: 'worker-load' }>;

tuneHeap();

const controller = new AbortController();
let loaded: { m: Load; def: ScenarioDefinition } | undefined;
/** The segment this process runs, from worker-load on (the bundle's top level runs while loading). */
let request: Load | undefined;

const port = parentPort!;

function send(message: FromWorkerThread): void {
  port.postMessage(message);
}

// The scenario's console output reaches the process's stdout/stderr before it exits.
relayOutput(send);

/** The thread's own exit (process.exit is the scenario's, below). */
const exitThread = process.exit.bind(process);

function errorMessage(kind: Extract<FromRunner, { type: 'error' }>['kind'], err: unknown, count?: number): Extract<FromRunner, { type: 'error' }> {
  const e = err instanceof Error ? err : new Error(String(err));
  // Without this bundle's own frames (process.exit's replacement, the engine's loop).
  return { type: 'error', kind, message: e.message, stack: cleanStack(e.stack), count };
}

function load(m: Load): void {
  request = m;
  const found = selectScenarios(findScenarios(loadBundle(m.code, m.file), m.file), [m.scenario], m.file)[0];
  loaded = { m, def: { ...found.definition, target: m.target } };
  send({ type: 'worker-ready', index: m.index });
}

async function start(lateMs: number | undefined): Promise<void> {
  if (!loaded) throw new Error('worker-start before worker-load');
  const { m, def } = loaded;
  // A cluster agent's start lag: its timer's lateness plus the time from here to the load's start.
  const receivedAt = performance.now();
  let startLagMs: number | undefined;
  const result = await runScenario({
    name: m.scenario,
    file: m.file,
    def,
    load: m.load,
    env: m.env,
    segment: equalSegment(m.index, m.workers),
    setupData: { value: m.setupData },
    runTeardown: false,
    httpClient: httpClientFromEnv(),
    httpDebug: httpDebugSink(m.httpDebug),
    signal: controller.signal,
    onStarted: () => { if (lateMs !== undefined) startLagMs = lateMs + performance.now() - receivedAt; },
    onInterval: (interval) => {
      send({ type: 'worker-interval', index: m.index, scenario: m.scenario, interval, ...(startLagMs !== undefined ? { startLagMs } : {}) });
      startLagMs = undefined;
    },
    // The first occurrence of each message carries its stack; then every 100th updates the count.
    onIterationError: (err, count) => {
      if (err instanceof ScenarioExitError) return;
      if (count === 1 || count % 100 === 0) send({ type: 'worker-error', index: m.index, error: errorMessage('iteration', err, count) });
    },
    onUnawaitedSleep: (stack) => send({ type: 'worker-unawaited-sleep', index: m.index, scenario: m.scenario, stack }),
  });
  sendThenExit({ type: 'worker-done', index: m.index, scenario: m.scenario, durationMs: result.durationMs, interrupted: result.interrupted }, 0);
}

/** The last message: the main thread relays it to the runner and ends the process. */
function sendThenExit(message: Extract<FromWorkerThread, { type: 'worker-done' | 'worker-error' }>, code: number): void {
  send(message);
  if (message.type !== 'worker-done') exitThread(code);
}

port.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'worker-load') load(m);
    else if (m.type === 'cancel') controller.abort();
    else if (m.type === 'worker-start') {
      start(m.lateMs).catch((err) => sendThenExit({ type: 'worker-error', index: loaded?.m.index ?? -1, error: errorMessage('internal', err) }, 1));
    }
  } catch (err) {
    sendThenExit({ type: 'worker-error', index: loaded?.m.index ?? -1, error: errorMessage('compile', err) }, 1);
  }
});

// process.exit() in the scenario: reported at its caller, then the segment stops (as a cancel
// does) and its figures still reach the runner; the runner ends the run.
let exitReported = false;
process.exit = ((code?: number) => {
  const err = new ScenarioExitError(code ?? process.exitCode);
  if (!exitReported) {
    exitReported = true;
    send({ type: 'worker-error', index: loaded?.m.index ?? -1, error: errorMessage('exit', err) });
    controller.abort();
  }
  throw err;
}) as typeof process.exit;
// A scenario's stray promise rejection must not end the thread: it is counted in the interval's
// errors by kind, and reported to the runner like an iteration error (the first, then every 100th).
process.on('unhandledRejection', (reason) => {
  const count = recordUnhandledRejection(reason);
  if (count !== undefined && count !== 1 && count % 100 !== 0) return;
  const message = `unhandled promise rejection: ${reason instanceof Error ? reason.message : String(reason)}`;
  const err = Object.assign(new Error(message), { stack: reason instanceof Error ? reason.stack : undefined });
  send({ type: 'worker-error', index: loaded?.m.index ?? -1, error: errorMessage('iteration', err, count ?? 1) });
});

// check() and custom metrics used while no run is active record nothing: the runner says so at
// the line, once per run, whichever workers or agents report it.
onUseOutsideRun((message, stack) => send({ type: 'worker-warning', index: request?.index ?? -1, scenario: request?.scenario ?? '', message, stack }));

// The main thread's watchdog (see host.ts): a heartbeat that stops means a blocked event loop.
const beat = (): void => {
  const heap = getHeapStatistics();
  send({ type: 'heartbeat', heapUsed: heap.used_heap_size, heapLimit: heap.heap_size_limit });
};
beat();
setInterval(beat, HEARTBEAT_EVERY_MS).unref();

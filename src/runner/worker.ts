// A local worker process (forked by src/runner/workers.ts for `--workers N`): loads the bundled
// scenario the runner sends, waits for the start signal, runs its execution segment of the load
// with the engine and streams each interval to the runner. setup/teardown run in the runner.

import './heap';
import * as engine from '../index';
import { runScenario } from '../engine/run';
import { recordUnhandledRejection } from '../engine/api';
import { equalSegment } from '../engine/segments';
import type { ScenarioDefinition } from '../engine/types';
import type { FromRunner, FromWorker, ToWorker } from '../protocol';
import { findScenarios, loadBundle, selectScenarios } from './bundle';
import { httpClientFromEnv } from './env';

// The bundled scenario's `import ... from 'loadlens'` resolves to this engine instance.
(globalThis as { __loadlens?: unknown }).__loadlens = engine;

type Load = Extract<ToWorker, { type: 'worker-load' }>;

const controller = new AbortController();
let loaded: { m: Load; def: ScenarioDefinition } | undefined;

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

function errorMessage(kind: Extract<FromRunner, { type: 'error' }>['kind'], err: unknown, count?: number): Extract<FromRunner, { type: 'error' }> {
  const e = err instanceof Error ? err : new Error(String(err));
  return { type: 'error', kind, message: e.message, stack: e.stack, count };
}

function load(m: Load): void {
  const found = selectScenarios(findScenarios(loadBundle(m.code, m.file), m.file), m.scenario, m.file)[0];
  loaded = { m, def: { ...found.definition, target: m.target } };
  send({ type: 'worker-ready', index: m.index });
}

async function start(): Promise<void> {
  if (!loaded) throw new Error('worker-start before worker-load');
  const { m, def } = loaded;
  const result = await runScenario({
    name: m.scenario,
    file: m.file,
    def,
    overrides: m.overrides,
    env: m.env,
    segment: equalSegment(m.index, m.workers),
    setupData: { value: m.setupData },
    runTeardown: false,
    httpClient: httpClientFromEnv(),
    signal: controller.signal,
    onInterval: (interval) => send({ type: 'worker-interval', index: m.index, scenario: m.scenario, interval }),
    // The first occurrence of each message carries its stack; then every 100th updates the count.
    onIterationError: (err, count) => {
      if (count === 1 || count % 100 === 0) send({ type: 'worker-error', index: m.index, error: errorMessage('iteration', err, count) });
    },
    onUnawaitedSleep: (stack) => send({ type: 'worker-unawaited-sleep', index: m.index, scenario: m.scenario, stack }),
  });
  sendThenExit({ type: 'worker-done', index: m.index, scenario: m.scenario, durationMs: result.durationMs, interrupted: result.interrupted }, 0);
}

/** The last message: exit once it is on its way (IPC sends are asynchronous). */
function sendThenExit(message: FromWorker, code: number): void {
  if (!process.connected) process.exit(code);
  process.send!(message, () => {
    process.disconnect();
    process.exit(code);
  });
}

process.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'worker-load') load(m);
    else if (m.type === 'cancel') controller.abort();
    else if (m.type === 'worker-start') {
      start().catch((err) => sendThenExit({ type: 'worker-error', index: loaded?.m.index ?? -1, error: errorMessage('internal', err) }, 1));
    }
  } catch (err) {
    sendThenExit({ type: 'worker-error', index: loaded?.m.index ?? -1, error: errorMessage('compile', err) }, 1);
  }
});

// Ctrl-C reaches the whole process group: the runner decides and sends cancel.
process.on('SIGINT', () => {});
// The runner went away: stop gracefully, and do not outlive it for long.
process.on('disconnect', () => {
  controller.abort();
  setTimeout(() => process.exit(1), 5000).unref();
});
// A scenario's stray promise rejection must not kill the worker (Node's default): it is counted
// in the interval's errors by kind, and reported to the runner like an iteration error.
process.on('unhandledRejection', (reason) => {
  const count = recordUnhandledRejection(reason);
  if (count !== undefined && count !== 1 && count % 100 !== 0) return;
  const message = `unhandled promise rejection: ${reason instanceof Error ? reason.message : String(reason)}`;
  const err = Object.assign(new Error(message), { stack: reason instanceof Error ? reason.stack : undefined });
  send({ type: 'worker-error', index: loaded?.m.index ?? -1, error: errorMessage('iteration', err, count ?? 1) });
});

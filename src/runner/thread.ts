// The runner core in a worker thread (dist/cli-thread.js for the CLI, dist/runner-thread.js for
// the forked runner), supervised by host.ts in the process's main thread. Everything the scenario
// does happens here: a synchronous endless loop blocks this thread only, running out of memory
// ends this thread only (the heap limit is the Worker's resourceLimits), and process.exit() is
// replaced so that it reports where it was called and stops the run with a summary.
// The protocol is the runner's (ToRunner in, FromRunner out) plus a heartbeat every 250 ms.

import { warmBundler } from './warm-bundler';
import { tuneHeap } from './heap';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import type { FromRunnerThread, ToRunner } from '../protocol';
import { onUseOutsideRun } from '../engine/api';
import { Runner } from './runner';
import { relayOutput } from './thread-output';
import { HEARTBEAT_EVERY_MS } from './watchdog';

warmBundler();
tuneHeap();

const port = parentPort!;
const post = (message: FromRunnerThread): void => port.postMessage(message);
// The scenario's console output travels with the protocol messages, in order.
relayOutput(post);

/** The thread's own exit (process.exit is the scenario's, below). */
const exitThread = process.exit.bind(process);

// After `done` the thread ends itself: its console output (relayed to the main thread
// asynchronously) is flushed before the Worker's 'exit' event, which the host waits for.
const runner = new Runner(post, (exitCode) => {
  post({ type: 'done', exitCode });
  exitThread(0);
});
port.on('message', (message: ToRunner) => runner.handle(message));
// A scenario's stray promise rejection must not end the thread (a Worker's default) silently.
process.on('unhandledRejection', (reason) => runner.unhandledRejection(reason));
// check() and custom metrics outside a run record nothing: the runner says so, once.
onUseOutsideRun((message, stack) => runner.usedOutsideRun(message, stack));

// In a worker thread the real process.exit() would end the thread without a word. The scenario
// gets one that reports its caller's file:line and stops the run (the host ends the thread).
process.exit = ((code?: number) => {
  throw runner.scenarioExit(code ?? process.exitCode);
}) as typeof process.exit;

// The host's watchdog: a heartbeat that stops means a blocked event loop; heap figures let the
// host sample where the scenario is before it runs out of memory.
const beat = (): void => {
  const heap = getHeapStatistics();
  post({ type: 'heartbeat', heapUsed: heap.used_heap_size, heapLimit: heap.heap_size_limit });
};
beat();
setInterval(beat, HEARTBEAT_EVERY_MS).unref();

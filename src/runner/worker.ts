// A local worker process (forked by src/runner/workers.ts for `--workers N`). Its segment of the
// load runs in a worker thread (worker-thread.ts); this main thread relays the messages both ways
// over IPC and stays free whatever the scenario does, so that
// - the process ends as soon as its parent is gone (IPC 'disconnect'), even while the scenario
//   blocks its thread: no worker process outlives the run;
// - a blocked thread is reported with the .load.ts line it is stuck on, and a cancel then ends
//   the segment at once (its figures so far have reached the runner interval by interval);
// - running out of memory is reported as such, not as a crash.

import { join } from 'node:path';
import type { FromWorker, FromWorkerThread, ToWorker } from '../protocol';
import { writeOutput } from './thread-output';
import { startThread } from './thread-start';
import { STALL_MS, formatBytes, sampleThreadStack, type StackSample } from './watchdog';

const threadPath = join(__dirname, 'worker-thread.js');
const thread = startThread(threadPath);

let load: Extract<ToWorker, { type: 'worker-load' }> | undefined;
let cancelled = false;
let beats = 0;
let lastBeat = Date.now();
let heapLimit = 0;
let oldSpaceMb = 0;
let stalled: Promise<StackSample | undefined> | undefined;
let sampling: Promise<StackSample | undefined> | undefined;
let lastSampleAt = 0;
let lastSample: StackSample | undefined;
let ending = false;
/** When the load started (worker-start), for the duration of a segment ended from here. */
let startedAt: number | undefined;

/** IPC sends not yet handed to the OS: the process must not exit before they are. */
let pending = 0;
let drained: (() => void) | undefined;

function send(message: FromWorker, then?: () => void): void {
  if (!process.connected) return then?.();
  pending++;
  process.send!(message, () => {
    pending--;
    then?.();
    if (pending === 0) drained?.();
  });
}

/** Exits once `message` is on its way (IPC sends are asynchronous). */
function sendThenExit(message: FromWorker | undefined, code: number): void {
  if (ending) return;
  ending = true;
  clearInterval(watchTimer);
  const exit = () => {
    if (process.connected) process.disconnect();
    process.exit(code);
  };
  if (message) send(message, exit);
  else if (pending === 0) exit();
  else drained = exit;
}

function sample(): Promise<StackSample | undefined> {
  sampling ??= sampleThreadStack(thread, { file: load?.file, ownFile: threadPath }).then((s) => {
    sampling = undefined;
    lastSampleAt = Date.now();
    if (s?.location) lastSample = s;
    return s;
  });
  return sampling;
}

const errorOf = (kind: 'blocked' | 'memory' | 'internal', message: string, s?: StackSample): FromWorker => ({
  type: 'worker-error',
  index: load?.index ?? -1,
  error: { type: 'error', kind, message, stack: s?.stack, location: s?.location },
});

function watch(): void {
  if (ending || beats === 0 || Date.now() - lastBeat < STALL_MS) return;
  if (!stalled) {
    const silentMs = Date.now() - lastBeat;
    stalled = sample().then((s) => {
      send(errorOf('blocked', `the scenario's event loop has been blocked for ${(silentMs / 1000).toFixed(1)} s (a synchronous loop?): no request, timer or other iteration can run in this worker, and its segment cannot stop gracefully`, s));
      return s;
    });
  }
  // Blocked: the thread cannot honour a cancel; end this segment now (its finished intervals
  // have reached the runner already; the iteration in the loop is lost). The same once the
  // segment is blocked past its planned end plus gracefulStop, when nobody cancels.
  const pastEnd = startedAt !== undefined && load?.stopByMs !== undefined && Date.now() - startedAt > load.stopByMs + 1000;
  if (cancelled || pastEnd) {
    void stalled.then(() => {
      void thread.terminate();
      const durationMs = startedAt === undefined ? undefined : Date.now() - startedAt;
      const blocked = !cancelled || undefined;
      sendThenExit({ type: 'worker-done', index: load?.index ?? -1, scenario: load?.scenario ?? '', durationMs, interrupted: 1, blocked }, 0);
    });
  }
}
const watchTimer = setInterval(watch, 250);

process.on('message', (m: ToWorker) => {
  if (m.type === 'worker-load') load = m;
  if (m.type === 'cancel') cancelled = true;
  if (m.type === 'worker-start') startedAt = Date.now();
  thread.postMessage(m);
  if (m.type === 'cancel') watch();
});

thread.on('message', (m: FromWorkerThread) => {
  if (ending) return;
  if (m.type === 'output') return writeOutput(m);
  if (m.type === 'heartbeat') {
    beats++;
    lastBeat = Date.now();
    stalled = undefined;
    heapLimit = m.heapLimit;
    oldSpaceMb ||= thread.resourceLimits?.maxOldGenerationSizeMb ?? 0;
    // Near the heap limit, note where the scenario is now and then (for an out-of-memory report).
    if (m.heapUsed > 0.7 * m.heapLimit && !sampling && Date.now() - lastSampleAt > 500) void sample();
    return;
  }
  if (m.type === 'worker-done') return sendThenExit(m, 0);
  send(m);
});

thread.on('error', (err: Error & { code?: string }) => {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    const limitBytes = oldSpaceMb ? oldSpaceMb * 1024 * 1024 : heapLimit;
    const limit = limitBytes ? ` (heap limit ${formatBytes(limitBytes)})` : '';
    const at = lastSample?.location ? ` at ${lastSample.location.file}:${lastSample.location.line}` : '';
    return sendThenExit(errorOf('memory', `the scenario's process ran out of memory${limit} in iteration${at}`, lastSample), 1);
  }
  sendThenExit(errorOf('internal', `uncaught error in the worker thread: ${err.stack ?? err.message}`), 1);
});

// The thread ended by itself (it could not load the scenario; its error is on its way already).
thread.on('exit', (code) => sendThenExit(undefined, code || 1));

// Ctrl-C (or a SIGTERM to the group) reaches every process: the runner decides and sends cancel.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
// The runner went away: nobody will read this segment's figures; end now (this thread is free
// even when the scenario is blocked, and process.exit stops the worker thread).
process.on('disconnect', () => process.exit(1));

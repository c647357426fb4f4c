// The runner as a child process (forked by the extension through client.ts): the protocol carried
// over Node's IPC channel to a runner host. The runner core runs in a worker thread (host.ts), so
// this main thread stays free whatever the scenario does: it relays messages, handles signals and
// exits when its parent goes away, even while the scenario blocks its own event loop. A debug run
// keeps the runner in this thread (in-process.ts): the debugger attached to this process pauses
// there, and a paused scenario is not a blocked one.

import { join } from 'node:path';
import { ExitCode, type FromRunner, type ToRunner } from '../protocol';
import type { RunnerConnection } from './client';
import { ThreadRunner } from './host';

let host: RunnerConnection | undefined;
let exiting = false;

function send(message: FromRunner): void {
  if (!process.connected) return;
  if (message.type !== 'done') return void process.send!(message);
  // The last message: exit once it is on its way (IPC sends are asynchronous).
  exiting = true;
  process.send!(message, () => {
    process.disconnect();
    process.exit(message.exitCode);
  });
}

/** A debug run in this thread, set up as the scenario thread sets itself up (thread.ts). Loaded
 *  only for debug runs: the engine stays out of this thread otherwise. */
async function startInProcess(): Promise<RunnerConnection> {
  const [{ warmBundler }, { tuneHeap }, { InProcessRunner }] = await Promise.all([import('./warm-bundler'), import('./heap'), import('./in-process')]);
  warmBundler();
  tuneHeap();
  return new InProcessRunner();
}

async function start(message: Exclude<ToRunner, { type: 'cancel' }>): Promise<RunnerConnection> {
  const debug = message.type === 'run' && message.request.debug;
  const h = debug ? await startInProcess() : new ThreadRunner({ threadPath: join(__dirname, 'runner-thread.js') });
  h.onMessage(send);
  void h.exited.then((exit) => {
    if (!exiting) {
      // Ended without a `done` on the wire (killed): exit all the same.
      if (process.connected) process.disconnect();
      process.exit(exit.code ?? ExitCode.internal);
    }
  });
  if (message.type === 'run') h.run(message.request);
  else h.list(message.file);
  return h;
}

let starting: Promise<RunnerConnection> | undefined;
let pendingCancel: string | undefined;

function cancel(reason: string): void {
  if (host) host.cancel(reason);
  else if (starting) pendingCancel ??= reason;
}

process.on('message', (message: ToRunner) => {
  if (message.type === 'cancel') return cancel(message.reason ?? 'cancel message');
  if (starting) {
    send({ type: 'log', level: 'warn', message: `runner busy: ignored a '${message.type}' message (one run per runner)` });
    return;
  }
  starting = start(message);
  void starting.then((h) => {
    host = h;
    if (pendingCancel !== undefined) h.cancel(pendingCancel);
  });
});

// A terminal's Ctrl-C reaches the whole process group; the parent decides about a second one.
process.on('SIGINT', () => cancel('SIGINT'));
process.on('SIGTERM', () => cancel('SIGTERM'));
// The parent went away: stop gracefully and exit (nobody is listening for the summary). This
// thread is free even when the scenario is blocked, so the deadline holds.
process.on('disconnect', () => {
  cancel('parent disconnected');
  setTimeout(() => process.exit(ExitCode.cancelled), 5000).unref();
});

// The runner as a child process (forked by the extension through client.ts): the runner core
// (runner.ts) with the protocol carried over Node's IPC channel.

import './warm-bundler';
import './heap';
import { ExitCode, type FromRunner, type ToRunner } from '../protocol';
import { Runner } from './runner';

function send(message: FromRunner): void {
  if (process.connected) process.send!(message);
}

/** Sends `done` and exits once the message is on its way (IPC sends are asynchronous). */
function finish(exitCode: number): void {
  if (!process.connected) process.exit(exitCode);
  const message: FromRunner = { type: 'done', exitCode };
  process.send!(message, () => {
    process.disconnect();
    process.exit(exitCode);
  });
}

const runner = new Runner(send, finish);
process.on('message', (message: ToRunner) => runner.handle(message));

// A terminal's Ctrl-C reaches the whole process group; the parent decides about a second one.
process.on('SIGINT', () => runner.handle({ type: 'cancel', reason: 'SIGINT' }));
process.on('SIGTERM', () => runner.handle({ type: 'cancel', reason: 'SIGTERM' }));
// The parent went away: stop gracefully and exit (nobody is listening for the summary).
process.on('disconnect', () => {
  runner.handle({ type: 'cancel', reason: 'parent disconnected' });
  setTimeout(() => process.exit(ExitCode.cancelled), 5000).unref();
});
// A scenario's stray promise rejection must not kill the run silently.
process.on('unhandledRejection', (reason) => runner.unhandledRejection(reason));

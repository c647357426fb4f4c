// The runner in the calling thread itself, for debug runs in the forked runner (main.ts): the
// debugger attached to that process pauses the scenario there (and a paused scenario is not a
// blocked one, so no watchdog). Every other run goes through host.ts (a worker thread). Messages
// are copied as they would be over IPC, so the host never shares an object the runner mutates.

import { ExitCode, type FromRunner, type FromRunnerCore, type RunRequest } from '../protocol';
import type { RunnerConnection, RunnerExit } from './client';
import { onUseOutsideRun } from '../engine/api';
import { Runner } from './runner';

export class InProcessRunner implements RunnerConnection {
  readonly exited: Promise<RunnerExit>;
  private readonly runner: Runner;
  private listeners: Array<(m: FromRunner) => void> = [];
  private ended = false;
  private readonly onRejection = (reason: unknown): void => this.runner.unhandledRejection(reason);

  constructor() {
    let resolveExit!: (exit: RunnerExit) => void;
    this.exited = new Promise((resolve) => (resolveExit = resolve));
    const deliver = (m: FromRunnerCore): void => {
      // No supervisor aggregates here (a debug run is not watched): the interval data stays.
      if (this.ended || m.type === 'interval') return;
      const copy = structuredClone(m);
      for (const l of this.listeners) l(copy);
    };
    this.runner = new Runner(deliver, (exitCode) => {
      deliver({ type: 'done', exitCode });
      this.ended = true;
      process.off('unhandledRejection', this.onRejection);
      resolveExit({ code: exitCode, signal: null });
    });
    // A scenario's stray promise rejection must not kill the run (or the CLI) silently.
    process.on('unhandledRejection', this.onRejection);
    onUseOutsideRun((message, stack) => this.runner.usedOutsideRun(message, stack));
  }

  onMessage(listener: (m: FromRunner) => void): void {
    this.listeners.push(listener);
  }

  run(request: RunRequest): void {
    this.runner.handle({ type: 'run', request });
  }

  list(file: string): void {
    this.runner.handle({ type: 'list', file });
  }

  cancel(reason?: string): boolean {
    if (this.ended) return false;
    this.runner.handle({ type: 'cancel', reason });
    return true;
  }

  /** Stops at once (a second Ctrl-C): the process goes; what --out holds so far stays on disk. */
  kill(): void {
    process.exit(ExitCode.cancelled);
  }
}

// The parent side of the runner protocol: forks dist/runner.js and speaks ToRunner/FromRunner
// over Node's IPC channel. The CLI uses it, and the extension can too, so one code path is tested.

import { fork, type ChildProcess } from 'node:child_process';
import type { FromRunner, RunRequest, ToRunner } from '../protocol';

export interface ForkRunnerOptions {
  /** Absolute path of the bundled runner (dist/runner.js). */
  runnerPath: string;
  /** Node executable; default: the current one. */
  nodePath?: string;
  /** Extra node flags, e.g. ['--inspect-brk=0'] for debugging. */
  execArgv?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** 'inherit' lets the scenario's console output reach the terminal; 'pipe' hands it to the
   *  caller, who must read child.stdout and child.stderr (a full pipe would stall the runner). */
  output?: 'inherit' | 'pipe';
}

export interface RunnerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A runner as its host sees it, forked (RunnerProcess) or in process (in-process.ts). */
export interface RunnerConnection {
  /** Resolves when the runner has ended (never rejects). */
  readonly exited: Promise<RunnerExit>;
  onMessage(listener: (m: FromRunner) => void): void;
  run(request: RunRequest): void;
  /** Lists the scenarios of `file` without running any iteration; errors come as messages. */
  list(file: string): void;
  /** Asks for a graceful stop: no new iterations, wait gracefulStop, then a summary. */
  cancel(reason?: string): boolean;
  /** Stops the runner at once (a second Ctrl-C). */
  kill(): void;
}

export class RunnerProcess implements RunnerConnection {
  readonly child: ChildProcess;
  /** Resolves when the runner process has exited (never rejects). */
  readonly exited: Promise<RunnerExit>;
  private listeners: Array<(m: FromRunner) => void> = [];

  constructor(options: ForkRunnerOptions) {
    this.child = fork(options.runnerPath, [], {
      execPath: options.nodePath,
      execArgv: options.execArgv ?? [],
      cwd: options.cwd,
      env: options.env,
      stdio: options.output === 'pipe' ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
      // Plain JSON over IPC: every message is data (no handles, no functions).
      serialization: 'json',
    });
    this.child.on('message', (m) => {
      for (const l of this.listeners) l(m as FromRunner);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      // A bad node path never spawns; report it as an exit so callers do not hang.
      this.child.once('error', () => resolve({ code: null, signal: null }));
    });
  }

  onMessage(listener: (m: FromRunner) => void): void {
    this.listeners.push(listener);
  }

  private send(message: ToRunner): boolean {
    if (!this.child.connected) return false;
    this.child.send(message);
    return true;
  }

  run(request: RunRequest): void {
    this.send({ type: 'run', request });
  }

  /** Asks for a graceful stop: no new iterations, wait gracefulStop, then a summary. */
  cancel(reason?: string): boolean {
    return this.send({ type: 'cancel', reason });
  }

  /** Stops the runner at once (a second Ctrl-C). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Lists the scenarios of `file` without running any iteration; errors come as messages. */
  list(file: string): void {
    this.send({ type: 'list', file });
  }
}

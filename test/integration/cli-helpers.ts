// Helpers for the CLI end-to-end tests: run `node dist/cli.js` (build first: `npm run build`)
// the way a user does, and collect its exit code and output.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr contains `text` (rejects if the process exits first). */
  waitForStderr(text: string | RegExp): Promise<void>;
  done: Promise<CliResult>;
}

/** Starts the CLI; `detached` puts it (and its runner) in a process group of its own. */
export function startCli(args: string[], opts: { cwd?: string; detached?: boolean; env?: Record<string, string> } = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitForStderr(text) {
      const has = () => (typeof text === 'string' ? stderr.includes(text) : text.test(stderr));
      return new Promise((resolve, reject) => {
        const check = () => {
          if (has()) return resolve();
          waiters.push(check);
        };
        void done.then(() => (has() ? resolve() : reject(new Error(`CLI exited before printing ${text}; stderr:\n${stderr}`))));
        check();
      });
    },
  };
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

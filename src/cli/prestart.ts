// Imported first by the CLI: for the commands that run scenarios, the runner thread starts now,
// so its own Node start-up (~40 ms) overlaps with the loading of the rest of the CLI (start-up
// time, issue 4). host.ts takes it over (ThreadRunner's `worker` option).

import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../runner/thread-start';

const command = process.argv[2];
const runs = command === 'run' || command === 'list' || command === 'demo';
let early: Worker | undefined = runs ? startThread(join(__dirname, 'cli-thread.js')) : undefined;

/** The thread started at load time, once (later runners start their own). */
export function takeEarlyThread(): Worker | undefined {
  const w = early;
  early = undefined;
  return w;
}

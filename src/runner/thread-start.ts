// Starts a scenario thread (the runner's or a worker process's) with the heap limit Loadlens
// gives it. Imports nothing else, so the CLI can start its thread before loading the rest of
// itself (src/cli/prestart.ts).

import { Worker } from 'node:worker_threads';

/** A Worker for `path`; LOADLENS_MAX_HEAP_MB sets its old-generation heap limit (MB). */
export function startThread(path: string, maxHeapMb?: number): Worker {
  const mb = Number(process.env.LOADLENS_MAX_HEAP_MB) || maxHeapMb;
  return new Worker(path, { resourceLimits: mb ? { maxOldGenerationSizeMb: mb } : {} });
}

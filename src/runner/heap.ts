// V8 tuning for the process that runs the load (the CLI, the forked runner, each worker): each
// host's main calls tuneHeap() once.

import { setFlagsFromString } from 'node:v8';

/**
 * Memory (issue 4): with thousands of VUs each holding a slow request, every request in flight
 * outlives V8's young generation, and V8 lets the old generation grow to up to 4x its live size
 * before a full GC: at 15,000 held VUs the peak RSS varied from 220 to 330 MB between runs, most
 * of it garbage. Growing it by at most 50 % keeps the peak near the live size (~240 MB there);
 * no throughput cost measured (bench/RESULTS.md, memory). V8 reads this flag at each full GC,
 * so setting it in the running process takes effect.
 */
export function tuneHeap(): void {
  setFlagsFromString('--heap-growing-percent=50');
}

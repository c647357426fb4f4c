// The stall schedule, and the ground truth of an open-model run against it. The stall server
// holds every response while a stall lasts: S ms of stall once every P ms, the first starting
// at `offsetMs` after the server's start. A request arriving at time t (ms since the server's
// start) is answered when the stall releases plus its service time. The simulation computes
// the exact latency distribution a correct open-model generator must report: requests due
// every 1/rate s, latency = time until release + service.

export interface StallSchedule {
  /** Stall length, ms (default 500). */
  stallMs: number;
  /** Period, ms (default 5000). */
  periodMs: number;
  /** Start of the first stall after the server's start, ms (default periodMs - stallMs). */
  offsetMs: number;
}

export function stallSchedule(s: Partial<StallSchedule> = {}): StallSchedule {
  const stallMs = s.stallMs ?? 500;
  const periodMs = s.periodMs ?? 5000;
  return { stallMs, periodMs, offsetMs: s.offsetMs ?? periodMs - stallMs };
}

/** How long a request arriving `t` ms after the server's start is held (0 outside stalls). */
export function holdMs(s: StallSchedule, t: number): number {
  if (t < s.offsetMs) return 0;
  const phase = (t - s.offsetMs) % s.periodMs;
  return phase < s.stallMs ? s.stallMs - phase : 0;
}

export interface SimResult {
  count: number;
  /** Milliseconds. */
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** The value at percentile p of sorted values: the smallest v with at least p% of values <= v. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.min(i, sorted.length - 1)];
}

/**
 * Ground truth for `rate` requests/s during `durationMs`, the first due `phaseMs` after the
 * server's start; each request takes `serviceMs` besides the stall.
 */
export function simulateStall(opts: { rate: number; durationMs: number; phaseMs?: number; serviceMs?: number; schedule?: Partial<StallSchedule> }): SimResult {
  const s = stallSchedule(opts.schedule);
  const service = opts.serviceMs ?? 0.5;
  const n = Math.ceil((opts.rate * opts.durationMs) / 1000 - 1e-9);
  const lat = new Float64Array(n);
  for (let k = 0; k < n; k++) lat[k] = holdMs(s, (opts.phaseMs ?? 0) + (k * 1000) / opts.rate) + service;
  lat.sort();
  return { count: n, p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), p999: percentile(lat, 99.9), max: lat[n - 1] };
}

// `node --import tsx test/servers/stall-sim.ts [rate] [seconds]` prints the ground truth.
if (require.main === module && /stall-sim\.[jt]s$/.test(process.argv[1] ?? '')) {
  const rate = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 10);
  console.log(JSON.stringify(simulateStall({ rate, durationMs: seconds * 1000 })));
}

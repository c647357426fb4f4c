// The load generator's own health, sampled once per interval in the process that runs the VUs:
// the longest event-loop delay (a busy loop starts iterations and reads responses late, which
// the latencies then include) and the CPU the process used. Cheap: one libuv timer histogram and
// one process.cpuUsage() call per second.

import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

/** How often the event-loop delay is sampled, ms (the histogram's timer). */
const RESOLUTION_MS = 10;

export interface GeneratorSample {
  /** The longest event-loop delay since the last sample, ms (beyond the sampling timer's own period). */
  eventLoopDelayMs: number;
  /** CPU time used by this process since the last sample, as a percentage of one core. */
  cpuPercent: number;
}

export class GeneratorProbe {
  private readonly delay: IntervalHistogram;
  private cpu = process.cpuUsage();
  private at = performance.now();

  constructor() {
    this.delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.delay.enable();
  }

  /** The figures since the previous sample (or the start), and starts the next period. */
  sample(): GeneratorSample {
    const now = performance.now();
    const used = process.cpuUsage(this.cpu);
    this.cpu = process.cpuUsage();
    const wallMs = Math.max(now - this.at, 1);
    this.at = now;
    // The histogram holds the time between timer ticks: its period plus the delay.
    const maxMs = this.delay.max / 1e6; // 0 with no tick yet
    this.delay.reset();
    return {
      eventLoopDelayMs: Math.max(0, maxMs - RESOLUTION_MS),
      cpuPercent: ((used.user + used.system) / 1000 / wallMs) * 100,
    };
  }

  stop(): void {
    this.delay.disable();
  }
}

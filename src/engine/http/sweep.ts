// One interval timer that checks many deadlines at once (connect limits in the lean client,
// request timeouts in the transport): a timer per request would cost memory per request in flight.
// It runs every tenth of the shortest limit it has been told about, within these bounds, so a
// limit fires at most that much late.

const SWEEP_MAX_MS = 250;
const SWEEP_MIN_MS = 10;

export class Sweep {
  private timer: NodeJS.Timeout | null = null;
  private everyMs = 0;
  private stopped = false;

  constructor(private readonly check: () => void) {}

  /** A limit of `ms` is in use: run often enough for it. */
  watch(ms: number): void {
    if (ms <= 0 || this.stopped) return;
    const every = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, Math.floor(ms / 10)));
    if (this.timer !== null && every >= this.everyMs) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.everyMs = every;
    this.timer = setInterval(this.check, every);
    this.timer.unref();
  }

  /** For good: later watch() calls do nothing. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

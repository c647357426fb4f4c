// Open model (arrival rate): global iteration k is due at schedule.dueAt(k), whatever the
// server does. One timer loop (not a timer per iteration) starts each due iteration on a free
// VU, creating VUs up to maxVUs. When all are busy, due iterations wait as a backlog, which is
// just the gap between the next index to start and the count due by now (no memory per
// waiting iteration); a VU that finishes takes the next due one at once. The lateness
// (start - due) is recorded as iteration_lag and added to each request's latency. With
// whenBusy 'drop' a due iteration with no free VU is counted in dropped_iterations instead.
// Invariant at every moment: due = started + dropped + backlog; at the end the backlog is
// counted as dropped, so due = started + dropped.

import { arrivalSchedule, type ArrivalSchedule, type Arrivals } from '../schedule';
import { ExecutorBase, Vu, startIteration, iterationFailed, endIteration, vuId, type ExecContext, type Executor } from './vu';

export interface OpenLoad {
  arrivals: Arrivals;
  maxVUs: number;
  whenBusy: 'queue' | 'drop';
  durationMs: number;
}

export class OpenExecutor extends ExecutorBase implements Executor {
  private readonly schedule: ArrivalSchedule;
  /** This process's share of the planned iterations and of maxVUs. */
  private readonly total: number;
  private readonly maxVUs: number;
  private readonly drop: boolean;
  /** Local index (within this segment) of the next iteration to start or drop. */
  private next = 0;
  private readonly free: Vu[] = [];
  private created = 0;
  private timer: NodeJS.Timeout | null = null;
  private endTimer: NodeJS.Timeout | null = null;
  /** Due count frozen when the load stops. */
  private dueAtStop = -1;
  /** Iterations due but never started when the load stopped (no free VU): counted as dropped. */
  queuedAtStop = 0;

  constructor(x: ExecContext, private readonly load: OpenLoad) {
    super(x);
    this.schedule = arrivalSchedule(load.arrivals);
    const seg = x.segment;
    this.total = seg ? seg.scaleInt(this.schedule.total) : this.schedule.total;
    // A segment with arrivals needs at least one VU to run them.
    this.maxVUs = seg ? Math.max(this.total > 0 ? 1 : 0, seg.scaleInt(load.maxVUs)) : load.maxVUs;
    this.drop = load.whenBusy === 'drop';
  }

  get activeVUs(): number {
    return this.inFlight;
  }

  get createdVUs(): number {
    return this.created;
  }

  private globalOf(local: number): number {
    return this.x.segment ? this.x.segment.globalIndex(local) : local;
  }

  due(): number {
    if (this.dueAtStop >= 0) return this.dueAtStop;
    const g = this.schedule.countDueBy(this.x.elapsed());
    const own = this.x.segment ? this.x.segment.scaleInt(g) : g;
    // Never below what was already taken (guards float rounding between dueAt and countDueBy).
    return Math.max(Math.min(own, this.total), this.next);
  }

  start(): void {
    this.endTimer = setTimeout(this.onEnd, Math.max(0, this.load.durationMs - this.x.elapsed()));
    this.tick();
  }

  private readonly onEnd = (): void => {
    // Node's timers can fire up to a millisecond early against the run's clock: wait out the
    // rest, or the iterations due in that last moment would count as neither started nor dropped.
    const left = this.load.durationMs - this.x.elapsed();
    if (left > 0) {
      this.endTimer = setTimeout(this.onEnd, left);
      return;
    }
    this.endTimer = null;
    // Start whatever is due and has a VU, then the end: the rest of the backlog is dropped.
    this.pump(this.x.elapsed());
    this.finishLoad();
    this.loadDoneResolve();
  };

  private readonly tick = (): void => {
    this.timer = null;
    if (this.stopping) return;
    const now = this.x.elapsed();
    this.pump(now);
    this.arm(now);
  };

  /** Starts (or drops) every iteration due by `now` while VUs allow. */
  private pump(now: number): void {
    while (this.next < this.total) {
      const g = this.globalOf(this.next);
      const dueAt = this.schedule.dueAt(g);
      if (dueAt > now) return;
      const vu = this.takeVu();
      if (vu !== null) {
        this.next++;
        this.launch(vu, g, now - dueAt);
      } else if (this.drop) {
        this.next++;
        this.dropped++;
        this.series.dropped.add(1);
      } else return;
    }
  }

  /** Sets the timer for the next due iteration, unless the backlog waits for a VU anyway. */
  private arm(now: number): void {
    if (this.timer !== null || this.stopping || this.next >= this.total) return;
    const dueAt = this.schedule.dueAt(this.globalOf(this.next));
    if (dueAt <= now && this.free.length === 0 && this.created >= this.maxVUs) return;
    this.timer = setTimeout(this.tick, Math.max(0, dueAt - now));
  }

  /** Warm-up before start(): creates this process's share of `n` VUs, ready on the free list. */
  preAllocate(n: number): void {
    const own = Math.min(this.maxVUs, this.x.segment ? this.x.segment.scaleInt(n) : n);
    const vus: Vu[] = [];
    while (this.created < own) vus.push(new Vu(this.x, vuId(this.x.segment, this.created++)));
    // The free list is a stack: the lowest id on top, taken first.
    for (let i = vus.length - 1; i >= 0; i--) this.free.push(vus[i]);
  }

  private takeVu(): Vu | null {
    const vu = this.free.pop();
    if (vu !== undefined) return vu;
    if (this.created >= this.maxVUs) return null;
    return new Vu(this.x, vuId(this.x.segment, this.created++));
  }

  private launch(vu: Vu, g: number, lagMs: number): void {
    this.inFlight++;
    this.started++;
    this.activeChanged();
    this.series.lag.record(lagMs * 1000);
    void this.runVu(vu, g, lagMs);
  }

  private async runVu(vu: Vu, g: number, lagMs: number): Promise<void> {
    for (;;) {
      // Not wrapped in an async function (see startIteration).
      const running = startIteration(this.x, vu, g, lagMs);
      if (running !== undefined) {
        try {
          await running;
        } catch (err) {
          iterationFailed(this.x, err);
        }
      }
      endIteration(this.x, this.series, vu);
      if (this.stopping || this.next >= this.total) break;
      // A due iteration is waiting (the backlog, or one due since the last tick): take it now.
      const ng = this.globalOf(this.next);
      const now = this.x.elapsed();
      const dueAt = this.schedule.dueAt(ng);
      if (dueAt > now) break;
      this.next++;
      this.started++;
      g = ng;
      lagMs = now - dueAt;
      this.series.lag.record(lagMs * 1000);
    }
    this.free.push(vu);
    this.iterationEnded();
    this.activeChanged();
    if (!this.stopping) this.arm(this.x.elapsed());
  }

  private finishLoad(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.endTimer !== null) clearTimeout(this.endTimer);
    this.endTimer = null;
    const due = this.due();
    const backlog = due - this.next;
    if (backlog > 0) {
      this.queuedAtStop = backlog;
      this.dropped += backlog;
      this.series.dropped.add(backlog);
      this.next = due;
    }
    this.dueAtStop = due;
  }

  stop(): void {
    this.finishLoad();
    this.loadDoneResolve();
  }
}

// Schedule math, pure: when each open-model iteration is due, and how many VUs a ramp wants.
// Times are milliseconds from the run's start; rates are iterations per millisecond.
//
// Open model: the cumulative arrivals A(t) = ∫0..t rate. Iteration k (0-based) is due at the
// time t_k with A(t_k) = k: k/rate for a constant rate, and for a piecewise-linear ramp the
// root of the quadratic within the stage. An iteration is planned when it is due before the
// end, so the total is exactly the number of integers k < A(end).

const EPS = 1e-9;

export interface ArrivalSchedule {
  /** Planned iterations (all of them, before segmenting). */
  readonly total: number;
  readonly durationMs: number;
  /** Due time of global iteration k (0 <= k < total). */
  dueAt(k: number): number;
  /** How many iterations are due at or before t (0 before the start, at most total). */
  countDueBy(t: number): number;
  /** Planned rate (iterations per ms) at time t, for display. */
  rateAt(t: number): number;
}

/** A constant `perMs` rate for `durationMs`. */
export function constantArrivals(perMs: number, durationMs: number): ArrivalSchedule {
  const total = perMs > 0 ? Math.max(0, Math.ceil(perMs * durationMs - EPS)) : 0;
  return {
    total,
    durationMs,
    dueAt: (k) => k / perMs,
    countDueBy: (t) => (t < 0 || total === 0 ? 0 : Math.min(total, Math.floor(t * perMs + EPS) + 1)),
    rateAt: (t) => (t >= 0 && t < durationMs ? perMs : 0),
  };
}

export interface RateStage {
  /** Rate at the stage's end (per ms). */
  toPerMs: number;
  overMs: number;
}

interface Segment {
  t0: number;
  a0: number;
  /** Rate at the start and its slope (per ms²). */
  rate: number;
  slope: number;
  d: number;
  /** Arrivals by the segment's end. */
  a1: number;
}

/** A piecewise-linear rate starting at `startPerMs`, through each stage's target. */
export function rampArrivals(startPerMs: number, stages: readonly RateStage[]): ArrivalSchedule {
  const segs: Segment[] = [];
  let t = 0;
  let a = 0;
  let rate = startPerMs;
  for (const s of stages) {
    if (s.overMs <= 0) {
      rate = s.toPerMs;
      continue;
    }
    const area = ((rate + s.toPerMs) / 2) * s.overMs;
    segs.push({ t0: t, a0: a, rate, slope: (s.toPerMs - rate) / s.overMs, d: s.overMs, a1: a + area });
    t += s.overMs;
    a += area;
    rate = s.toPerMs;
  }
  const durationMs = t;
  const total = Math.max(0, Math.ceil(a - EPS));

  const arrivalsBy = (time: number): number => {
    if (time <= 0) return 0;
    for (const s of segs) {
      if (time < s.t0 + s.d) {
        const x = time - s.t0;
        return s.a0 + s.rate * x + (s.slope * x * x) / 2;
      }
    }
    return a;
  };

  // The segment in which arrival k falls: the first whose cumulative end exceeds k.
  let cursor = 0;
  const dueAt = (k: number): number => {
    // Sequential callers ask for increasing k: start from the last segment used.
    if (cursor >= segs.length || k < segs[cursor].a0) cursor = 0;
    while (cursor < segs.length - 1 && k >= segs[cursor].a1 - EPS) cursor++;
    const s = segs[cursor];
    if (!s) return 0;
    const c = k - s.a0;
    if (c <= 0) return s.t0;
    // Solve rate*x + slope*x²/2 = c in the stable form x = 2c / (rate + sqrt(rate² + 2*slope*c)).
    const disc = s.rate * s.rate + 2 * s.slope * c;
    const x = (2 * c) / (s.rate + Math.sqrt(Math.max(0, disc)));
    return Math.min(s.t0 + Math.min(x, s.d), durationMs);
  };

  return {
    total,
    durationMs,
    dueAt,
    countDueBy: (time) => (time < 0 || total === 0 ? 0 : Math.min(total, Math.floor(arrivalsBy(time) + EPS) + 1)),
    rateAt: (time) => {
      for (const s of segs) if (time >= s.t0 && time < s.t0 + s.d) return s.rate + s.slope * (time - s.t0);
      return 0;
    },
  };
}

/**
 * An open load's arrivals as plain data (JSON: it travels to worker processes and agents inside
 * the resolved load); arrivalSchedule() turns it into the math above.
 */
export type Arrivals =
  | { kind: 'constant'; perMs: number; durationMs: number }
  | { kind: 'ramp'; startPerMs: number; stages: RateStage[] };

export function arrivalSchedule(a: Arrivals): ArrivalSchedule {
  return a.kind === 'constant' ? constantArrivals(a.perMs, a.durationMs) : rampArrivals(a.startPerMs, a.stages);
}

export interface VuStage {
  to: number;
  overMs: number;
}

export interface VuStep {
  atMs: number;
  /** Global VU count from this time on. */
  vus: number;
}

/**
 * The VU count of a linear ramp as steps: going up VU v starts when the target reaches v
 * (floor), going down VU m stops when the target reaches m - 1 (ceil), so the peak VU runs.
 * The first step is at 0 with floor(startVUs).
 */
export function vuSteps(startVUs: number, stages: readonly VuStage[]): VuStep[] {
  const steps: VuStep[] = [{ atMs: 0, vus: Math.floor(startVUs + EPS) }];
  const push = (atMs: number, vus: number): void => {
    const last = steps[steps.length - 1];
    if (last.vus === vus) return;
    if (last.atMs === atMs) {
      last.vus = vus;
      if (steps.length > 1 && steps[steps.length - 2].vus === vus) steps.pop();
    } else steps.push({ atMs, vus });
  };
  let t = 0;
  let from = startVUs;
  for (const s of stages) {
    const to = s.to;
    if (s.overMs <= 0) {
      push(t, Math.floor(to + EPS));
    } else if (to > from) {
      for (let v = Math.floor(from + EPS) + 1; v <= Math.floor(to + EPS); v++) push(t + (s.overMs * (v - from)) / (to - from), v);
    } else if (to < from) {
      // Going down the count is ceil(target): VU m stops when the target reaches m - 1.
      for (let c = Math.ceil(from - EPS) - 1; c >= Math.ceil(to - EPS); c--) push(t + (s.overMs * (from - c)) / (from - to), c);
    }
    t += Math.max(0, s.overMs);
    from = to;
  }
  return steps;
}

/** The largest VU count of a set of steps. */
export function peakVUs(steps: readonly VuStep[]): number {
  let peak = 0;
  for (const s of steps) if (s.vus > peak) peak = s.vus;
  return peak;
}

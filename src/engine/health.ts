// Did Loadlens itself limit the test? Judged from a run's summary: the generator's event-loop
// delay and CPU (generator_* metrics, one value per process per second), how late open-model
// iterations started, and iterations dropped for want of a VU. Shared by the terminal summary,
// the HTML report's analysis and the panel, so they all say the same.

import type { SummaryData } from './types';
import { DROPPED_ITERATIONS, GENERATOR_CPU, GENERATOR_EVENT_LOOP_DELAY, ITERATION_LAG, VUS, VUS_MAX } from './metrics/names';

/** Limits past which a figure says the generator, not the server, set the pace. */
export const HEALTH_LIMITS = {
  /** p(95) of the per-second longest event-loop delays, ms: timers and sockets served late. */
  eventLoopDelayP95Ms: 100,
  /** p(90) of the per-second CPU use, % of one core: the thread running the VUs is saturated. */
  cpuP90Percent: 90,
  /** Open model: p(99) of how late iterations started, ms (the summary's existing note uses 10). */
  iterationLagP99Ms: 10,
} as const;

export interface HealthIssue {
  kind: 'event-loop' | 'cpu' | 'lag' | 'dropped';
  /**
   * Who limited the load: the generator (its event loop or CPU), or the VU pool (every VU was
   * busy waiting on the target: the target's slowness, maxVUs too low for it).
   */
  cause: 'generator' | 'vus';
  /** Late or dropped iterations: who held them back, and what to do. */
  why?: string;
  /** One sentence with its figure, e.g. 'event-loop delay p(95) 120 ms (limit 100 ms)'. */
  text: string;
}

export interface GeneratorHealth {
  /** False when the generator itself (event loop, CPU) limited the test. */
  ok: boolean;
  /** False when the planned load was not fully applied (late or dropped iterations), whatever the cause. */
  loadApplied: boolean;
  issues: HealthIssue[];
  /** The figures judged (null: not recorded, e.g. a run from before the generator metrics). */
  eventLoopDelayP95Ms: number | null;
  eventLoopDelayMaxMs: number | null;
  cpuP90Percent: number | null;
  cpuMaxPercent: number | null;
  iterationLagP99Ms: number | null;
  dropped: number;
}

const ms = (n: number): string => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;

export function generatorHealth(s: SummaryData): GeneratorHealth {
  const eld = s.metrics[GENERATOR_EVENT_LOOP_DELAY]?.values;
  const cpu = s.metrics[GENERATOR_CPU]?.values;
  const lag = s.model === 'open' ? s.metrics[ITERATION_LAG]?.values : undefined;
  const dropped = s.metrics[DROPPED_ITERATIONS]?.values.count ?? 0;
  const h: GeneratorHealth = {
    ok: true, loadApplied: true, issues: [],
    eventLoopDelayP95Ms: eld?.['p(95)'] ?? null, eventLoopDelayMaxMs: eld?.max ?? null,
    cpuP90Percent: cpu?.['p(90)'] ?? null, cpuMaxPercent: cpu?.max ?? null,
    iterationLagP99Ms: lag?.['p(99)'] ?? null, dropped,
  };
  if (h.eventLoopDelayP95Ms !== null && h.eventLoopDelayP95Ms >= HEALTH_LIMITS.eventLoopDelayP95Ms) {
    h.issues.push({ kind: 'event-loop', cause: 'generator', text: `the generator's event loop was busy: delay p(95) ${ms(h.eventLoopDelayP95Ms)}, max ${ms(h.eventLoopDelayMaxMs ?? 0)} (limit ${HEALTH_LIMITS.eventLoopDelayP95Ms} ms); requests were sent and read late` });
  }
  if (h.cpuP90Percent !== null && h.cpuP90Percent >= HEALTH_LIMITS.cpuP90Percent) {
    h.issues.push({ kind: 'cpu', cause: 'generator', text: `the generator process used ${Math.round(h.cpuP90Percent)}% of a core (p(90) over seconds; limit ${HEALTH_LIMITS.cpuP90Percent}%): add --workers or agents` });
  }
  // Late or dropped iterations while the generator was measured calm: no VU was free because the
  // target held them (maxVUs too low for its latency), not because of Loadlens. Lag no longer than
  // the event loop's own delay is the generator's; so is anything in a run without its figures.
  const generatorBusy = h.issues.length > 0;
  const measured = h.eventLoopDelayP95Ms !== null && h.cpuP90Percent !== null;
  const created = s.metrics[VUS_MAX]?.values.max ?? 0;
  const held = `all ${created} VUs were busy waiting on the target: raise maxVUs to keep offering the load`;
  if (h.iterationLagP99Ms !== null && h.iterationLagP99Ms >= HEALTH_LIMITS.iterationLagP99Ms) {
    const poolFull = created > 0 && (s.metrics[VUS]?.values.max ?? 0) >= created;
    const byVus = !generatorBusy && measured && poolFull && h.iterationLagP99Ms > (h.eventLoopDelayP95Ms ?? 0);
    h.issues.push({
      kind: 'lag', cause: byVus ? 'vus' : 'generator',
      text: `iterations started late: iteration_lag p(99) ${ms(h.iterationLagP99Ms)} (limit ${HEALTH_LIMITS.iterationLagP99Ms} ms)`,
      why: byVus ? held : `the generator started them late (event-loop delay p(95) ${measured ? ms(h.eventLoopDelayP95Ms ?? 0) : 'not recorded'})`,
    });
  }
  if (dropped > 0) {
    // Iterations are dropped only when maxVUs are all busy.
    const byVus = !generatorBusy && measured;
    h.issues.push({
      kind: 'dropped', cause: byVus ? 'vus' : 'generator',
      text: `${dropped} iteration${dropped === 1 ? ' was' : 's were'} dropped, so the offered load was not fully sent`,
      why: byVus ? held : 'no free VU, with a busy or unmeasured generator',
    });
  }
  h.loadApplied = !h.issues.some((i) => i.kind === 'lag' || i.kind === 'dropped');
  h.ok = !h.issues.some((i) => i.cause === 'generator');
  return h;
}

/** An issue as one line: its figure, and why when known. */
export function healthIssueText(i: HealthIssue): string {
  return i.why ? `${i.text} (${i.why})` : i.text;
}

// The resolved load of a run: the one plan every process of the run executes (load.ts makes it from
// a scenario's `load` and the run's overrides). Plain data on purpose: it travels as JSON in worker
// messages and cluster plans, and the panel's types read it, so this file imports no Node module.

import type { Arrivals, VuStep } from './schedule';

export type NormalLoad =
  | {
      model: 'closed';
      kind: 'constant-vus';
      vus: number;
      durationMs: number;
      gracefulStopMs: number;
    }
  | {
      model: 'closed';
      kind: 'shared-iterations';
      vus: number;
      iterations: number;
      maxDurationMs: number;
      gracefulStopMs: number;
    }
  | {
      model: 'closed';
      /** k6's per-vu-iterations: each VU runs exactly `iterationsPerVU` iterations. */
      kind: 'per-vu-iterations';
      vus: number;
      iterationsPerVU: number;
      maxDurationMs: number;
      gracefulStopMs: number;
    }
  | {
      model: 'closed';
      kind: 'ramping-vus';
      steps: VuStep[];
      peakVUs: number;
      durationMs: number;
      gracefulStopMs: number;
      /** For the shape description. */
      startVUs: number;
      targets: number[];
    }
  | {
      model: 'open';
      kind: 'arrival-rate';
      /** When each iteration is due (arrivalSchedule() reads it). */
      arrivals: Arrivals;
      maxVUs: number;
      /** Created (with as many connections to the target) before the schedule starts. */
      preAllocatedVUs: number;
      whenBusy: 'queue' | 'drop';
      durationMs: number;
      gracefulStopMs: number;
      /** For the shape description: per timeUnit. */
      rate?: number;
      startRate?: number;
      targets?: number[];
      timeUnitMs: number;
    };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const FIELDS: Record<NormalLoad['kind'], string[]> = {
  'constant-vus': ['vus', 'durationMs', 'gracefulStopMs'],
  'shared-iterations': ['vus', 'iterations', 'maxDurationMs', 'gracefulStopMs'],
  'per-vu-iterations': ['vus', 'iterationsPerVU', 'maxDurationMs', 'gracefulStopMs'],
  'ramping-vus': ['peakVUs', 'durationMs', 'gracefulStopMs', 'startVUs'],
  'arrival-rate': ['maxVUs', 'preAllocatedVUs', 'durationMs', 'gracefulStopMs', 'timeUnitMs'],
};

/**
 * Whether `v` (read from a worker message or a cluster plan, JSON) is a resolved load the
 * executors can run: the numbers they read are there and finite. The load was validated once,
 * by normaliseLoad where the run was planned; this only guards against a foreign or torn message.
 */
export function isNormalLoad(v: unknown): v is NormalLoad {
  if (!isObject(v) || typeof v.kind !== 'string' || !(v.kind in FIELDS)) return false;
  const kind = v.kind as NormalLoad['kind'];
  if (v.model !== (kind === 'arrival-rate' ? 'open' : 'closed') || !FIELDS[kind].every((f) => finite(v[f]))) return false;
  if (kind === 'ramping-vus') {
    return Array.isArray(v.steps) && v.steps.every((s) => isObject(s) && finite(s.atMs) && finite(s.vus)) && Array.isArray(v.targets) && v.targets.every(finite);
  }
  if (kind === 'arrival-rate') {
    const a = v.arrivals;
    if (v.whenBusy !== 'queue' && v.whenBusy !== 'drop') return false;
    if (!isObject(a)) return false;
    if (a.kind === 'constant') return finite(a.perMs) && finite(a.durationMs);
    return a.kind === 'ramp' && finite(a.startPerMs) && Array.isArray(a.stages) && a.stages.every((s) => isObject(s) && finite(s.toPerMs) && finite(s.overMs));
  }
  return true;
}

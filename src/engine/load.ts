// Validates a scenario's `load` shape (and the CLI overrides) into one normal form the executors
// run. Bad input throws OptionsError naming the field, the value and what is allowed.

import type { Duration, LoadOverrides, LoadShape, PlanInfo, ScenarioDefinition } from './types';
import { expectedStatusesOf } from './http/expected';
import { createSecureContext } from 'node:tls';
import { OptionsError } from './errors';
import { formatDuration, parseDuration } from './duration';
import { arrivalSchedule, peakVUs, vuSteps, type Arrivals, type VuStep } from './schedule';
import type { NormalLoad } from './normal-load';

export { isNormalLoad, type NormalLoad } from './normal-load';

/** k6's default: in-flight iterations get 30 s to finish at the end. */
export const DEFAULT_GRACEFUL_STOP_MS = 30_000;
/** k6's default maxDuration for shared iterations. */
export const DEFAULT_MAX_DURATION_MS = 10 * 60_000;
/** k6's default startVUs for ramping VUs. */
export const DEFAULT_START_VUS = 1;

const SHAPES_ALLOWED =
  "one of { vus, duration }, { vus, iterations }, { vus, iterationsPerVU }, { stages, by: 'vus' }, { rate, duration, maxVUs }, { stages, by: 'rate', maxVUs }";

const KEYS: Record<string, string[]> = {
  'constant-vus': ['vus', 'duration', 'gracefulStop'],
  'shared-iterations': ['vus', 'iterations', 'maxDuration', 'gracefulStop'],
  'per-vu-iterations': ['vus', 'iterationsPerVU', 'maxDuration', 'gracefulStop'],
  'ramping-vus': ['stages', 'by', 'startVUs', 'gracefulStop'],
  'constant-rate': ['rate', 'duration', 'maxVUs', 'preAllocatedVUs', 'timeUnit', 'whenBusy', 'gracefulStop'],
  'ramping-rate': ['stages', 'by', 'maxVUs', 'preAllocatedVUs', 'startRate', 'timeUnit', 'whenBusy', 'gracefulStop'],
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An open load's warm-up: load.preAllocatedVUs (0 ≤ n ≤ maxVUs, default 0; k6's preAllocatedVUs), so a run
 * whose latency needs many VUs at once does not start with a burst of connects. No default
 * above 0: one of 100 ms at the peak rate measured no better at 5,000/s (bench/NOTES.md).
 */
function preAllocatedVUs(load: Record<string, unknown>, maxVUs: number): number {
  if (load.preAllocatedVUs === undefined) return 0;
  const n = positiveInt(load.preAllocatedVUs, 'load.preAllocatedVUs', 0);
  if (n > maxVUs && maxVUs === load.maxVUs) throw new OptionsError('load.preAllocatedVUs', n, `at most load.maxVUs (${maxVUs})`);
  // --vus lowers maxVUs: the warm-up follows it down.
  return Math.min(n, maxVUs);
}

function positiveInt(v: unknown, field: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new OptionsError(field, v, min === 0 ? 'a whole number >= 0' : `a whole number >= ${min}`);
  }
  return v;
}

function nonNegative(v: unknown, field: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new OptionsError(field, v, what);
  return v;
}

function positiveDuration(v: unknown, field: string): number {
  const ms = parseDuration(v as string, field);
  if (ms <= 0) throw new OptionsError(field, v, "a duration longer than 0, such as '30s' or 30 (seconds)");
  return ms;
}

function whichShape(load: Record<string, unknown>): keyof typeof KEYS {
  if ('stages' in load) {
    if (load.by === 'vus') return 'ramping-vus';
    if (load.by === 'rate') return 'ramping-rate';
    throw new OptionsError('load.by', load.by, "'vus' (ramp the VU count) or 'rate' (ramp the arrival rate)");
  }
  if ('rate' in load) return 'constant-rate';
  if ('iterations' in load) {
    if ('iterationsPerVU' in load) throw new OptionsError('load.iterationsPerVU', load.iterationsPerVU, 'either iterations (shared by the VUs) or iterationsPerVU (each VU runs that many), not both');
    return 'shared-iterations';
  }
  if ('iterationsPerVU' in load) return 'per-vu-iterations';
  if ('vus' in load) return 'constant-vus';
  throw new OptionsError('load', load, SHAPES_ALLOWED);
}

interface Stage {
  to: number;
  overMs: number;
}

function parseStages(v: unknown, by: 'vus' | 'rate'): Stage[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new OptionsError('load.stages', v, "a non-empty array of { to, over }, e.g. [{ to: 100, over: '30s' }]");
  }
  return v.map((s, i) => {
    const field = `load.stages[${i}]`;
    if (!isObject(s)) throw new OptionsError(field, s, "{ to, over }, e.g. { to: 100, over: '30s' }");
    for (const k of Object.keys(s)) if (k !== 'to' && k !== 'over') throw new OptionsError(`${field}.${k}`, s[k], 'only the fields to and over');
    const to =
      by === 'vus'
        ? positiveInt(s.to, `${field}.to`, 0)
        : nonNegative(s.to, `${field}.to`, 'a rate >= 0 (iterations per time unit)');
    return { to, overMs: parseDuration(s.over as string, `${field}.over`) };
  });
}

function gracefulStop(load: Record<string, unknown>): number {
  return load.gracefulStop === undefined ? DEFAULT_GRACEFUL_STOP_MS : parseDuration(load.gracefulStop as string, 'load.gracefulStop');
}

function whenBusy(load: Record<string, unknown>): 'queue' | 'drop' {
  const w = load.whenBusy ?? 'queue';
  if (w !== 'queue' && w !== 'drop') throw new OptionsError('load.whenBusy', w, "'queue' (wait for a free VU; the lateness counts as latency) or 'drop' (count as dropped_iterations)");
  return w;
}

function sumOver(stages: Stage[]): number {
  return stages.reduce((t, s) => t + s.overMs, 0);
}

/**
 * Validates `load` and applies the CLI overrides:
 * - `vus`: the VU count of closed shapes (a ramp becomes constant VUs for its length), maxVUs of open ones;
 * - `duration`: the length of constant shapes; ramps are stretched to it in proportion;
 * - `rate`: the rate of a constant open shape; an open ramp is scaled so its peak is `rate`;
 * - `iterations`: any closed shape becomes `{ vus, iterations }` shared by its (peak) VUs.
 */
export function normaliseLoad(load: LoadShape | unknown, overrides: LoadOverrides = {}): NormalLoad {
  if (!isObject(load)) throw new OptionsError('load', load, SHAPES_ALLOWED);
  const shape = whichShape(load);
  for (const k of Object.keys(load)) {
    if (!KEYS[shape].includes(k)) throw new OptionsError(`load.${k}`, load[k], `only the fields ${KEYS[shape].join(', ')} in this load shape`);
  }
  const ov = overrides;
  const ovDurationMs = ov.duration !== undefined ? positiveDuration(ov.duration, '--duration') : undefined;
  const ovVus = ov.vus !== undefined ? positiveInt(ov.vus, '--vus') : undefined;
  const ovIterations = ov.iterations !== undefined ? positiveInt(ov.iterations, '--iterations') : undefined;
  const ovRate = ov.rate !== undefined ? nonNegative(ov.rate, '--rate', 'a rate > 0 (iterations per second)') : undefined;
  if (ovRate === 0) throw new OptionsError('--rate', 0, 'a rate > 0 (iterations per second)');
  const gracefulStopMs = gracefulStop(load);

  if (shape === 'constant-rate' || shape === 'ramping-rate') {
    if (ovIterations !== undefined) throw new OptionsError('--iterations', ovIterations, 'a closed-model scenario (load.vus); this one is open (arrival rate)');
    const maxVUs = ovVus ?? positiveInt(load.maxVUs, 'load.maxVUs');
    const timeUnitMs = load.timeUnit === undefined ? 1000 : positiveDuration(load.timeUnit, 'load.timeUnit');
    const busy = whenBusy(load);
    if (shape === 'constant-rate') {
      const rate = ovRate ?? nonNegative(load.rate, 'load.rate', 'a rate > 0 (iterations per time unit, default per second)');
      if (rate === 0) throw new OptionsError('load.rate', 0, 'a rate > 0 (iterations per time unit, default per second)');
      const durationMs = ovDurationMs ?? positiveDuration(load.duration, 'load.duration');
      return {
        model: 'open', kind: 'arrival-rate', arrivals: { kind: 'constant', perMs: rate / timeUnitMs, durationMs },
        maxVUs, preAllocatedVUs: preAllocatedVUs(load, maxVUs), whenBusy: busy, durationMs, gracefulStopMs, rate, timeUnitMs,
      };
    }
    let stages = parseStages(load.stages, 'rate');
    let startRate = load.startRate === undefined ? 0 : nonNegative(load.startRate, 'load.startRate', 'a rate >= 0');
    const total = sumOver(stages);
    if (total <= 0) throw new OptionsError('load.stages', load.stages, 'stages lasting longer than 0 in total');
    if (ovDurationMs !== undefined) stages = stages.map((s) => ({ ...s, overMs: (s.overMs * ovDurationMs) / total }));
    if (ovRate !== undefined) {
      const peak = Math.max(startRate, ...stages.map((s) => s.to));
      const f = peak > 0 ? ovRate / peak : 0;
      startRate *= f;
      stages = stages.map((s) => ({ ...s, to: s.to * f }));
    }
    const arrivals: Arrivals = { kind: 'ramp', startPerMs: startRate / timeUnitMs, stages: stages.map((s) => ({ toPerMs: s.to / timeUnitMs, overMs: s.overMs })) };
    return {
      model: 'open', kind: 'arrival-rate', arrivals, maxVUs, preAllocatedVUs: preAllocatedVUs(load, maxVUs),
      whenBusy: busy, durationMs: arrivalSchedule(arrivals).durationMs,
      gracefulStopMs, startRate, targets: stages.map((s) => s.to), timeUnitMs,
    };
  }

  if (ovRate !== undefined) throw new OptionsError('--rate', ovRate, 'an open-model scenario (load.rate or stages by rate); this one is closed (VUs)');

  // Closed shapes: first their own form, then the overrides.
  let vus: number;
  let durationMs: number;
  let steps: VuStep[] | undefined;
  let startVUs = 0;
  let targets: number[] = [];
  if (shape === 'ramping-vus') {
    let stages = parseStages(load.stages, 'vus');
    startVUs = load.startVUs === undefined ? DEFAULT_START_VUS : positiveInt(load.startVUs, 'load.startVUs', 0);
    const total = sumOver(stages);
    if (total <= 0) throw new OptionsError('load.stages', load.stages, 'stages lasting longer than 0 in total');
    if (ovDurationMs !== undefined) stages = stages.map((s) => ({ ...s, overMs: (s.overMs * ovDurationMs) / total }));
    steps = vuSteps(startVUs, stages);
    targets = stages.map((s) => s.to);
    vus = peakVUs(steps);
    durationMs = sumOver(stages);
    if (vus === 0) throw new OptionsError('load.stages', load.stages, 'a ramp that reaches at least 1 VU');
  } else {
    vus = positiveInt(load.vus, 'load.vus');
    durationMs = shape === 'constant-vus' ? positiveDuration(load.duration, 'load.duration') : 0;
  }

  if (shape === 'per-vu-iterations' && ovIterations === undefined) {
    const iterationsPerVU = positiveInt(load.iterationsPerVU, 'load.iterationsPerVU');
    const maxDurationMs = load.maxDuration !== undefined ? positiveDuration(load.maxDuration, 'load.maxDuration') : ovDurationMs ?? DEFAULT_MAX_DURATION_MS;
    return { model: 'closed', kind: 'per-vu-iterations', vus: ovVus ?? vus, iterationsPerVU, maxDurationMs, gracefulStopMs };
  }

  if (ovIterations !== undefined || shape === 'shared-iterations') {
    const iterations = ovIterations ?? positiveInt(load.iterations, 'load.iterations');
    const maxDurationMs =
      shape === 'shared-iterations' && load.maxDuration !== undefined
        ? positiveDuration(load.maxDuration, 'load.maxDuration')
        : ovDurationMs ?? DEFAULT_MAX_DURATION_MS;
    return { model: 'closed', kind: 'shared-iterations', vus: ovVus ?? vus, iterations, maxDurationMs, gracefulStopMs };
  }
  if (steps && ovVus === undefined) {
    return { model: 'closed', kind: 'ramping-vus', steps, peakVUs: vus, durationMs, gracefulStopMs, startVUs, targets };
  }
  return { model: 'closed', kind: 'constant-vus', vus: ovVus ?? vus, durationMs: ovDurationMs ?? durationMs, gracefulStopMs };
}

function num(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

function perUnit(timeUnitMs: number): string {
  return timeUnitMs === 1000 ? 'it/s' : `it/${formatDuration(timeUnitMs)}`;
}

/** One line a person reads: '200 it/s for 30s (max 500 VUs)'. */
export function describeLoad(load: NormalLoad): string {
  switch (load.kind) {
    case 'constant-vus':
      return `${load.vus} VU${load.vus === 1 ? '' : 's'} for ${formatDuration(load.durationMs)}`;
    case 'shared-iterations':
      return `${load.iterations} iteration${load.iterations === 1 ? '' : 's'} shared by ${load.vus} VU${load.vus === 1 ? '' : 's'} (max ${formatDuration(load.maxDurationMs)})`;
    case 'per-vu-iterations':
      return `${load.iterationsPerVU} iteration${load.iterationsPerVU === 1 ? '' : 's'} per VU × ${load.vus} VU${load.vus === 1 ? '' : 's'} = ${load.iterationsPerVU * load.vus} (max ${formatDuration(load.maxDurationMs)})`;
    case 'ramping-vus':
      return `VUs ${[load.startVUs, ...load.targets].join(' → ')} over ${formatDuration(load.durationMs)}`;
    case 'arrival-rate': {
      const unit = perUnit(load.timeUnitMs);
      const busy = load.whenBusy === 'drop' ? ', drop when busy' : '';
      if (load.targets) {
        return `${[load.startRate ?? 0, ...load.targets].map(num).join(' → ')} ${unit} over ${formatDuration(load.durationMs)} (max ${load.maxVUs} VUs${busy})`;
      }
      return `${num(load.rate ?? 0)} ${unit} for ${formatDuration(load.durationMs)} (max ${load.maxVUs} VUs${busy})`;
    }
  }
}

/**
 * The description of a `load` object as written: the engine's own wording of the shape it would
 * run (static discovery shows what `loadlens list` and the run show). Null when it is not a valid
 * shape, so a half-typed `load` describes nothing instead of throwing.
 */
export function describeLoadShape(load: unknown, overrides?: LoadOverrides): string | null {
  try {
    return describeLoad(normaliseLoad(load, overrides));
  } catch (e) {
    if (e instanceof OptionsError) return null;
    throw e;
  }
}

/** Planned length of the load phase (iteration-bound shapes: their maxDuration, an upper bound). */
export function plannedMsOf(load: NormalLoad): number {
  return load.kind === 'shared-iterations' || load.kind === 'per-vu-iterations' ? load.maxDurationMs : load.durationMs;
}

export function maxVUsOf(load: NormalLoad): number {
  switch (load.kind) {
    case 'ramping-vus':
      return load.peakVUs;
    case 'arrival-rate':
      return load.maxVUs;
    default:
      return load.vus;
  }
}

/** What `loadlens list` and the live views show about a scenario. Throws OptionsError on bad load. */
export function planOf(name: string, def: Pick<ScenarioDefinition, 'load'>, overrides?: LoadOverrides): PlanInfo {
  const load = normaliseLoad(def.load, overrides);
  return { scenario: name, model: load.model, shape: describeLoad(load), plannedMs: plannedMsOf(load), maxVUs: maxVUsOf(load) };
}

/** Checks the non-load fields of a scenario (the load shape is checked by normaliseLoad). */
export function validateScenario(def: unknown): asserts def is ScenarioDefinition {
  if (!isObject(def)) throw new OptionsError('scenario', def, 'scenario({ load, iteration, ... })');
  if (typeof def.iteration !== 'function') throw new OptionsError('iteration', def.iteration, 'a function: async iteration({ http, data, vu, env }) { ... }');
  for (const k of ['setup', 'teardown'] as const) {
    if (def[k] !== undefined && typeof def[k] !== 'function') throw new OptionsError(k, def[k], 'a function');
  }
  if (def.target !== undefined) {
    let ok = false;
    try {
      const u = new URL(def.target as string);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) throw new OptionsError('target', def.target, "an http:// or https:// URL, e.g. 'http://127.0.0.1:8080'");
  }
  if (def.tags !== undefined) {
    if (!isObject(def.tags) || Object.values(def.tags).some((v) => typeof v !== 'string')) {
      throw new OptionsError('tags', def.tags, "an object of string values, e.g. { team: 'checkout' }");
    }
  }
  if (def.tls !== undefined) validateTls(def.tls);
  if (def.http !== undefined) {
    const fields = ['connections', 'timeout', 'cookies', 'insecureSkipTLSVerify', 'maxResponseBodyBytes', 'discardResponseBodies', 'http2', 'expectedStatuses'];
    if (!isObject(def.http)) throw new OptionsError('http', def.http, `{ ${fields.map((f) => f + '?').join(', ')} }`);
    const h = def.http;
    if (h.connections !== undefined) positiveInt(h.connections, 'http.connections');
    if (h.timeout !== undefined) positiveDuration(h.timeout, 'http.timeout');
    if (h.maxResponseBodyBytes !== undefined) positiveInt(h.maxResponseBodyBytes, 'http.maxResponseBodyBytes');
    if (h.cookies !== undefined && typeof h.cookies !== 'boolean' && h.cookies !== 'per-iteration' && h.cookies !== 'per-vu') {
      throw new OptionsError('http.cookies', h.cookies, "'per-iteration' (default: an empty jar as each iteration starts), 'per-vu' (kept across a VU's iterations) or false");
    }
    for (const k of ['insecureSkipTLSVerify', 'discardResponseBodies', 'http2'] as const) {
      if (h[k] !== undefined && typeof h[k] !== 'boolean') throw new OptionsError(`http.${k}`, h[k], 'true or false');
    }
    expectedStatusesOf(h.expectedStatuses, 'http.expectedStatuses');
    for (const k of Object.keys(h)) {
      if (!fields.includes(k)) throw new OptionsError(`http.${k}`, h[k], `only the fields ${fields.join(', ')}`);
    }
  }
  if (def.startTime !== undefined) startTimeMsOf(def);
}

/** A scenario's startTime in ms (0 when not given); OptionsError naming `startTime` when it is not a duration. */
export function startTimeMsOf(def: { startTime?: unknown }): number {
  if (def.startTime === undefined) return 0;
  // parseDuration names the field and what a duration looks like.
  const ms = parseDuration(def.startTime as Duration, 'startTime');
  if (ms < 0) throw new OptionsError('startTime', def.startTime, "a duration from the run's start, e.g. '30s', '1m30s', or a number of seconds");
  return ms;
}

const TLS_FIELDS = ['ca', 'cert', 'key', 'passphrase', 'insecureSkipTLSVerify'];

function isPem(v: unknown): boolean {
  return typeof v === 'string' || ArrayBuffer.isView(v);
}

/** `tls`: known fields of the right types, and PEM that Node's TLS accepts (checked now, not at the first connect). */
function validateTls(t: unknown): void {
  if (!isObject(t)) throw new OptionsError('tls', t, `{ ${TLS_FIELDS.map((f) => f + '?').join(', ')} }`);
  for (const k of Object.keys(t)) if (!TLS_FIELDS.includes(k)) throw new OptionsError(`tls.${k}`, t[k], `only the fields ${TLS_FIELDS.join(', ')}`);
  if (t.ca !== undefined && !(isPem(t.ca) || (Array.isArray(t.ca) && t.ca.every(isPem)))) throw new OptionsError('tls.ca', t.ca, 'PEM text (a string or a Buffer) or an array of them');
  for (const k of ['cert', 'key'] as const) if (t[k] !== undefined && !isPem(t[k])) throw new OptionsError(`tls.${k}`, t[k], 'PEM text (a string or a Buffer)');
  if ((t.cert === undefined) !== (t.key === undefined)) throw new OptionsError(t.cert === undefined ? 'tls.cert' : 'tls.key', undefined, 'tls.cert and tls.key together (a client certificate and its private key)');
  if (t.passphrase !== undefined && typeof t.passphrase !== 'string') throw new OptionsError('tls.passphrase', t.passphrase, 'a string');
  if (t.insecureSkipTLSVerify !== undefined && typeof t.insecureSkipTLSVerify !== 'boolean') throw new OptionsError('tls.insecureSkipTLSVerify', t.insecureSkipTLSVerify, 'true or false');
  for (const k of ['ca', 'cert', 'key'] as const) {
    if (t[k] === undefined) continue;
    const texts = (Array.isArray(t[k]) ? (t[k] as unknown[]) : [t[k]]).map((p) => (typeof p === 'string' ? p : Buffer.from((p as ArrayBufferView).buffer, (p as ArrayBufferView).byteOffset, (p as ArrayBufferView).byteLength).toString('latin1')));
    // Node ignores text without a PEM block in a CA list: say so instead of trusting nothing.
    if (texts.some((p) => !p.includes('-----BEGIN '))) throw new OptionsError(`tls.${k}`, '(not PEM)', "valid PEM text ('-----BEGIN ...'): read the file with readFileSync");
    try {
      if (k === 'ca') createSecureContext({ ca: t.ca as never });
      else if (k === 'cert') createSecureContext({ cert: t.cert as never });
      else createSecureContext({ key: t.key as never, passphrase: t.passphrase as string | undefined });
    } catch (err) {
      throw new OptionsError(`tls.${k}`, '(PEM)', `valid PEM: ${(err as Error).message}`);
    }
  }
}

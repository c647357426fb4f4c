// The scenario API: scenario(), check(), sleep(), group() and custom metrics. check() and the
// metrics record into the sink of the scenario that is running now: run.ts sets it. One slot is
// enough while one scenario runs in the process; a workload mix running several scenarios in one
// process, and group(), need the context of the calling iteration: an AsyncLocalStorage, created
// only then (on Node 20 it costs every promise of the run, so a plain run never pays it).

import { AsyncLocalStorage } from 'node:async_hooks';
import type { ScenarioDefinition, ScenarioOptions, Tags, Duration, MetricKind, MetricSummary } from './types';
import type { MetricsRecorder, RateSeries } from './metrics/recorder';
import { CHECKS, CHECK_TAG, GROUP_DURATION, GROUP_TAG } from './metrics/names';
import { parseDuration } from './duration';
import { OptionsError } from './errors';
import { url } from './http/url';
import { file } from './http/body';

export { url, file };

/** What check() and custom metrics record into while a scenario runs. */
export interface ActiveRun {
  recorder: MetricsRecorder;
  /** The scenario's tags with the system tags `scenario` and `group` (''), added to every custom metric and check. */
  tags: Tags;
  /** @internal check series by group, then check name */
  checks?: Map<string, Map<string, RateSeries>>;
  /** @internal sleep() call sites by generated position (see unawaitedSleeps) */
  sleeps?: Map<string, SleepSite>;
  /** Counts a stray promise rejection in the run's errors by kind; returns its count so far. */
  unhandledRejection?(reason: unknown): number;
}

let active: ActiveRun | null = null;
/** Runs active in this process, in the order they started (a workload mix runs several). */
const actives: ActiveRun[] = [];

/** @internal Used by run.ts: the run that check() and custom metrics record into, from now. */
export function enterRun(run: ActiveRun): void {
  actives.push(run);
  active = run;
}

/** @internal Used by run.ts: `run` has ended; the slot falls back to a run still going, if any. */
export function leaveRun(run: ActiveRun): void {
  const i = actives.lastIndexOf(run);
  if (i >= 0) actives.splice(i, 1);
  active = actives.length > 0 ? actives[actives.length - 1] : null;
}

/** What an iteration runs in: its scenario's run and the group it is in (k6's '::a::b', '' at the top). */
interface RunContext {
  run: ActiveRun;
  group: string;
  /** run.tags with this group (the run's own object at the top level). */
  tags: Tags;
}

/** Created by the first concurrent scenario or group(): until then nothing pays for it. */
let contexts: AsyncLocalStorage<RunContext> | null = null;

function contextStore(): AsyncLocalStorage<RunContext> {
  return (contexts ??= new AsyncLocalStorage<RunContext>());
}

/** @internal */
export function activeRun(): ActiveRun | null {
  const c = contexts?.getStore();
  return c !== undefined ? c.run : active;
}

/** @internal The group the calling code is in ('' outside any group): the HTTP client tags requests with it. */
export function currentGroup(): string {
  const c = contexts === null ? undefined : contexts.getStore();
  return c === undefined ? '' : c.group;
}

/**
 * @internal Used by run.ts when several scenarios share this process: `fn` (an iteration, setup,
 * teardown) and everything it awaits record into `run`, whichever scenario ran last.
 */
export function runIn<T>(run: ActiveRun, fn: () => T): T {
  return contextStore().run({ run, group: '', tags: run.tags }, fn);
}

/** k6's group names: no '::', which separates nested groups in the `group` tag. */
function checkGroupName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('::')) {
    throw new TypeError(`group(): the name must be a non-empty string without '::' (got ${JSON.stringify(name)})`);
  }
}

/**
 * Runs `fn` as a group, as k6's group(): every request, check and custom metric inside is
 * tagged `group: '::name'` (nested: '::outer::inner'), and the group's time is recorded in
 * `group_duration`. Resolves to what `fn` returns; `fn` may be async (await the group).
 */
export async function group<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  checkGroupName(name);
  const store = contextStore();
  const outer = store.getStore();
  const run = outer !== undefined ? outer.run : active;
  const path = `${outer !== undefined ? outer.group : ''}::${name}`;
  const tags = run !== null ? { ...run.tags, [GROUP_TAG]: path } : {};
  // Outside a run (a module's top level), a group only runs its function.
  if (run === null) return await fn();
  const t0 = performance.now();
  try {
    return await store.run({ run, group: path, tags }, fn);
  } finally {
    run.recorder.series('trend', GROUP_DURATION, tags, 'time').record((performance.now() - t0) * 1000);
  }
}

/** Where the one-time "used outside a run" warning goes; undefined: nowhere (yet). */
let outsideRunListener: ((message: string, stack: string | undefined) => void) | undefined;
let warnedOutsideRun = false;

/**
 * @internal Set up by each host's main (src/runner/thread.ts, in-process.ts, and worker-thread.ts,
 * which relays it to the runner): told once when check() or a custom metric is used while no
 * scenario runs, which records nothing.
 */
export function onUseOutsideRun(listener: (message: string, stack: string | undefined) => void): void {
  outsideRunListener = listener;
}

function usedOutsideRun(what: string): void {
  if (warnedOutsideRun || outsideRunListener === undefined) return;
  warnedOutsideRun = true;
  const trace: { stack?: string } = {};
  Error.captureStackTrace(trace, usedOutsideRun);
  outsideRunListener(
    `${what} was called while no scenario runs (at the file's top level, or after its run ended): it recorded nothing. ` +
      'Call it from iteration(), setup() or teardown(); this is said once.',
    trace.stack,
  );
}

/**
 * @internal A promise rejection nobody handled (the host's 'unhandledRejection' event): counted
 * in the running scenario's errors by kind like an iteration error. Returns how many times this
 * message occurred so far, or undefined when no load is running (setup in a worker parent, or
 * after the run).
 */
export function recordUnhandledRejection(reason: unknown): number | undefined {
  return active?.unhandledRejection?.(reason);
}

/**
 * Declares a scenario: export it from a `*.load.ts` file. The options are checked when the
 * scenario is listed or run (errors name the field, the value and what is allowed).
 */
export function scenario<D = unknown>(options: ScenarioOptions<D>): ScenarioDefinition<D> {
  return { ...options, __loadlensScenario: true } as ScenarioDefinition<D>;
}

/**
 * Runs each named predicate on `value` and records it in the `checks` rate (tag check:<name>).
 * Never throws: a predicate that throws (or returns a promise: checks are synchronous) counts
 * as a failure. True when every check passed.
 */
export function check<T>(value: T, checks: Record<string, (value: T) => unknown>): boolean {
  // The calling iteration's run and group when several share the process or groups are used.
  const c = contexts === null ? undefined : contexts.getStore();
  const run = c !== undefined ? c.run : active;
  const groupPath = c !== undefined ? c.group : '';
  if (run === null) usedOutsideRun('check()');
  let all = true;
  for (const name in checks) {
    let pass: boolean;
    try {
      const r = checks[name](value);
      // A promise is not a verdict (checks are synchronous): count it as a failure, not a pass.
      pass = !!r && typeof (r as { then?: unknown }).then !== 'function';
    } catch {
      pass = false;
    }
    if (!pass) all = false;
    if (run !== null) {
      const groups = (run.checks ??= new Map());
      let map = groups.get(groupPath);
      if (map === undefined) groups.set(groupPath, (map = new Map()));
      let s = map.get(name);
      if (s === undefined) {
        s = run.recorder.series('rate', CHECKS, { ...(c !== undefined ? c.tags : run.tags), [CHECK_TAG]: name });
        map.set(name, s);
      }
      s.add(pass);
    }
  }
  return all;
}

/**
 * Pauses the iteration: `await sleep(1)` (a number is seconds, as in k6) or `await sleep('100ms')`.
 * Await it: a sleep nobody awaits pauses nothing (the run warns once, naming the line).
 */
export function sleep(d: Duration): Promise<void> {
  const ms = parseDuration(d, 'sleep()');
  const run = activeRun();
  if (run === null) return new Promise((resolve) => setTimeout(resolve, ms));
  const site = sleepSite(run);
  const p = new SleepPromise((resolve) => setTimeout(resolve, ms));
  if (site !== undefined) {
    site.open++;
    p.site = site;
  }
  return p;
}

// Un-awaited sleeps. Which iteration called sleep() is not known without async context
// tracking (AsyncLocalStorage costs every promise of the run on Node 20), so the test is on the
// promise: whoever awaits it (await, then, catch, finally, Promise.all...) calls its then().
// A sleep whose then() was never called by the end of the run was pending when its iteration
// ended. Counted per call site: the run keeps one stack per site, not one per sleep.

interface SleepSite {
  /** Sleeps from this site nobody has awaited (yet). */
  open: number;
  /** Captured with Error.captureStackTrace and formatted only when reported (source-mapped). */
  readonly trace: { stack?: string };
}

/** A sleep's promise: a subclass, so `await` calls its then() (a native promise skips it). */
class SleepPromise extends Promise<void> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  site: SleepSite | undefined = undefined;
  override then<A = void, B = never>(
    onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const site = this.site;
    if (site !== undefined) {
      this.site = undefined;
      site.open--;
    }
    return super.then(onFulfilled, onRejected);
  }
}

/** CallSites instead of a stack string, for the cheap call site key. */
const callSites = (_: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

/** The call site of the sleep() being called now, keyed by its generated position. */
function sleepSite(run: ActiveRun): SleepSite | undefined {
  const holder: { stack?: unknown } = {};
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let frames: unknown;
  // One frame, as CallSites: the key costs a few µs, not the tens a formatted stack would.
  Error.prepareStackTrace = callSites as never;
  Error.stackTraceLimit = 1;
  try {
    Error.captureStackTrace(holder, sleep);
    frames = holder.stack;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  const top = Array.isArray(frames) ? (frames[0] as NodeJS.CallSite | undefined) : undefined;
  if (top === undefined) return undefined;
  const key = `${top.getFileName()}:${top.getLineNumber()}:${top.getColumnNumber()}`;
  const sites = (run.sleeps ??= new Map());
  let site = sites.get(key);
  if (site === undefined) {
    if (sites.size >= MAX_SLEEP_SITES) return undefined;
    const trace: { stack?: string } = {};
    Error.captureStackTrace(trace, sleep);
    site = { open: 0, trace };
    sites.set(key, site);
  }
  return site;
}

const MAX_SLEEP_SITES = 1000;

/**
 * @internal Used by run.ts at the end of a run: the stacks (source-mapped, formatted now) of the
 * call sites with a sleep() that nobody awaited.
 */
export function unawaitedSleeps(run: ActiveRun): string[] {
  const out: string[] = [];
  for (const site of run.sleeps?.values() ?? []) {
    if (site.open > 0 && typeof site.trace.stack === 'string') out.push(`Error: sleep() not awaited\n${site.trace.stack.split('\n').slice(1).join('\n')}`);
  }
  return out;
}

const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Custom metrics created while a scenario module loads (collectDeclaredMetrics), by name. */
let declaring: Map<string, MetricKind[]> | null = null;

/**
 * @internal Runs `load` (a scenario module's top level) and returns the custom metrics it
 * created, with their kinds: what thresholds may name besides the built-ins. Metrics created
 * later (inside iteration or setup) are not known before the run.
 */
export function collectDeclaredMetrics<T>(load: () => T): { value: T; metrics: Map<string, MetricKind[]> } {
  const outer = declaring;
  const metrics = new Map<string, MetricKind[]>();
  declaring = metrics;
  try {
    return { value: load(), metrics };
  } finally {
    declaring = outer;
  }
}

/**
 * Common part of custom metrics: the name, the unit (isTime: values are milliseconds and print
 * as times, as in k6), and the series handle for untagged adds per run.
 */
abstract class CustomMetric<S> {
  private run: ActiveRun | null = null;
  private plain: S | null = null;

  constructor(readonly name: string, readonly isTime = false) {
    if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
      throw new OptionsError('metric name', name, 'letters, digits and underscores, not starting with a digit (at most 128)');
    }
    if (declaring !== null) {
      // The subclass's getter lives on its prototype: readable here already.
      const kind = (this as { readonly kind: MetricKind }).kind;
      const kinds = declaring.get(name) ?? [];
      if (!kinds.includes(kind)) kinds.push(kind);
      declaring.set(name, kinds);
    }
  }

  /** The metric's kind (a prototype getter, so the base constructor can read it). */
  abstract get kind(): MetricKind;

  /** The unit declared to the recorder with each series. */
  protected get contains(): MetricSummary['contains'] {
    return this.isTime ? 'time' : 'default';
  }

  protected abstract seriesFor(run: ActiveRun, tags: Tags): S;

  /** The series to record into, or null outside a run. */
  protected target(tags: Tags | undefined): S | null {
    const c = contexts === null ? null : contexts.getStore();
    // Inside a group or a mix: the calling iteration's run and group (series cached by the recorder).
    if (c !== undefined && c !== null) return this.seriesFor(c.run, tags !== undefined ? { ...c.tags, ...tags } : c.tags);
    const run = active;
    if (run === null) {
      usedOutsideRun(`metric "${this.name}"`);
      return null;
    }
    if (tags !== undefined) return this.seriesFor(run, { ...run.tags, ...tags });
    if (this.run !== run) {
      this.run = run;
      this.plain = this.seriesFor(run, run.tags);
    }
    return this.plain;
  }
}

/** A running total, e.g. `new Counter('orders').add(1)` (`new Counter('wait_ms', true)` sums times). */
export class Counter extends CustomMetric<{ add(n: number): void }> {
  get kind(): MetricKind {
    return 'counter';
  }
  add(value: number, tags?: Tags): void {
    this.target(tags)?.add(value);
  }
  protected seriesFor(run: ActiveRun, tags: Tags) {
    return run.recorder.series('counter', this.name, tags, this.contains);
  }
}

/** The last value set, with min and max, e.g. `new Gauge('queue_depth').add(12)`. */
export class Gauge extends CustomMetric<{ set(v: number): void }> {
  get kind(): MetricKind {
    return 'gauge';
  }
  add(value: number, tags?: Tags): void {
    this.target(tags)?.set(value);
  }
  protected seriesFor(run: ActiveRun, tags: Tags) {
    return run.recorder.series('gauge', this.name, tags, this.contains);
  }
}

/**
 * The share of true (non-zero) values, e.g. `new Rate('cache_hit').add(res.headers['x-cache'] === 'HIT')`.
 * isTime is accepted as in k6, and changes nothing: a share has no unit.
 */
export class Rate extends CustomMetric<{ add(pass: boolean): void }> {
  get kind(): MetricKind {
    return 'rate';
  }
  add(value: boolean | number, tags?: Tags): void {
    this.target(tags)?.add(!!value);
  }
  protected seriesFor(run: ActiveRun, tags: Tags) {
    return run.recorder.series('rate', this.name, tags);
  }
}

/**
 * A distribution with percentiles, e.g. `new Trend('parse_ms', true).add(3.2)`. Values are kept
 * at 0.001 resolution (milliseconds with µs precision when isTime), from 0 to 3.6 million.
 */
export class Trend extends CustomMetric<{ record(micros: number): void }> {
  get kind(): MetricKind {
    return 'trend';
  }
  add(value: number, tags?: Tags): void {
    this.target(tags)?.record(value * 1000);
  }
  protected seriesFor(run: ActiveRun, tags: Tags) {
    return run.recorder.series('trend', this.name, tags, this.contains);
  }
}

/** Everything a scenario file can import from 'loadlens' at run time. */
export const api = { scenario, check, sleep, group, url, file, Counter, Gauge, Rate, Trend };

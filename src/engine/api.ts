// The scenario API: scenario(), check(), sleep() and custom metrics. check() and the metrics
// record into the sink of the scenario that is running now: run.ts sets it (scenarios of a
// file run one after another, so one slot is enough).

import type { ScenarioDefinition, ScenarioOptions, Tags, Duration, MetricSummary } from './types';
import type { MetricsRecorder, RateSeries } from './metrics/recorder';
import { CHECKS, CHECK_TAG } from './metrics/names';
import { parseDuration } from './duration';
import { OptionsError } from './errors';
import { url } from './http/url';

export { url };

/** What check() and custom metrics record into while a scenario runs. */
export interface ActiveRun {
  recorder: MetricsRecorder;
  /** The scenario's tags, added to every custom metric and check. */
  tags: Tags;
  /** @internal check series by check name */
  checks?: Map<string, RateSeries>;
}

let active: ActiveRun | null = null;

/** @internal Used by run.ts: the run that check() and custom metrics record into. */
export function setActiveRun(run: ActiveRun | null): void {
  active = run;
}

/** @internal */
export function activeRun(): ActiveRun | null {
  return active;
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
  const run = active;
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
      const map = (run.checks ??= new Map());
      let s = map.get(name);
      if (s === undefined) {
        s = run.recorder.series('rate', CHECKS, { ...run.tags, [CHECK_TAG]: name });
        map.set(name, s);
      }
      s.add(pass);
    }
  }
  return all;
}

/** Pauses the iteration: `await sleep('100ms')` (or a number of milliseconds). */
export function sleep(d: Duration): Promise<void> {
  const ms = parseDuration(d, 'sleep()');
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

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
  }

  /** The unit declared to the recorder with each series. */
  protected get contains(): MetricSummary['contains'] {
    return this.isTime ? 'time' : 'default';
  }

  protected abstract seriesFor(run: ActiveRun, tags: Tags): S;

  /** The series to record into, or null outside a run. */
  protected target(tags: Tags | undefined): S | null {
    const run = active;
    if (run === null) return null;
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
  add(value: number, tags?: Tags): void {
    this.target(tags)?.add(value);
  }
  protected seriesFor(run: ActiveRun, tags: Tags) {
    return run.recorder.series('counter', this.name, tags, this.contains);
  }
}

/** The last value set, with min and max, e.g. `new Gauge('queue_depth').add(12)`. */
export class Gauge extends CustomMetric<{ set(v: number): void }> {
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
  add(value: number, tags?: Tags): void {
    this.target(tags)?.record(value * 1000);
  }
  protected seriesFor(run: ActiveRun, tags: Tags) {
    return run.recorder.series('trend', this.name, tags, this.contains);
  }
}

/** Everything a scenario file can import from 'loadlens' at run time. */
export const api = { scenario, check, sleep, url, Counter, Gauge, Rate, Trend };

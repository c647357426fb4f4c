// Thresholds in k6 syntax: keys `metric` or `metric{tag:value,...}`, expressions
// `<aggregation> <operator> <number>` such as `p(95) < 200`, `rate < 0.01`, `count > 10`.

import type { MetricKind, ScenarioOptions, Tags, ThresholdSpec } from './types';
import { OptionsError } from './errors';
import { parseDuration } from './duration';
import { BUILTIN_METRICS, SCENARIO_TAG } from './metrics/names';

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** An aggregation: a fixed name, or a percentile p(N) with N in [0, 100]. */
export type Aggregation =
  | { name: 'avg' | 'min' | 'med' | 'max' | 'count' | 'rate' | 'value' }
  | { name: 'p'; percentile: number };

export interface ParsedThreshold {
  /** The key as written, e.g. 'http_req_duration{name:items}'. */
  key: string;
  metric: string;
  /** Tag filter: the threshold covers every tag set that includes all of these. */
  filter: Tags;
  /** The expression as written. */
  expression: string;
  aggregation: Aggregation;
  op: ThresholdOperator;
  /** The bound (milliseconds for time trends). */
  bound: number;
  abortOnFail: boolean;
  /** abortOnFail waits this long into the run before it may abort. */
  delayAbortEvalMs: number;
  /** Where it was written, e.g. 'thresholds["http_req_duration"][0]', for messages. */
  field: string;
}

/** Aggregations each metric kind supports (k6's, plus min/max for gauges). */
export const AGGREGATIONS_BY_KIND: Readonly<Record<MetricKind, readonly string[]>> = {
  trend: ['avg', 'min', 'med', 'max', 'p(N)'],
  counter: ['count', 'rate'],
  rate: ['rate'],
  gauge: ['value', 'min', 'max'],
};

const OPERATORS = '<, <=, >, >=, ==, !='; // and === as an alias of ==, as k6 accepts
const KEY = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s*$/s;
const EXPRESSION =
  /^\s*(avg|min|med|max|count|rate|value|p\(\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*\))\s*(===|==|!=|<=|>=|<|>)\s*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*$/;

/**
 * Parses every threshold of a scenario. `kindOf` tells the kind of metrics known so far
 * (built-ins always); for those, an aggregation the kind does not support is an error.
 */
export function parseThresholds(
  thresholds: ScenarioOptions['thresholds'],
  kindOf: (metric: string) => MetricKind | undefined = (m) => BUILTIN_METRICS[m]?.kind,
): ParsedThreshold[] {
  if (thresholds === undefined) return [];
  if (thresholds === null || typeof thresholds !== 'object' || Array.isArray(thresholds)) {
    throw new OptionsError('thresholds', thresholds, `an object mapping metric names to expressions, e.g. { http_req_duration: ['p(95) < 200'] }`);
  }
  const out: ParsedThreshold[] = [];
  for (const [key, specs] of Object.entries(thresholds)) {
    const keyField = `thresholds[${JSON.stringify(key)}]`;
    const { metric, filter } = parseThresholdKey(key, keyField);
    const list = Array.isArray(specs) ? specs : [specs];
    list.forEach((spec, i) => {
      const field = Array.isArray(specs) ? `${keyField}[${i}]` : keyField;
      out.push(parseThresholdSpec(key, metric, filter, spec, field, kindOf(metric)));
    });
  }
  return out;
}

/** `http_req_duration{name:items,method:GET}` → metric and tag filter. */
export function parseThresholdKey(key: string, field: string): { metric: string; filter: Tags } {
  const allowed = 'a metric name with optional tag filters, e.g. http_req_duration or http_req_duration{name:items,method:GET}';
  const m = KEY.exec(key);
  if (!m) throw new OptionsError(field, key, allowed);
  const filter: Tags = {};
  if (m[2] !== undefined) {
    for (const pair of m[2].split(',')) {
      const colon = pair.indexOf(':');
      const tag = pair.slice(0, colon).trim();
      const value = stripQuotes(pair.slice(colon + 1).trim());
      if (colon < 0 || !tag || !value) throw new OptionsError(field, key, `${allowed} (each filter is tag:value)`);
      filter[tag] = value;
    }
  }
  return { metric: m[1], filter };
}

function stripQuotes(s: string): string {
  return /^(["']).*\1$/s.test(s) ? s.slice(1, -1) : s;
}

function parseThresholdSpec(
  key: string,
  metric: string,
  filter: Tags,
  spec: ThresholdSpec,
  field: string,
  kind: MetricKind | undefined,
): ParsedThreshold {
  let expression: unknown = spec;
  let abortOnFail = false;
  let delayAbortEvalMs = 0;
  let exprField = field;
  if (spec !== null && typeof spec === 'object') {
    expression = spec.threshold;
    exprField = `${field}.threshold`;
    if (spec.abortOnFail !== undefined) {
      if (typeof spec.abortOnFail !== 'boolean') throw new OptionsError(`${field}.abortOnFail`, spec.abortOnFail, 'true or false');
      abortOnFail = spec.abortOnFail;
    }
    if (spec.delayAbortEval !== undefined) delayAbortEvalMs = parseDuration(spec.delayAbortEval, `${field}.delayAbortEval`);
  } else if (typeof spec !== 'string') {
    throw new OptionsError(field, spec, `an expression string such as 'p(95) < 200', or { threshold, abortOnFail?, delayAbortEval? }`);
  }
  const { aggregation, op, bound } = parseExpression(expression, exprField, metric, kind);
  return { key, metric, filter, expression: String(expression).trim(), aggregation, op, bound, abortOnFail, delayAbortEvalMs, field };
}

function parseExpression(expression: unknown, field: string, metric: string, kind: MetricKind | undefined) {
  const aggs = kind ? `${AGGREGATIONS_BY_KIND[kind].join(', ')} for ${metric} (a ${kind})` : 'avg, min, med, max, p(N), count, rate or value';
  const allowed = `'<aggregation> <operator> <number>' such as 'p(95) < 200', with aggregation ${aggs} and operator ${OPERATORS}`;
  if (typeof expression !== 'string') throw new OptionsError(field, expression, allowed);
  const m = EXPRESSION.exec(expression);
  if (!m) throw new OptionsError(field, expression, allowed);
  const aggregation: Aggregation = m[2] !== undefined ? { name: 'p', percentile: Number(m[2]) } : { name: m[1] as 'avg' };
  if (aggregation.name === 'p' && aggregation.percentile > 100) {
    throw new OptionsError(field, expression, `a percentile p(N) with N between 0 and 100`);
  }
  if (kind && !supports(kind, aggregation)) {
    throw new OptionsError(field, expression, `an aggregation valid for ${metric} (a ${kind}): ${AGGREGATIONS_BY_KIND[kind].join(', ')}`);
  }
  const op = (m[3] === '===' ? '==' : m[3]) as ThresholdOperator;
  return { aggregation, op, bound: Number(m[4]) };
}

/** A threshold names a metric that is neither built in nor created at the module's top level. */
export class UnknownMetricError extends OptionsError {
  override name = 'UnknownMetricError';
  constructor(
    /** The threshold's key as written, e.g. 'http_req_duraton{name:items}'. */
    readonly key: string,
    readonly metric: string,
    readonly scenario: string,
    /** The closest known name, when one is close enough. */
    readonly suggestion: string | undefined,
    where = `scenario ${scenario}`,
  ) {
    super(`thresholds[${JSON.stringify(key)}]`, key, 'a built-in metric or a custom metric created at the top level of the scenario file');
    this.message = suggestion
      ? `thresholds: unknown metric '${metric}' in ${where}; did you mean '${suggestion}'?`
      : `thresholds: unknown metric '${metric}' in ${where}: neither a built-in metric nor a custom metric ` +
        `created at the top level of the scenario file. A custom metric a threshold names must be created when the module ` +
        `loads (e.g. const m = new Counter('${metric}') outside iteration()), so it is known before the run.\n` +
        `Built-in metrics: ${Object.keys(BUILTIN_METRICS).join(', ')}`;
  }
}

/** What a threshold's tag filter may name: the tags that samples of the run can carry. */
export interface KnownTags {
  /** Tag names: the system tags, the scenarios' `tags`, the tags the file writes in `tags: {...}` and custom metric adds. */
  tags: ReadonlySet<string>;
  /** The file's scenario names: the values `scenario:` may take. */
  scenarios: readonly string[];
}

/** A threshold filters on a tag no sample of the run carries (or on a scenario the file does not export). */
export class UnknownTagError extends OptionsError {
  override name = 'UnknownTagError';
  constructor(
    /** The threshold's key as written, e.g. 'http_req_duration{scenrio:checkout}'. */
    readonly key: string,
    readonly tag: string,
    where: string,
    known: KnownTags,
    value?: string,
  ) {
    super(`thresholds[${JSON.stringify(key)}]`, key, 'a filter on a tag the samples carry');
    if (value !== undefined) {
      const suggestion = closestName(value, known.scenarios);
      this.message = `thresholds: ${JSON.stringify(key)} in ${where} filters on scenario '${value}', which the file does not export` +
        (suggestion ? `; did you mean '${suggestion}'?` : `; it exports ${known.scenarios.join(', ')}`);
    } else {
      const suggestion = closestName(tag, known.tags);
      this.message = `thresholds: ${JSON.stringify(key)} in ${where} filters on the unknown tag '${tag}'` +
        (suggestion ? `; did you mean '${suggestion}'?` : '.') +
        ` Known tags: ${[...known.tags].sort().join(', ')}`;
    }
  }
}

/** Checks each threshold's tag filter against the tags the run's samples can carry (throws UnknownTagError). */
export function checkThresholdTags(parsed: readonly ParsedThreshold[], known: KnownTags, where: string): void {
  for (const t of parsed) {
    for (const [tag, value] of Object.entries(t.filter)) {
      if (!known.tags.has(tag)) throw new UnknownTagError(t.key, tag, where, known);
      if (tag === SCENARIO_TAG && !known.scenarios.includes(value)) throw new UnknownTagError(t.key, tag, where, known, value);
    }
  }
}

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours) between two names. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known name closest to `name`, if it is close enough to be a likely typo. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const distance = editDistance(name.toLowerCase(), k.toLowerCase());
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * Parses a scenario's thresholds against the metrics known before the run: the built-ins and the
 * custom metrics its module created at load (name → kinds; a name declared with two kinds gets
 * no aggregation check). An unknown metric name throws UnknownMetricError with the closest
 * known name; an aggregation the metric's kind does not support throws OptionsError.
 */
export function checkThresholds(
  thresholds: ScenarioOptions['thresholds'],
  scenario: string,
  custom: ReadonlyMap<string, readonly MetricKind[]>,
  knownTags?: KnownTags,
  /** How messages name where the thresholds were written. */
  where = `scenario ${scenario}`,
): ParsedThreshold[] {
  const kindOf = (m: string): MetricKind | undefined => {
    const builtin = BUILTIN_METRICS[m]?.kind;
    if (builtin) return builtin;
    const kinds = custom.get(m);
    return kinds?.length === 1 ? kinds[0] : undefined;
  };
  const parsed = parseThresholds(thresholds, kindOf);
  for (const t of parsed) {
    if (BUILTIN_METRICS[t.metric] || custom.has(t.metric)) continue;
    throw new UnknownMetricError(t.key, t.metric, scenario, closestName(t.metric, [...Object.keys(BUILTIN_METRICS), ...custom.keys()]), where);
  }
  if (knownTags !== undefined) checkThresholdTags(parsed, knownTags, where);
  return parsed;
}

export function supports(kind: MetricKind, aggregation: Aggregation): boolean {
  const name = aggregation.name === 'p' ? 'p(N)' : aggregation.name;
  return AGGREGATIONS_BY_KIND[kind].includes(name);
}

/** 'p(95)', 'avg'... as k6 names the value in summaries. */
export function aggregationLabel(aggregation: Aggregation): string {
  return aggregation.name === 'p' ? `p(${aggregation.percentile})` : aggregation.name;
}

export function compare(observed: number, op: ThresholdOperator, bound: number): boolean {
  switch (op) {
    case '<': return observed < bound;
    case '<=': return observed <= bound;
    case '>': return observed > bound;
    case '>=': return observed >= bound;
    case '==': return observed === bound;
    case '!=': return observed !== bound;
  }
}

/**
 * Aggregated values of one metric (over the tag sets a threshold's filter selects), as the
 * evaluator needs them. Trend figures are in the metric's display unit (ms for time trends).
 */
export type ObservedMetric =
  | { kind: 'trend'; count: number; avg: number; min: number; max: number; percentile(p: number): number }
  | { kind: 'counter'; count: number; rate: number }
  | { kind: 'rate'; passes: number; fails: number }
  | { kind: 'gauge'; value: number; min: number; max: number };

/** The value a threshold compares, or null when there is nothing to compare (no data, wrong kind). */
export function observe(t: ParsedThreshold, data: ObservedMetric | undefined): number | null {
  if (data === undefined) return null;
  if (!supports(data.kind, t.aggregation)) return null;
  const agg = t.aggregation;
  switch (data.kind) {
    case 'trend':
      if (data.count === 0) return null;
      if (agg.name === 'p') return data.percentile(agg.percentile);
      if (agg.name === 'med') return data.percentile(50);
      return agg.name === 'avg' ? data.avg : agg.name === 'min' ? data.min : data.max;
    case 'counter':
      return agg.name === 'count' ? data.count : data.rate;
    case 'rate': {
      const total = data.passes + data.fails;
      return total === 0 ? null : data.passes / total;
    }
    case 'gauge':
      return agg.name === 'value' ? data.value : agg.name === 'min' ? data.min : data.max;
  }
}

/**
 * A threshold passes when its observed value satisfies the comparison. No data (null) fails:
 * a threshold that could not be checked (a misspelt tag filter, an endpoint never hit) must
 * not pass silently in CI. Counters without data count 0, so `count < 10` still passes.
 */
export function evaluate(t: ParsedThreshold, observed: number | null): boolean {
  return observed !== null && compare(observed, t.op, t.bound);
}

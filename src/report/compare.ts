// Comparing two runs: the table of deltas (headline figures and per endpoint), the `--fail-on`
// regression rules, and reading the files a run leaves (--summary-export, a saved run of
// .loadlens/runs/, an --out JSON lines file). Pure (no fs, no vscode): the CLI's `loadlens compare`
// and the panel's Compare both use it, so they show the same figures.

import type { MetricSummary, SummaryData, Tags } from '../engine/types';
import { parseThresholdKey } from '../engine/thresholds';
import { summaryFigures, type Figure } from '../view-model/reducers';
import { formatBytes, formatCount, formatDelta, formatMs, formatPercent } from '../presentation/format';
import { CHECKS, HTTP_REQ_DURATION, HTTP_REQ_FAILED, HTTP_REQS } from '../engine/metrics/names';

export interface CompareRow {
  key: string;
  label: string;
  unit: Figure['unit'];
  a: number | null;
  b: number | null;
  /** For latencies and failures lower is better; for throughput and checks higher is. */
  better: 'lower' | 'higher';
}

const HIGHER_IS_BETTER = new Set(['rps', 'requests', 'iterations', 'checks']);

function checksRate(s: SummaryData): number | null {
  const v = s.metrics[CHECKS]?.values;
  if (v && v.passes + v.fails > 0) return v.passes / (v.passes + v.fails);
  const passes = s.checks.reduce((n, c) => n + c.passes, 0);
  const total = passes + s.checks.reduce((n, c) => n + c.fails, 0);
  return total > 0 ? passes / total : null;
}

/** Headline figures of a run (summaryFigures) and the checks' pass rate. */
function figures(s: SummaryData): Figure[] {
  return [...summaryFigures(s), { key: 'checks', label: 'checks passed', value: checksRate(s), unit: 'percent' }];
}

/** The headline figures of two runs side by side (A = base, B = new). */
export function compareRows(a: SummaryData, b: SummaryData): CompareRow[] {
  const fb = new Map(figures(b).map((f) => [f.key, f]));
  return figures(a).map((f) => ({
    key: f.key, label: f.label, unit: f.unit, a: f.value, b: fb.get(f.key)?.value ?? null,
    better: HIGHER_IS_BETTER.has(f.key) ? 'higher' : 'lower',
  }));
}

/** A figure in its unit, with the panel's formats. */
export function formatFigure(unit: Figure['unit'] | 'bytes', n: number): string {
  return unit === 'ms' ? formatMs(n) : unit === 'percent' ? formatPercent(n) : unit === 'bytes' ? formatBytes(n) : formatCount(n);
}

/** Tag filter as text, e.g. 'name=checkout', 'method=GET name=items' (sorted: one endpoint, one text). */
export function tagsText(tags: Tags): string {
  return Object.keys(tags).sort().map((k) => `${k}=${tags[k]}`).join(' ');
}

function sameTags(a: Tags, b: Tags): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The summary entry of `metric` with exactly the tag filter `tags` (keys are compared parsed, not as written). */
export function findMetric(s: SummaryData, metric: string, tags: Tags): MetricSummary | undefined {
  for (const [key, m] of Object.entries(s.metrics)) {
    let parsed;
    try {
      parsed = parseThresholdKey(key, key);
    } catch {
      continue;
    }
    if (parsed.metric === metric && sameTags(parsed.filter, tags)) return m;
  }
  return undefined;
}

/** Tag filters of the HTTP metrics in a summary: the endpoints (per `name`, URL, method...) it has figures for. */
function endpointFilters(s: SummaryData): Tags[] {
  const out: Tags[] = [];
  for (const key of Object.keys(s.metrics)) {
    let parsed;
    try {
      parsed = parseThresholdKey(key, key);
    } catch {
      continue;
    }
    if (![HTTP_REQ_DURATION, HTTP_REQS, HTTP_REQ_FAILED].includes(parsed.metric) || Object.keys(parsed.filter).length === 0) continue;
    if (!out.some((t) => sameTags(t, parsed.filter))) out.push(parsed.filter);
  }
  return out;
}

function endpointFigures(s: SummaryData, tags: Tags): Record<string, number | null> {
  const d = findMetric(s, HTTP_REQ_DURATION, tags)?.values ?? {};
  const r = findMetric(s, HTTP_REQS, tags)?.values ?? {};
  const f = findMetric(s, HTTP_REQ_FAILED, tags)?.values ?? {};
  return { requests: r.count ?? null, rps: r.rate ?? null, failed: f.rate ?? null, p50: d.med ?? d['p(50)'] ?? null, p95: d['p(95)'] ?? null, p99: d['p(99)'] ?? null };
}

const ENDPOINT_ROWS: Array<Pick<CompareRow, 'key' | 'label' | 'unit'>> = [
  { key: 'p50', label: 'p50', unit: 'ms' },
  { key: 'p95', label: 'p95', unit: 'ms' },
  { key: 'p99', label: 'p99', unit: 'ms' },
  { key: 'requests', label: 'requests', unit: 'count' },
  { key: 'rps', label: 'req/s', unit: 'rate' },
  { key: 'failed', label: 'failed', unit: 'percent' },
];

/** Per-endpoint totals a saved run may carry beyond its summary (`endpoints`: method and `name` tag; ms). */
export interface EndpointTotals {
  tags: Tags;
  requests: number;
  failed: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface EndpointComparison {
  /** The tag filter that selects the endpoint, e.g. { name: 'checkout' }. */
  tags: Tags;
  label: string;
  /** Only the figures at least one run has. */
  rows: CompareRow[];
}

/**
 * Per endpoint: every tag-filtered http_req_duration / http_reqs / http_req_failed entry either
 * summary holds (as k6's sub-metrics: 'http_req_duration{name:checkout}'), matched by tag filter.
 */
export function compareEndpoints(a: SummaryData, b: SummaryData, totalsA: EndpointTotals[] = [], totalsB: EndpointTotals[] = []): EndpointComparison[] {
  const filters: Tags[] = [];
  for (const t of [...totalsA.map((e) => e.tags), ...totalsB.map((e) => e.tags), ...endpointFilters(a), ...endpointFilters(b)]) {
    if (!filters.some((f) => sameTags(f, t))) filters.push(t);
  }
  const figuresOf = (s: SummaryData, totals: EndpointTotals[], tags: Tags) => {
    const e = totals.find((x) => sameTags(x.tags, tags));
    if (!e) return endpointFigures(s, tags);
    const seconds = s.state.testRunDurationMs / 1000;
    return { requests: e.requests, rps: seconds > 0 ? e.requests / seconds : null, failed: e.requests > 0 ? e.failed / e.requests : null, p50: e.p50, p95: e.p95, p99: e.p99 };
  };
  return filters
    .map((tags) => {
      const fa = figuresOf(a, totalsA, tags);
      const fb = figuresOf(b, totalsB, tags);
      const rows = ENDPOINT_ROWS.map((r) => ({ ...r, a: fa[r.key as keyof typeof fa], b: fb[r.key as keyof typeof fb], better: HIGHER_IS_BETTER.has(r.key) ? 'higher' as const : 'lower' as const }))
        .filter((r) => r.a !== null || r.b !== null);
      return { tags, label: tagsText(tags), rows };
    })
    .sort((x, y) => (x.label < y.label ? -1 : x.label > y.label ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// --fail-on rules: `metric[{tag:value,...}] stat (+|-)N(%|ms|s)?`

/** A rule that does not parse, or cannot be evaluated on the given runs: a usage error (exit 2). */
export class CompareError extends Error {
  override name = 'CompareError';
}

export interface CompareRule {
  /** As written. */
  text: string;
  metric: string;
  tags: Tags;
  /** A summary value key: avg, min, med, max, p(N), count, rate, value, passes, fails. */
  stat: string;
  /** '+': NEW may exceed BASE by at most the amount; '-': NEW may fall below BASE by at most it. */
  direction: '+' | '-';
  amount: number;
  /** '%' of BASE, 'ms' or 's' (time metrics only), '' in the metric's own unit (ms, a 0..1 rate, a count). */
  unit: '%' | 'ms' | 's' | '';
}

const RULE = /^\s*([A-Za-z_][A-Za-z0-9_]*\s*(?:\{[^}]*\})?)\s+(avg|min|med|max|count|rate|value|passes|fails|p\(\s*(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*\))\s+([+-])\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(%|ms|s)?\s*$/;

export const RULE_GRAMMAR = "metric[{tag:value,...}] stat (+|-)N[%|ms|s], e.g. 'http_req_duration p(95) +10%', 'http_req_duration{name:checkout} p(99) +50ms', 'http_reqs rate -5%', 'http_req_failed rate +0.01'";

export function parseRule(text: string): CompareRule {
  const m = RULE.exec(text);
  if (!m) throw new CompareError(`--fail-on '${text}': expected ${RULE_GRAMMAR}`);
  let key;
  try {
    key = parseThresholdKey(m[1], '--fail-on');
  } catch {
    throw new CompareError(`--fail-on '${text}': bad tag filter in '${m[1]}'; expected metric{tag:value,...}`);
  }
  const stat = m[2].startsWith('p(') ? `p(${Number(m[2].slice(2, -1))})` : m[2];
  const pct = /^p\(([0-9.]+)\)$/.exec(stat);
  if (pct && Number(pct[1]) > 100) throw new CompareError(`--fail-on '${text}': ${stat} is not a percentile (0 to 100)`);
  return { text: text.trim(), metric: key.metric, tags: key.filter, stat, direction: m[3] as '+' | '-', amount: Number(m[4]), unit: (m[5] ?? '') as CompareRule['unit'] };
}

export interface RuleResult {
  rule: string;
  scenario: string;
  base: number;
  new: number;
  /** The unit base and new are in: 'ms', 'percent' (a 0..1 rate), 'bytes' or 'count'. */
  unit: 'ms' | 'percent' | 'bytes' | 'count';
  /** new − base. */
  change: number;
  /** (new − base) / base; null when base is 0. */
  relative: number | null;
  ok: boolean;
  /** One line for people: rule, base, new and the allowed change. */
  text: string;
}

function metricKey(rule: CompareRule): string {
  const tags = Object.keys(rule.tags);
  return tags.length ? `${rule.metric}{${tags.map((k) => `${k}:${rule.tags[k]}`).join(',')}}` : rule.metric;
}

function valueOf(rule: CompareRule, s: SummaryData, which: string): { value: number; m: MetricSummary } {
  const m = findMetric(s, rule.metric, rule.tags);
  if (!m) {
    const known = Object.keys(s.metrics).filter((k) => k.startsWith(rule.metric)).slice(0, 8);
    throw new CompareError(`--fail-on '${rule.text}': ${which} (scenario ${s.scenario}) has no ${metricKey(rule)}${known.length ? `; it has ${known.join(', ')}` : ''}`);
  }
  const v = m.values;
  const value = v[rule.stat] ?? (rule.stat === 'med' ? v['p(50)'] : rule.stat === 'p(50)' ? v.med : undefined);
  if (value === undefined) {
    throw new CompareError(`--fail-on '${rule.text}': ${which} (scenario ${s.scenario}) has no ${rule.stat} of ${metricKey(rule)}; it has ${Object.keys(v).join(', ') || 'no values'}`);
  }
  return { value, m };
}

/** Evaluates one rule on one pair of runs. Throws CompareError when either run lacks the figure. */
export function evaluateRule(rule: CompareRule, base: SummaryData, next: SummaryData, names: { base: string; new: string } = { base: 'BASE', new: 'NEW' }): RuleResult {
  const a = valueOf(rule, base, names.base);
  const b = valueOf(rule, next, names.new);
  const time = a.m.contains === 'time' && (a.m.type === 'trend' || a.m.type === 'gauge');
  if ((rule.unit === 'ms' || rule.unit === 's') && !time) {
    throw new CompareError(`--fail-on '${rule.text}': ${rule.unit} applies to time metrics only; ${metricKey(rule)} ${rule.stat} is not a time (use % or a plain number)`);
  }
  const unit: RuleResult['unit'] = time ? 'ms' : a.m.type === 'rate' && rule.stat === 'rate' ? 'percent' : a.m.contains === 'data' ? 'bytes' : 'count';
  const allowed = rule.unit === '%' ? (Math.abs(a.value) * rule.amount) / 100 : rule.unit === 's' ? rule.amount * 1000 : rule.amount;
  const change = b.value - a.value;
  // A change exactly at the limit holds, whatever the float rounding of BASE × N / 100.
  const slack = 1e-9 * Math.max(1, Math.abs(a.value), Math.abs(b.value));
  const ok = (rule.direction === '+' ? change : -change) <= allowed + slack;
  const relative = a.value !== 0 ? change / a.value : null;
  const fmt = (n: number) => formatFigure(unit, n);
  const limit = rule.unit === '%' ? `${rule.direction}${rule.amount}%` : `${rule.direction}${fmt(allowed)}`;
  const text = `${rule.text}: base ${fmt(a.value)}, new ${fmt(b.value)}, change ${formatDelta(a.value, b.value, fmt)}; allowed ${limit}`;
  return { rule: rule.text, scenario: next.scenario, base: a.value, new: b.value, unit, change, relative, ok, text };
}

// ---------------------------------------------------------------------------------------------
// Reading the files a run leaves.

/** A file given to compare that is not a Loadlens run: the message names the file. */
export class CompareInputError extends Error {
  override name = 'CompareInputError';
}

export interface RunFile {
  file: string;
  kind: 'summary export' | 'saved run' | '--out JSON lines';
  summaries: SummaryData[];
  /** Per-endpoint totals by scenario, when the file has them (saved runs with `endpoints`). */
  endpoints?: Record<string, EndpointTotals[]>;
}

/** A saved run's `endpoints` ({ method, name, requests, failed, p50, p95, p99, ... }), the entries that have those figures. */
function endpointTotals(v: unknown): EndpointTotals[] {
  if (!Array.isArray(v)) return [];
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  return v.filter((e) => isObject(e) && typeof e.name === 'string' && ['requests', 'failed', 'p50', 'p95', 'p99'].every((k) => num(e[k])))
    .map((e): EndpointTotals => ({
      tags: typeof e.method === 'string' && e.method !== '' ? { method: e.method, name: e.name as string } : { name: e.name as string },
      requests: e.requests, failed: e.failed, p50: e.p50, p95: e.p95, p99: e.p99,
    }));
}

const EXPECTED = 'expected a Loadlens --summary-export JSON, a saved run (.loadlens/runs/<id>.json) or an --out JSON lines file';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A summary as a run writes it; older or partial ones get empty defaults for what they lack. */
function asSummary(v: unknown, file: string, where: string): SummaryData {
  const bad = (why: string) => new CompareInputError(`${file}: not a Loadlens run (${where}${why}); ${EXPECTED}`);
  if (!isObject(v)) throw bad('not an object');
  if (typeof v.scenario !== 'string') throw bad('no scenario name');
  if (!isObject(v.state) || typeof v.state.testRunDurationMs !== 'number') throw bad('no state.testRunDurationMs');
  if (!isObject(v.metrics)) throw bad('no metrics');
  for (const [name, m] of Object.entries(v.metrics)) {
    if (!isObject(m) || typeof m.type !== 'string' || !isObject(m.values) || !Object.values(m.values).every((x) => typeof x === 'number')) {
      throw bad(`metrics["${name}"] is not { type, values: { ...numbers } }`);
    }
  }
  if (v.thresholds !== undefined && !Array.isArray(v.thresholds)) throw bad('thresholds is not a list');
  if (v.checks !== undefined && !Array.isArray(v.checks)) throw bad('checks is not a list');
  const s = v as unknown as SummaryData;
  return {
    ...s,
    file: typeof v.file === 'string' ? v.file : '',
    model: v.model === 'closed' ? 'closed' : 'open',
    thresholds: s.thresholds ?? [],
    checks: s.checks ?? [],
    errorsByKind: isObject(v.errorsByKind) ? s.errorsByKind : {},
    latencyCurve: Array.isArray(v.latencyCurve) ? s.latencyCurve : [],
    notes: Array.isArray(v.notes) ? s.notes : [],
  };
}

/** Parses the text of a run file; throws CompareInputError naming `file` when it is corrupt or foreign. */
export function parseRunFile(text: string, file: string): RunFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // Not one JSON document: an --out file is one JSON record per line, its summaries at the end.
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const firstLineIsJson = (() => {
      try {
        return isObject(JSON.parse(lines[0]));
      } catch {
        return false;
      }
    })();
    // A truncated pretty-printed document is not JSON lines: its first line is not a record.
    if (lines.length > 1 && firstLineIsJson) {
      const summaries: SummaryData[] = [];
      lines.forEach((line, i) => {
        let rec: unknown;
        try {
          rec = JSON.parse(line);
        } catch {
          // A run killed mid-write leaves a torn last line: only that one may be torn.
          if (i === lines.length - 1) return;
          throw new CompareInputError(`${file}:${i + 1}: not JSON; ${EXPECTED}`);
        }
        if (isObject(rec) && rec.type === 'summary') summaries.push(asSummary(rec.summary, file, `line ${i + 1}: `));
      });
      if (summaries.length === 0) throw new CompareInputError(`${file}: JSON lines without a summary record (the run did not finish?); ${EXPECTED}`);
      return { file, kind: '--out JSON lines', summaries };
    }
    throw new CompareInputError(`${file}: not JSON (${(err as Error).message}); ${EXPECTED}`);
  }
  if (isObject(json) && isObject(json.summary) && Array.isArray(json.series) && typeof json.id === 'string') {
    const summary = asSummary(json.summary, file, 'summary: ');
    return { file, kind: 'saved run', summaries: [summary], endpoints: { [summary.scenario]: endpointTotals(json.endpoints) } };
  }
  // An --out file of one line: just its summary record.
  if (isObject(json) && json.type === 'summary' && isObject(json.summary)) {
    return { file, kind: '--out JSON lines', summaries: [asSummary(json.summary, file, 'line 1: ')] };
  }
  if (isObject(json) && isObject(json.scenarios)) {
    const summaries = Object.entries(json.scenarios).map(([name, s]) => asSummary(isObject(s) ? { scenario: name, ...s } : s, file, `scenarios["${name}"]: `));
    if (summaries.length === 0) throw new CompareInputError(`${file}: a summary export with no scenarios`);
    return { file, kind: 'summary export', summaries };
  }
  if (isObject(json) && isObject(json.metrics) && json.scenario === undefined && json.state === undefined) {
    throw new CompareInputError(`${file}: not a Loadlens run (k6's own --summary-export? it has metrics but no scenario or state); ${EXPECTED}`);
  }
  return { file, kind: 'summary export', summaries: [asSummary(json, file, '')] };
}

// ---------------------------------------------------------------------------------------------
// The whole comparison.

export interface ScenarioComparison {
  scenario: string;
  /** The base run's scenario name when it differs (two single-scenario files). */
  baseScenario: string;
  figures: CompareRow[];
  endpoints: EndpointComparison[];
}

export interface Comparison {
  base: { file: string; kind: RunFile['kind'] };
  new: { file: string; kind: RunFile['kind'] };
  scenarios: ScenarioComparison[];
  /** Scenarios found in one file only (not compared). */
  unmatched: string[];
  rules: RuleResult[];
  /** Every rule held. */
  ok: boolean;
}

/**
 * Pairs the scenarios of BASE and NEW (two single-scenario files pair whatever their names;
 * otherwise by name, `only` picks one), tabulates the deltas and evaluates the rules on each pair.
 */
export function compareRuns(base: RunFile, next: RunFile, rules: CompareRule[], only?: string): Comparison {
  let pairs: Array<[SummaryData, SummaryData]>;
  const unmatched: string[] = [];
  const pick = (f: RunFile) => (only === undefined ? f.summaries : f.summaries.filter((s) => s.scenario === only));
  const a = pick(base);
  const b = pick(next);
  if (only !== undefined && (a.length === 0 || b.length === 0)) {
    const missing = a.length === 0 ? base : next;
    throw new CompareError(`--scenario: ${missing.file} has no scenario "${only}"; it has ${missing.summaries.map((s) => s.scenario).join(', ')}`);
  }
  if (a.length === 1 && b.length === 1) {
    pairs = [[a[0], b[0]]];
  } else {
    pairs = a.flatMap((s) => b.filter((t) => t.scenario === s.scenario).map((t) => [s, t] as [SummaryData, SummaryData]));
    for (const s of a) if (!b.some((t) => t.scenario === s.scenario)) unmatched.push(`${s.scenario} (only in ${base.file})`);
    for (const t of b) if (!a.some((s) => s.scenario === t.scenario)) unmatched.push(`${t.scenario} (only in ${next.file})`);
    if (pairs.length === 0) throw new CompareError(`${base.file} and ${next.file} have no scenario in common (${a.map((s) => s.scenario).join(', ')} vs ${b.map((s) => s.scenario).join(', ')}); give single-scenario files or --scenario`);
  }
  const names = { base: `BASE ${base.file}`, new: `NEW ${next.file}` };
  const results = pairs.flatMap(([s, t]) => rules.map((r) => evaluateRule(r, s, t, names)));
  return {
    base: { file: base.file, kind: base.kind },
    new: { file: next.file, kind: next.kind },
    scenarios: pairs.map(([s, t]) => ({
      scenario: t.scenario, baseScenario: s.scenario, figures: compareRows(s, t),
      endpoints: compareEndpoints(s, t, base.endpoints?.[s.scenario], next.endpoints?.[t.scenario]),
    })),
    unmatched,
    rules: results,
    ok: results.every((r) => r.ok),
  };
}

function table(rows: string[][], indent: string): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => indent + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ').trimEnd());
}

function rowCells(r: CompareRow): string[] {
  const f = (n: number) => formatFigure(r.unit, n);
  return [r.label, r.a === null ? '–' : f(r.a), r.b === null ? '–' : f(r.b), formatDelta(r.a, r.b, f)];
}

/** The comparison as text for a terminal (names escaped by `esc`). */
export function comparisonText(c: Comparison, esc: (s: string) => string, marks: { ok: (s: string) => string; bad: (s: string) => string } = { ok: (s) => s, bad: (s) => s }): string {
  const lines = [`base  ${esc(c.base.file)} (${c.base.kind})`, `new   ${esc(c.new.file)} (${c.new.kind})`];
  for (const s of c.scenarios) {
    lines.push('', `scenario ${esc(s.scenario)}${s.baseScenario !== s.scenario ? ` (base: ${esc(s.baseScenario)})` : ''}`);
    lines.push(...table([['', 'base', 'new', 'change'], ...s.figures.map(rowCells)], '  '));
    for (const e of s.endpoints) {
      lines.push('', `  endpoint ${esc(e.label)}`);
      lines.push(...table([['', 'base', 'new', 'change'], ...e.rows.map(rowCells)], '    '));
    }
  }
  if (c.unmatched.length) lines.push('', `not compared: ${c.unmatched.map(esc).join(', ')}`);
  if (c.rules.length) {
    lines.push('', 'rules');
    for (const r of c.rules) {
      const scenario = c.scenarios.length > 1 ? ` [${esc(r.scenario)}]` : '';
      lines.push(`  ${r.ok ? marks.ok('✓') : marks.bad('✗')} ${esc(r.text)}${scenario}`);
    }
    const broken = c.rules.filter((r) => !r.ok).length;
    lines.push('', broken ? marks.bad(`✗ ${broken} of ${c.rules.length} rule(s) broken`) : marks.ok(`✓ all ${c.rules.length} rule(s) hold`));
  }
  return lines.join('\n') + '\n';
}

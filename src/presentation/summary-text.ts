// The end-of-run summary and the live status line as terminal text, in the spirit of k6's. Part of
// the presentation module: threshold values come from format.ts, as on every other surface.

import type { LiveStats, MetricSummary, SummaryData, ThresholdVerdict } from '../engine/types';
import { formatDuration } from '../engine/duration';
import { escapeControl } from '../text';
import { HttpErrorKind } from '../engine/http/error-kinds';
import { noResponseWarning, unfinishedText } from '../engine/no-response';
import { agentsText } from '../engine/agents-text';
import { generatorHealth, healthIssueText } from '../engine/health';
import { aggregationOf, formatBytes, formatObserved, groupedInteger } from './format';

export { formatBytes };
import {
  BUILTIN_METRICS,
  CHECKS,
  DATA_RECEIVED,
  DATA_SENT,
  DROPPED_ITERATIONS,
  HTTP_PHASE_METRICS,
  HTTP_REQ_DURATION,
  HTTP_REQ_FAILED,
  HTTP_REQ_RETRIES,
  HTTP_REQ_SERVICE_DURATION,
  HTTP_REQS,
  ITERATION_DURATION,
  ITERATION_LAG,
  ITERATIONS,
  VUS,
  VUS_MAX,
  GENERATOR_CPU,
  GENERATOR_EVENT_LOOP_DELAY,
} from '../engine/metrics/names';

/** Shown as the generator health block when unhealthy, not as metric rows (the report has them). */
const HIDDEN = [GENERATOR_CPU, GENERATOR_EVENT_LOOP_DELAY];

/** Display order of the built-in metrics (others follow, alphabetically). */
const ORDER = [
  CHECKS,
  HTTP_REQ_DURATION,
  HTTP_REQ_SERVICE_DURATION,
  ...HTTP_PHASE_METRICS,
  HTTP_REQ_FAILED,
  HTTP_REQ_RETRIES,
  HTTP_REQS,
  ITERATIONS,
  DROPPED_ITERATIONS,
  ITERATION_DURATION,
  ITERATION_LAG,
  VUS,
  VUS_MAX,
  DATA_SENT,
  DATA_RECEIVED,
];
const TREND_KEYS = ['avg', 'min', 'med', 'max'];
const MAX_ERROR_LINES = 20;
const MAX_ERROR_KIND_CHARS = 100;

/** An error kind on one line of bounded length (iteration error messages can be long), escaped. */
function oneLine(kind: string): string {
  const flat = escapeControl(kind.replace(/[ \t\r\n]+/g, ' ').trim());
  return flat.length > MAX_ERROR_KIND_CHARS ? flat.slice(0, MAX_ERROR_KIND_CHARS - 3) + '...' : flat;
}

interface Style {
  ok(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

function style(color: boolean): Style {
  const wrap = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { ok: wrap('32'), bad: wrap('31'), dim: wrap('2'), bold: wrap('1') };
}

/** Milliseconds as k6 prints them: 512µs, 125.81ms, 1.25s, 1m5s. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0s';
  if (ms < 1) return `${round(ms * 1000, 2)}µs`;
  if (ms < 1000) return `${round(ms, 2)}ms`;
  if (ms < 60_000) return `${round(ms / 1000, 2)}s`;
  return formatDuration(Math.round(ms / 1000) * 1000);
}

/** 1982.4 → '1,982'; small numbers keep up to 2 decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return groupedInteger(n);
  return String(round(n, 2));
}

function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A value of a metric in its unit: time for time trends, bytes for data, plain otherwise. */
function formatIn(contains: MetricSummary['contains'] | undefined, n: number): string {
  if (contains === 'time') return formatTime(n);
  if (contains === 'data') return formatBytes(n);
  return formatNumber(n);
}

function metricOfKey(key: string): string {
  const brace = key.indexOf('{');
  return brace < 0 ? key : key.slice(0, brace);
}

/** A threshold's observed value, e.g. 'p(95)=148 ms', 'rate=2.5%', 'rate=12/s': the text every surface shows. */
function observedText(v: ThresholdVerdict, s: SummaryData): string {
  if (v.observed === null) return 'no data';
  const kind = v.kind ?? (s.metrics[v.metric] ?? s.metrics[metricOfKey(v.metric)])?.type;
  return `${aggregationOf(v.expression)}=${formatObserved({ ...v, kind })}`;
}

function metricValues(m: MetricSummary, durationMs: number, name: string): string {
  const v = m.values;
  switch (m.type) {
    case 'trend': {
      const ps = Object.keys(v)
        .filter((k) => k.startsWith('p('))
        .sort((a, b) => parseFloat(a.slice(2)) - parseFloat(b.slice(2)));
      return [...TREND_KEYS, ...ps]
        .filter((k) => v[k] !== undefined)
        .map((k) => `${k}=${formatIn(m.contains, v[k])}`)
        .join(' ');
    }
    case 'counter': {
      const rate = v.rate ?? (durationMs > 0 ? v.count / (durationMs / 1000) : 0);
      return `${pad(formatIn(m.contains, v.count), 10)} ${formatIn(m.contains, rate)}/s`;
    }
    case 'rate': {
      const total = v.passes + v.fails;
      if (total === 0) return 'no samples';
      // http_req_failed counts failures as its "true" values.
      const what = name === HTTP_REQ_FAILED ? 'failed' : 'passed';
      return `${pad(formatPercent(v.rate), 10)} ${formatNumber(v.passes)} ${what} out of ${formatNumber(total)}`;
    }
    case 'gauge':
      return `${pad(formatIn(m.contains, v.value), 10)} min=${formatIn(m.contains, v.min)} max=${formatIn(m.contains, v.max)}`;
  }
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/**
 * The end-of-run summary as terminal text. Every string from the scenario, the server or the
 * run (names, tags, threshold keys, error kinds) is escaped before our colours wrap it.
 */
export function formatSummary(s: SummaryData, opts: { color?: boolean } = {}): string {
  const st = style(opts.color ?? false);
  const esc = escapeControl;
  const lines: string[] = [];
  const durationMs = s.state.testRunDurationMs;
  lines.push(
    `  ${st.bold(s.mix ? `total of ${s.mix.map(esc).join(', ')}` : `scenario ${esc(s.scenario)}`)} ${st.dim(`(${esc(s.file)}) · ${s.model} model · ${s.state.status} in ${formatDuration(Math.round(durationMs))}`)}`,
  );

  // Requests the end of the run cut off: named first, they are why the figures below look as they do.
  const cut = s.unfinished?.requests ?? 0;
  if (cut > 0) lines.push(`  ${st.bad('⚠')} ${unfinishedText(s.unfinished!)} (counted as failed, ${HttpErrorKind.interrupted}; see the notes)`);
  const queued = s.unfinished?.queuedIterations ?? 0;
  if (queued > 0) lines.push(`  ${st.bad('⚠')} ${queued} iteration${queued === 1 ? ' was' : 's were'} due but never started (no free VU; see the notes)`);

  if (s.thresholds.length) {
    lines.push('', '  thresholds');
    const observed = s.thresholds.map((v) => observedText(v, s));
    const width = Math.max(...observed.map((o) => o.length));
    s.thresholds.forEach((v, i) => {
      const mark = v.ok ? st.ok('✓') : st.bad('✗');
      const abort = v.abortOnFail ? st.dim(' (abortOnFail)') : '';
      lines.push(`    ${mark} ${pad(observed[i], width)}  ${esc(v.metric)}: ${esc(v.expression)}${abort}`);
    });
  }

  if (s.checks.length) {
    lines.push('', '  checks');
    const names = s.checks.map((c) => esc(c.name));
    const width = Math.max(...names.map((n) => n.length));
    s.checks.forEach((c, i) => {
      const total = c.passes + c.fails;
      const mark = c.fails === 0 ? st.ok('✓') : st.bad('✗');
      const failed = c.fails ? st.bad(`  (${formatNumber(c.fails)} failed)`) : '';
      lines.push(`    ${mark} ${pad(names[i], width)}  ${formatNumber(c.passes)}/${formatNumber(total)}${failed}`);
    });
  }

  // Metrics: built-ins in a fixed order, then custom ones; tag-filtered entries under their metric.
  const keys = Object.keys(s.metrics);
  const plain = keys.filter((k) => !k.includes('{') && !HIDDEN.includes(k));
  const ordered = [...ORDER.filter((k) => plain.includes(k)), ...plain.filter((k) => !ORDER.includes(k)).sort()].filter(
    (k) => Object.keys(s.metrics[k].values).length > 0,
  );
  const rows: Array<[string, string]> = [];
  for (const name of ordered) {
    // Durations of interrupted requests are their time so far: lower bounds.
    const lower = cut > 0 && name === HTTP_REQ_DURATION ? st.dim(`  (includes ${formatNumber(cut)} lower bound${cut === 1 ? '' : 's'}: unfinished requests)`) : '';
    rows.push([esc(name), metricValues(s.metrics[name], durationMs, name) + lower]);
    for (const sub of keys.filter((k) => k.startsWith(name + '{') && Object.keys(s.metrics[k].values).length > 0)) {
      rows.push([`  ${esc(sub.slice(name.length))}`, metricValues(s.metrics[sub], durationMs, name)]);
    }
  }
  if (rows.length) {
    lines.push('');
    const width = Math.max(30, ...rows.map(([n]) => n.length + 3));
    for (const [name, values] of rows) lines.push(`  ${name}${st.dim('.'.repeat(width - name.length))}: ${values}`);
  }

  const errors = Object.entries(s.errorsByKind).sort((a, b) => b[1] - a[1]);
  if (errors.length) {
    lines.push('', '  errors by kind');
    const shown = errors.slice(0, MAX_ERROR_LINES).map(([kind, n]) => [oneLine(kind), n] as const);
    const width = Math.max(...shown.map(([k]) => k.length));
    for (const [kind, n] of shown) lines.push(`    ${st.bad(pad(kind, width))}  ${formatNumber(n)}`);
    if (errors.length > shown.length) {
      const rest = errors.slice(shown.length).reduce((sum, [, n]) => sum + n, 0);
      lines.push(`    ${st.dim(`... ${errors.length - shown.length} more kinds, ${formatNumber(rest)} errors`)}`);
    }
  }

  if (s.cluster) {
    const c = s.cluster;
    const skew = c.startSkewMs.bySegment.length > 0 ? `start skew: max ${formatNumber(Math.round(c.startSkewMs.max))} ms over ${c.startSkewMs.bySegment.length} agent(s)` : 'start skew: not reported';
    lines.push('', `  cluster: ${c.agents} agent(s), ${skew}`);
  }

  const health = generatorHealth(s);
  if (health.issues.length > 0) {
    lines.push('', health.ok
      ? `  ${st.bad('⚠ load not fully applied')}: the target held every VU (the generator itself kept up)`
      : `  ${st.bad('⚠ generator health')}: Loadlens itself limited this test`);
    for (const issue of health.issues) lines.push(`    ${st.bad('✗')} ${healthIssueText(issue)}`);
  }

  if (s.notes.length) {
    lines.push('');
    for (const note of s.notes) lines.push(`  ${st.dim('note:')} ${note}`);
  }
  return lines.join('\n') + '\n';
}

/** One live status line, e.g. `  12s/30s  vus 50/50  1,982 req/s  p99 212 ms  errors 3`. */
export function formatLiveLine(live: LiveStats): string {
  const secs = (ms: number) => formatDuration(Math.round(ms / 1000) * 1000);
  const parts = [
    `  ${secs(live.elapsedMs)}/${secs(live.plannedMs)}`,
    `vus ${live.vus}/${live.vusMax}`,
    `${live.rps >= 10 ? formatNumber(Math.round(live.rps)) : round(live.rps, 1)} req/s`,
    `p99 ${formatLatency(live.p99)}`,
    `errors ${formatNumber(live.errors)}`,
  ];
  if (live.backlog > 0) parts.push(`backlog ${formatNumber(live.backlog)}`);
  const stall = noResponseWarning(live);
  if (stall !== undefined) parts.push(`⚠ ${stall}`);
  if (live.dropped > 0) parts.push(`dropped ${formatNumber(live.dropped)}`);
  if (live.agents) parts.push(agentsText(live.agents));
  const failing = live.thresholds.filter((t) => !t.ok && t.observed !== null).length;
  if (failing > 0) parts.push(`✗ ${failing} threshold${failing === 1 ? '' : 's'}`);
  return parts.join('  ');
}

/** Latency for the live line: '212 ms', '1.5 ms', '2.31 s'. */
function formatLatency(ms: number): string {
  if (ms >= 1000) return `${round(ms / 1000, 2)} s`;
  return `${ms >= 10 ? Math.round(ms) : round(ms, 1)} ms`;
}

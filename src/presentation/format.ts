// The presentation module's numbers: units, threshold values, byte, time and count formats, for
// the editor (lenses, Test Explorer, status bar, runs view), the panel, CI reports and the CLI
// summary's threshold lines, so every surface shows the same text. Pure and free of Node and DOM
// (the page bundles it); runs under plain Node in the unit tests.

import type { MetricSummary, ThresholdVerdict } from '../engine/types';
import { BUILTIN_METRICS } from '../engine/metrics/names';

/**
 * `n` rounded to a whole number with thousands separators: 1982.4 → '1,982'. By hand, not with
 * Intl.NumberFormat: creating one loads ICU's number formatting, 30-40 ms of CPU and ~7 MB of RSS
 * in every process that imports this module (the CLI at start-up, the runner thread).
 */
export function groupedInteger(n: number): string {
  const whole = Math.sign(n) * Math.round(Math.abs(n));
  return String(whole === 0 ? 0 : whole).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** Milliseconds with precision that suits the size: 0.42 ms, 12.3 ms, 212 ms, 1,204 ms. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${groupedInteger(ms)} ms`;
}

/** A count or per-second figure: whole numbers grouped (1,980), small rates with one decimal. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n !== 0 && Math.abs(n) < 10 && !Number.isInteger(n)) return n.toFixed(1);
  return groupedInteger(n);
}

/** A 0..1 ratio as a percentage: 0.25%, 12.5%, 100%. */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  const pct = ratio * 100;
  if (pct === 0 || pct === 100) return `${pct}%`;
  return pct < 1 ? `${pct.toFixed(2)}%` : `${pct.toFixed(1)}%`;
}

/** Bytes in decimal units, as k6 prints them (the CLI summary too): 512 B, 12 kB, 1.2 MB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return i === 0 ? `${Math.round(v)} B` : `${Math.round(v * 10) / 10} ${units[i]}`;
}

/** 0:05, 1:02:03: elapsed seconds as a clock. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A signed delta with its relative change: '+12.0 ms (+8.1%)'. */
export function formatDelta(a: number | null, b: number | null, format: (n: number) => string): string {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b)) return '–';
  const d = b - a;
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  const rel = a !== 0 ? ` (${sign}${Math.abs((d / a) * 100).toFixed(1)}%)` : '';
  return `${sign}${format(Math.abs(d))}${rel}`;
}

/** What formatObserved reads of a threshold verdict. */
export type ObservedVerdict = Pick<ThresholdVerdict, 'metric' | 'expression' | 'observed' | 'contains' | 'kind'>;

/** The aggregation a threshold expression compares, e.g. 'p(99)' of 'p(99) < 250'. */
export function aggregationOf(expression: string): string {
  return expression.split(/[<>=!]/)[0].trim();
}

/** The unit of a threshold's observed value: a ratio (shown as %), or a metric unit, maybe per second. */
export interface ObservedUnit {
  unit: 'ratio' | 'time' | 'data' | 'number';
  perSecond: boolean;
}

/**
 * The one place that decides what unit a threshold's observed value is in, for every surface
 * (CLI summary, lenses, Test Explorer, panel, CI reports). The kind is the verdict's (the
 * aggregate knows it), else the built-in metric's: a Rate's value is a ratio; a counter's `rate`
 * is per second in the counter's unit. A verdict without a kind (an older message) on a plain
 * metric reads `rate` as a Rate's ratio.
 */
export function observedUnit(v: ObservedVerdict): ObservedUnit {
  const builtin = BUILTIN_METRICS[v.metric.replace(/\{.*$/, '')];
  const kind = v.kind ?? builtin?.kind;
  const contains = v.contains ?? builtin?.contains ?? 'default';
  const rate = aggregationOf(v.expression) === 'rate';
  if (kind === 'rate' || (rate && kind === undefined && contains === 'default')) return { unit: 'ratio', perSecond: false };
  return { unit: contains === 'time' ? 'time' : contains === 'data' ? 'data' : 'number', perSecond: rate };
}

/**
 * The observed value of a threshold in its metric's unit, as its expression reads it; every
 * surface shows this same text: `p(99) < 250` on a time metric, built-in or declared with
 * isTime → '98.7 ms'; `rate < 0.01` on a Rate → '2.0%'; a counter's `rate` → '12/s';
 * `count > 10` → '12'.
 */
export function formatObserved(v: ObservedVerdict): string {
  if (v.observed === null) return 'no data';
  const { unit, perSecond } = observedUnit(v);
  if (unit === 'ratio') return formatPercent(v.observed);
  const text = unit === 'time' ? formatMs(v.observed) : unit === 'data' ? formatBytes(v.observed) : formatNumber(v.observed);
  return perSecond ? `${text}/s` : text;
}

/** A plain number: integers grouped (1,200), others to 4 significant digits (0.5132, 99.65). */
function formatNumber(n: number): string {
  if (Number.isInteger(n)) return formatCount(n);
  return String(Number(n.toPrecision(4)));
}

/** One value of a summary metric in its unit: a rate's ratio as %, a counter's rate per second, times, bytes. */
export function formatMetricValue(metric: Pick<MetricSummary, 'type' | 'contains'>, key: string, value: number): string {
  if (metric.type === 'rate' && key === 'rate') return formatPercent(value);
  if (metric.type === 'counter' && key === 'rate') return `${formatCount(value)}/s`;
  if (key === 'count' || key === 'passes' || key === 'fails') return metric.contains === 'data' ? formatBytes(value) : formatCount(value);
  if (metric.contains === 'time') return formatMs(value);
  if (metric.contains === 'data') return formatBytes(value);
  return formatCount(value);
}

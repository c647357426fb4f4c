// Number formatting for the panel: one place, so charts, tables and the screen-reader view
// show the same text. Pure; runs under plain Node in the unit tests.

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Milliseconds with precision that suits the size: 0.42 ms, 12.3 ms, 212 ms, 1,204 ms. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${grouped.format(ms)} ms`;
}

/** A count or per-second figure: whole numbers grouped (1,980), small rates with one decimal. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n !== 0 && Math.abs(n) < 10 && !Number.isInteger(n)) return n.toFixed(1);
  return grouped.format(n);
}

/** A 0..1 ratio as a percentage: 0.25%, 12.5%, 100%. */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  const pct = ratio * 100;
  if (pct === 0 || pct === 100) return `${pct}%`;
  return pct < 1 ? `${pct.toFixed(2)}%` : `${pct.toFixed(1)}%`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return i === 0 ? `${grouped.format(v)} B` : `${v.toFixed(1)} ${units[i]}`;
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

/** Metrics whose trend values are milliseconds (k6's time trends, and ours). */
const TIME_METRIC = /^(http_req_(duration|service_duration|blocked|connecting|tls_handshaking|sending|waiting|receiving)|iteration_duration|iteration_lag)(\{|$)/;

/**
 * The observed value of a threshold as its expression reads it: `rate < 0.01` → '2.0%',
 * `p(99) < 250` on a time trend → '98.7 ms', `count > 10` → '12'.
 */
export function formatObserved(metric: string, expression: string, observed: number | null): string {
  if (observed === null) return 'no data';
  const aggregation = expression.trim().split(/[\s<>=!]/)[0];
  if (aggregation === 'rate' && !/^(http_reqs|iterations|data_)/.test(metric)) return formatPercent(observed);
  if (/^(p\(|avg|med|min|max)/.test(aggregation) && TIME_METRIC.test(metric)) return formatMs(observed);
  return formatCount(observed);
}

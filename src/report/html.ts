// The self-contained HTML report of one or more scenario runs (`loadlens run --report`,
// `loadlens report`, the panel's Export): figures, analysis, charts, thresholds, checks, errors,
// endpoints, generator health and the full summary. One file, nothing fetched: styles and the
// chart script (dist/report-page.js, the panel's chart code with chart.js) are inlined, under a
// CSP that allows only them. Text from scenarios and servers is escaped; numbers are formatted by
// the panel's formatters so the report, the panel and the editor read the same.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SummaryData } from '../engine/types';
import { formatDuration } from '../engine/duration';
import { HEALTH_LIMITS } from '../engine/health';
import { escapeHtml } from '../view-model/html';
import { formatClock, formatCount, formatMetricValue, formatMs, formatObserved, formatPercent } from '../presentation/format';
import { orderedValueKeys, summaryFigures, type Figure, type SeriesPoint } from '../view-model/reducers';
import type { SavedRun } from '../view-model/messages';
import type { ReportPageData } from '../../webview/report-page';
import { REPORT_CSS } from './style';
import { analyse, dominantPhase, endpointLabel } from './analysis';

const PAGE_SCRIPT = 'report-page.js';

const pageScriptCandidates = (): string[] => [join(__dirname, PAGE_SCRIPT), join(__dirname, '..', '..', 'dist', PAGE_SCRIPT)];

/** Why no report can be written (the page script is not installed), or null: checked before a run. */
export function reportUnavailable(): string | null {
  const candidates = pageScriptCandidates();
  return candidates.some((p) => existsSync(p)) ? null : `the report's page script ${PAGE_SCRIPT} is missing (looked in ${candidates.join(', ')}); run npm run build`;
}

/** The bundled page script: next to this code in dist/, or dist/ of the source tree (tests). */
function pageScript(): string {
  const found = pageScriptCandidates().find((p) => existsSync(p));
  if (found === undefined) throw new Error(reportUnavailable()!);
  return readFileSync(found, 'utf8');
}

const esc = escapeHtml;
const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

function formatFigure(f: Figure): string {
  return f.unit === 'ms' ? formatMs(f.value) : f.unit === 'percent' ? formatPercent(f.value) : formatCount(f.value);
}

function table(headers: Array<string | [string, 'num']>, rows: string[][], empty: string, attrs = ''): string {
  const th = headers.map((h) => (typeof h === 'string' ? `<th scope="col">${esc(h)}</th>` : `<th scope="col" class="num">${esc(h[0])}</th>`)).join('');
  const numeric = headers.map((h) => typeof h !== 'string');
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n')
    : `<tr><td class="empty" colspan="${headers.length}">${esc(empty)}</td></tr>`;
  return `<div class="table-box"><table${attrs}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function chart(id: string, caption: string): string {
  return `<figure class="chart"><figcaption id="${id}-caption">${esc(caption)}</figcaption>` +
    `<div class="canvas-box"><canvas id="${id}" role="img" aria-labelledby="${id}-caption"></canvas></div></figure>`;
}

function thresholdsHtml(s: SummaryData): string {
  if (s.thresholds.length === 0) return '<p class="empty">No thresholds.</p>';
  return `<ul class="verdicts">${s.thresholds.map((v) =>
    `<li data-ok="${v.ok}" data-metric="${esc(v.metric)}"><span class="${v.ok ? 'mark-ok' : 'mark-fail'}">${v.ok ? '✓' : '✗'}</span> ` +
    `${esc(v.metric)}: ${esc(v.expression)} <span class="muted">(observed ${esc(formatObserved(v))})</span></li>`).join('')}</ul>`;
}

function endpointsHtml(run: SavedRun): string {
  const endpoints = run.endpoints;
  if (endpoints === undefined) return '<p class="empty">This run was saved without per-endpoint figures.</p>';
  const seconds = run.summary.state.testRunDurationMs / 1000;
  const total = endpoints.reduce((a, e) => a + e.totalMs, 0);
  const rows = endpoints.map((e) => {
    const d = dominantPhase(e);
    return [
      esc(endpointLabel(e)), formatCount(e.requests), formatCount(seconds > 0 ? e.requests / seconds : null),
      formatMs(e.p50), formatMs(e.p95), formatMs(e.p99), formatPercent(e.requests ? e.failed / e.requests : null),
      formatPercent(total > 0 ? e.totalMs / total : null), d ? `${esc(d.phase)} ${esc(formatMs(d.ms))}` : '–',
    ];
  });
  return table(['endpoint', ['requests', 'num'], ['req/s', 'num'], ['p50', 'num'], ['p95', 'num'], ['p99', 'num'], ['errors', 'num'], ['share of time', 'num'], 'dominant phase'], rows, 'No requests.', ' class="endpoints"');
}

function healthHtml(run: SavedRun): string {
  const h = analyse(run.summary, undefined).health;
  const row = (what: string, value: string, limit: string, ok: boolean | null) =>
    [esc(what), esc(value), esc(limit), ok === null ? '–' : ok ? '<span class="mark-ok">✓</span>' : '<span class="mark-fail">✗</span>'];
  const nul = (x: number | null, f: (n: number) => string) => (x === null ? 'not recorded' : f(x));
  const pct = (n: number) => `${Math.round(n)}%`;
  return table(['figure', ['value', 'num'], ['limit', 'num'], 'ok'], [
    row('event-loop delay p(95) / max', `${nul(h.eventLoopDelayP95Ms, formatMs)} / ${nul(h.eventLoopDelayMaxMs, formatMs)}`, `< ${HEALTH_LIMITS.eventLoopDelayP95Ms} ms`, h.eventLoopDelayP95Ms === null ? null : h.eventLoopDelayP95Ms < HEALTH_LIMITS.eventLoopDelayP95Ms),
    row('generator CPU p(90) / max (% of a core)', `${nul(h.cpuP90Percent, pct)} / ${nul(h.cpuMaxPercent, pct)}`, `< ${HEALTH_LIMITS.cpuP90Percent}%`, h.cpuP90Percent === null ? null : h.cpuP90Percent < HEALTH_LIMITS.cpuP90Percent),
    row('iteration lag p(99) (open model)', nul(h.iterationLagP99Ms, formatMs), `< ${HEALTH_LIMITS.iterationLagP99Ms} ms`, h.iterationLagP99Ms === null ? null : h.iterationLagP99Ms < HEALTH_LIMITS.iterationLagP99Ms),
    row('dropped iterations', formatCount(h.dropped), '0', h.dropped === 0),
  ], '', ' class="health"');
}

function perSecondHtml(series: SeriesPoint[]): string {
  const rows = series.map((p) => [
    formatClock(p.t), formatMs(p.p50), formatMs(p.p95), formatMs(p.p99), formatMs(p.max), formatCount(p.rps),
    formatCount(p.due), formatCount(Math.max(p.failedPerSec ?? 0, p.errorsPerSec)), formatCount(p.vus), formatCount(p.dropped),
    p.cpu === undefined ? '–' : `${Math.round(p.cpu)}%`, formatMs(p.eventLoopDelay),
  ]);
  return table(['time', ['p50', 'num'], ['p95', 'num'], ['p99', 'num'], ['max', 'num'], ['req/s', 'num'], ['iterations due/s', 'num'], ['failed/s', 'num'], ['VUs', 'num'], ['dropped/s', 'num'], ['CPU', 'num'], ['event-loop delay', 'num']], rows, 'No intervals.');
}

function runHtml(run: SavedRun, i: number): string {
  const s = run.summary;
  const id = (x: string) => `r${i}-${x}`;
  const analysis = analyse(s, { series: run.series, bucket: 1, endpoints: run.endpoints ?? [] });
  const figures = summaryFigures(s).map((f) =>
    `<div class="figure" data-key="${f.key}" data-value="${f.value ?? ''}"><span class="figure-label">${esc(f.label)}</span><span class="figure-value">${esc(formatFigure(f))}</span></div>`).join('');
  const noRequests = analysis.findings.find((f) => f.kind === 'no-requests');
  const checks = table(['check', ['passes', 'num'], ['fails', 'num'], ['rate', 'num']], s.checks.map((c) =>
    [esc(c.name), formatCount(c.passes), formatCount(c.fails), formatPercent(c.passes + c.fails ? c.passes / (c.passes + c.fails) : null)]), 'No checks.', ' class="checks"');
  const errors = table(['kind', ['count', 'num']], Object.entries(s.errorsByKind).sort((a, b) => b[1] - a[1]).map(([k, n]) => [esc(k), formatCount(n)]), 'No errors.', ' class="errors-by-kind"');
  const metrics = table(['metric', 'values'], Object.keys(s.metrics).sort().map((name) => {
    const m = s.metrics[name];
    return [esc(name), orderedValueKeys(m.values).map((k) => `<span data-metric="${esc(name)}" data-key="${esc(k)}" data-value="${m.values[k]}">${esc(k)}=${esc(formatMetricValue(m, k, m.values[k]))}</span>`).join(' ')];
  }), 'No metrics.', ' class="metrics"');
  const started = new Date(run.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `<section class="run" id="${id('run')}" data-scenario="${esc(run.scenario)}" aria-labelledby="${id('title')}">
<h2 id="${id('title')}">Scenario ${esc(run.scenario)}</h2>
<p class="meta">${esc(run.file)} · started ${esc(started)} · ${esc(s.model)} model${run.plan ? ` · ${esc(run.plan.shape)}` : ''} · ${esc(s.state.status)} in ${esc(formatDuration(Math.round(s.state.testRunDurationMs)))}</p>
${noRequests ? `<p class="banner" role="note">${esc(noRequests.text)}</p>` : ''}
<div class="figures" aria-label="Headline figures">${figures}</div>
<h3>Analysis</h3>
<ul class="findings">${analysis.findings.filter((f) => f !== noRequests).map((f) => `<li data-kind="${f.kind}" data-severity="${f.severity}">${esc(f.text)}</li>`).join('')}</ul>
<h3>Charts</h3>
<div class="grid">
${chart(id('chart-latency'), 'Latency over time (ms)')}
${chart(id('chart-throughput'), 'Requests/s and errors/s')}
${chart(id('chart-vus'), 'Active VUs, dropped and late iterations')}
${chart(id('chart-curve'), 'Latency by percentile (HDR, log scale)')}
</div>
<div class="grid">
<section><h3>Thresholds</h3>${thresholdsHtml(s)}</section>
<section><h3>Checks</h3>${checks}</section>
<section><h3>Errors by kind</h3>${errors}</section>
</div>
<h3>Endpoints</h3>
${endpointsHtml(run)}
<h3>Generator health</h3>
${healthHtml(run)}
<h3>Summary</h3>
${metrics}
<ul class="notes">${s.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<details><summary>Per-second figures</summary>${perSecondHtml(run.series)}</details>
</section>`;
}

/** The report of `runs` (one scenario each, in order) as one HTML document. */
export function renderReport(runs: SavedRun[], opts: { title?: string } = {}): string {
  const title = opts.title ?? `Loadlens report: ${runs.map((r) => r.scenario).join(', ') || 'no runs'}`;
  const data: ReportPageData = { runs: runs.map((r) => ({ series: r.series, curve: r.summary.latencyCurve ?? [] })) };
  // In a <script> element only `</script` and `<!--` could end it early: escape every '<'.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  // Inline, the bundle must not close its own element early (the hash is of the text as written).
  const script = pageScript().replace(/<\/script/gi, '<\\/script');
  const csp = `default-src 'none'; script-src ${sha256(script)}; style-src ${sha256(REPORT_CSS)}; img-src data:`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Loadlens">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p class="meta">${runs.length} scenario run${runs.length === 1 ? '' : 's'}</p></header>
<main>
${runs.length ? runs.map(runHtml).join('\n') : '<p class="banner">No scenario ran: there is nothing to report.</p>'}
</main>
<footer>Made by Loadlens. Latency in the open model is measured from when each request was due (no coordinated omission); percentiles come from HDR histograms.</footer>
<script type="application/json" id="loadlens-report-data">${json}</script>
<script>${script}</script>
</body>
</html>
`;
}

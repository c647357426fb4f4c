// The panel page: listens for host messages, folds them into PanelState
// (src/view-model/reducers.ts), keeps the state with setState so it survives hiding and reloads,
// and draws it. Every string that came from a server or a script goes into the DOM as
// textContent, never as HTML.

import './panel.css';
import type { FromPanel, RunListItem, ToPanel } from '../src/view-model/messages';
import { generatorHealth, healthIssueText } from '../src/engine/health';
import {
  currentRun, curveFrom, curvePoints, curveTicks, elapsedSeconds, initialState, isPanelState,
  agentsLine, orderedValueKeys, peakVUs, percentileLabel, reduce, runWarning, selectScenario, summaryFigures,
  type PanelState, type RunView, type SeriesPoint,
} from '../src/view-model/reducers';
// The CLI's `loadlens compare` tabulates the same rows.
import { compareRows, formatFigure } from '../src/report/compare';
import { formatBytes, formatClock, formatCount, formatDelta, formatMetricValue, formatMs, formatObserved, formatPercent } from '../src/presentation/format';
import type { MetricSummary } from '../src/engine/types';
import {
  axes, chartColours, createRunCharts, drawRunCharts as drawCharts, line, makeChart, paintedCharts as painted, readPalette,
  type LineChart, type RunCharts,
} from './charts';

interface VsCodeApi {
  postMessage(message: FromPanel): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const saved = vscode.getState();
let state: PanelState = isPanelState(saved) ? saved : initialState();
let showTable = false;
const selectedRuns = new Set<string>();

function post(message: FromPanel): void {
  vscode.postMessage(message);
}

// ---------------------------------------------------------------------------------------------
// DOM helpers: text only.

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`panel: #${id} missing from the page`);
  return el;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string | null, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function row(cells: Array<string | HTMLElement>, numericFrom = 1): HTMLTableRowElement {
  const tr = el('tr');
  cells.forEach((c, i) => {
    const td = el('td', typeof c === 'string' ? c : undefined, i >= numericFrom ? 'num' : undefined);
    if (typeof c !== 'string') td.append(c);
    tr.append(td);
  });
  return tr;
}

function setFigure(id: string, value: number | null, text: string): void {
  const node = $(id);
  node.textContent = text;
  node.dataset.value = value === null || !Number.isFinite(value) ? '' : String(value);
}

function fillBody(table: string, rows: HTMLTableRowElement[], emptyText: string, columns: number): void {
  const body = $(table).querySelector('tbody')!;
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', emptyText, 'empty');
    td.colSpan = columns;
    tr.append(td);
    body.replaceChildren(tr);
  } else body.replaceChildren(...rows);
}

// ---------------------------------------------------------------------------------------------
// Charts

let palette = readPalette();
let charts: (RunCharts & { compare: LineChart }) | null = null;

function createCharts(): NonNullable<typeof charts> {
  const canvas = (id: string) => $(id) as HTMLCanvasElement;
  return {
    ...createRunCharts(palette, (name) => canvas(`chart-${name}`)),
    compare: makeChart(canvas('chart-compare'), palette, [line(palette, 'A', palette.a), line(palette, 'B', palette.b)], axes(palette, { xTitle: 'percentile', logX: true, yTitle: 'ms' })),
  };
}

/** Re-reads the theme colours (VS Code changes body classes and CSS variables on a theme switch). */
function applyPalette(): void {
  palette = readPalette();
  if (!charts) return;
  const colours = chartColours(palette);
  for (const [name, chart] of Object.entries(charts) as Array<[string, LineChart]>) {
    chart.data.datasets.forEach((d, i) => { d.borderColor = d.backgroundColor = colours[name][i]; d.borderWidth = palette.line; });
    for (const scale of Object.values(chart.options.scales ?? {})) {
      if (!scale) continue;
      const s = scale as { ticks?: { color?: string }; grid?: { color?: string }; title?: { color?: string } };
      if (s.ticks) s.ticks.color = palette.muted;
      if (s.grid && s.grid.color !== undefined) s.grid.color = palette.grid;
      if (s.title) s.title.color = palette.muted;
    }
    if (chart.options.plugins?.legend?.labels) chart.options.plugins.legend.labels.color = palette.fg;
    chart.update('none');
  }
}

function drawRunCharts(run: RunView | null): void {
  if (!charts) return;
  drawCharts(charts, run?.series ?? [], run ? curvePoints(run) : [], run?.summary ? 'http_req_duration' : 'live (p50, p90, p99)');
}

// ---------------------------------------------------------------------------------------------
// Render

function renderToolbar(run: RunView | null): void {
  const live = state.mode === 'live' && state.source === 'live';
  ($('stop') as HTMLButtonElement).disabled = !live;
  ($('run-again') as HTMLButtonElement).disabled = live || !run;
  ($('export') as HTMLButtonElement).disabled = !run?.summary;
  let status = 'Waiting for a run…';
  if (run) {
    const elapsed = formatClock(elapsedSeconds(run));
    const planned = run.plan ? ` / ${formatClock(run.plan.plannedMs / 1000)}` : '';
    const verdicts = run.thresholds;
    const passed = verdicts.filter((v) => v.ok).length;
    const th = verdicts.length ? ` · thresholds ${passed === verdicts.length ? '✓' : '✗'} ${passed}/${verdicts.length}` : '';
    if (state.mode === 'live') status = `Running ${run.scenario} · ${elapsed}${planned}${run.plan ? ` · ${run.plan.shape}` : ''}${th}`;
    else {
      const how = run.summary?.state.status ?? 'stopped';
      const exit = state.exitCode !== null ? ` · exit ${state.exitCode}` : '';
      status = `${state.source === 'saved' ? `Saved run ${new Date(run.startedAt).toLocaleString()}` : 'Finished'}: ${run.scenario} ${how} in ${elapsed}${th}${exit}`;
    }
  }
  $('status').textContent = status;
  const warning = runWarning(run);
  const w = $('warning');
  w.hidden = warning === null;
  if (w.textContent !== (warning ?? '')) w.textContent = warning ?? '';
  renderAgents(run);
  $('toggle-table').setAttribute('aria-pressed', String(showTable));
  $('data-box').classList.toggle('visually-hidden', !showTable);
}

/** A distributed run's agents (joined / running / lost, and the segments lost); hidden for a local run. */
function renderAgents(run: RunView | null): void {
  const line = agentsLine(run);
  const p = $('agents');
  p.hidden = line === null;
  if (p.textContent !== (line ?? '')) p.textContent = line ?? '';
  const a = run?.agents;
  for (const key of ['planned', 'joined', 'running', 'lost'] as const) p.dataset[key] = a ? String(a[key]) : '';
  const lost = a?.lostSegments ?? [];
  const list = $('lost-segments');
  list.hidden = lost.length === 0;
  list.replaceChildren(...lost.map((segment) => el('li', `segment ${segment} lost: its remaining load was not run`)));
}

function renderScenarioTabs(): void {
  const nav = $('scenarios');
  nav.hidden = state.runs.length < 2;
  nav.replaceChildren(...state.runs.map((r) => {
    const b = el('button', r.scenario);
    b.type = 'button';
    b.dataset.scenario = r.scenario;
    b.setAttribute('aria-current', String(r.scenario === currentRun(state)?.scenario));
    return b;
  }));
}

function renderFigures(run: RunView | null): void {
  const live = run?.live;
  if (run?.summary) {
    const f = new Map(summaryFigures(run.summary).map((x) => [x.key, x.value]));
    const failedCount = run.summary.metrics.http_req_failed?.values.passes ?? null;
    setFigure('p50', f.get('p50') ?? null, formatMs(f.get('p50')));
    setFigure('p90', f.get('p90') ?? null, formatMs(f.get('p90')));
    setFigure('p99', f.get('p99') ?? null, formatMs(f.get('p99')));
    setFigure('max', f.get('max') ?? null, formatMs(f.get('max')));
    setFigure('rps', f.get('rps') ?? null, formatCount(f.get('rps')));
    // http_req_failed counts failures as the rate's passes (k6's convention: "rate of failed").
    const errors = failedCount ?? Object.values(run.errorsByKind).reduce((a, b) => a + b, 0);
    setFigure('errors', errors, formatCount(errors));
    const vus = peakVUs(run.summary) ?? live?.vusMax ?? null;
    setFigure('vus', vus, formatCount(vus));
    setFigure('requests', f.get('requests') ?? null, formatCount(f.get('requests')));
  } else {
    setFigure('p50', live?.p50 ?? null, formatMs(live?.p50));
    setFigure('p90', live?.p90 ?? null, formatMs(live?.p90));
    setFigure('p99', live?.p99 ?? null, formatMs(live?.p99));
    setFigure('max', live?.max ?? null, formatMs(live?.max));
    setFigure('rps', live?.rps ?? null, formatCount(live?.rps));
    setFigure('errors', live?.errors ?? null, formatCount(live?.errors));
    setFigure('vus', live?.vus ?? null, formatCount(live?.vus));
    setFigure('requests', live?.requests ?? null, formatCount(live?.requests));
  }
}

function renderPanels(run: RunView | null): void {
  const verdicts = run?.thresholds ?? [];
  const list = $('thresholds');
  if (verdicts.length === 0) list.replaceChildren(el('li', 'No thresholds.', 'empty'));
  else {
    list.replaceChildren(...verdicts.map((v) => {
      const li = el('li');
      const pending = v.observed === null && state.mode === 'live';
      li.dataset.ok = pending ? 'pending' : String(v.ok);
      li.dataset.metric = v.metric;
      li.append(el('span', pending ? '…' : v.ok ? '✓' : '✗', 'mark'), el('span', `${v.metric}: ${v.expression}`));
      li.append(el('span', ` (observed ${formatObserved(v)})`, 'where'));
      return li;
    }));
  }
  fillBody('checks', (run?.checks ?? []).map((c) => {
    const total = c.passes + c.fails;
    const tr = row([c.name, formatCount(c.passes), formatCount(c.fails), formatPercent(total ? c.passes / total : null)]);
    tr.dataset.check = c.name;
    return tr;
  }), 'No checks.', 4);
  const kinds = Object.entries(run?.errorsByKind ?? {}).sort((a, b) => b[1] - a[1]);
  fillBody('errors-by-kind', kinds.map(([k, n]) => {
    const tr = row([k, formatCount(n)]);
    tr.dataset.kind = k;
    return tr;
  }), 'No errors.', 2);
  const problems = $('problems');
  if (state.problems.length === 0) problems.replaceChildren(el('li', 'None.', 'empty'));
  else problems.replaceChildren(...state.problems.map((p) => {
    const li = el('li');
    li.append(el('span', p.kind, 'kind'), el('span', p.message));
    if (p.location) li.append(el('span', ` — ${p.location.file}:${p.location.line}:${p.location.column}`, 'where'));
    if (p.count > 1) li.append(el('span', ` ×${formatCount(p.count)}`, 'where'));
    return li;
  }));
}

function renderSummary(run: RunView | null): void {
  const box = $('summary-box');
  const s = run?.summary;
  box.hidden = !s;
  if (!s) return;
  const rows = Object.keys(s.metrics).sort().map((name) => {
    const m = s.metrics[name];
    const values = el('div', null, 'values');
    for (const key of orderedValueKeys(m.values)) {
      const span = el('span');
      span.dataset.metric = name;
      span.dataset.key = key;
      span.dataset.value = String(m.values[key]);
      span.append(el('span', key, 'key'), document.createTextNode(formatMetricValue(m, key, m.values[key])));
      values.append(span);
    }
    const tr = row([name, values], 99);
    tr.dataset.metric = name;
    return tr;
  });
  fillBody('summary', rows, 'No metrics.', 2);
  // The generator's health first, when off: so nobody mistakes a saturated generator for a slow server.
  const health = generatorHealth(s);
  const healthNotes = health.issues.map((i) => el('li', `${i.cause === 'vus' ? 'Load not fully applied' : 'Generator health'}: ${healthIssueText(i)}`, 'health'));
  $('notes').replaceChildren(...healthNotes, ...s.notes.map((n) => el('li', n)));
}

/** The per-second table for screen readers: appends new rows instead of rebuilding each second. */
let dataTableKey = '';
function renderDataTable(run: RunView | null): void {
  const body = $('data-table').querySelector('tbody')!;
  const s = run?.series ?? [];
  const key = `${run?.scenario}|${run?.startedAt}|${run?.bucket}`;
  if (key !== dataTableKey || body.rows.length > s.length) { body.replaceChildren(); dataTableKey = key; }
  const toRow = (p: SeriesPoint) => row([formatClock(p.t), formatMs(p.p50), formatMs(p.p90), formatMs(p.p99), formatMs(p.max), formatCount(p.rps), formatCount(p.errorsPerSec), formatCount(p.vus), formatCount(p.dropped), formatCount(p.late)]);
  // The last row may have changed (a bucket filling up); replace it, then append.
  const from = Math.max(0, body.rows.length - 1);
  while (body.rows.length > from) body.deleteRow(-1);
  for (let i = from; i < s.length; i++) body.append(toRow(s[i]));
}

function renderCompare(): void {
  const view = $('compare-view');
  const c = state.mode === 'compare' ? state.compare : null;
  view.hidden = !c;
  $('live-view').hidden = !!c;
  if (!c || !charts) return;
  const label = (r: typeof c.a) => `${r.scenario} ${new Date(r.startedAt).toLocaleString()}`;
  $('compare-a').textContent = `A: ${label(c.a)}`;
  $('compare-b').textContent = `B: ${label(c.b)}`;
  charts.compare.data.datasets[0].label = `A: ${c.a.scenario}`;
  charts.compare.data.datasets[1].label = `B: ${c.b.scenario}`;
  charts.compare.data.datasets[0].data = curveFrom(c.a.summary.latencyCurve ?? []);
  charts.compare.data.datasets[1].data = curveFrom(c.b.summary.latencyCurve ?? []);
  charts.compare.update('none');
  fillBody('compare-table', compareRows(c.a.summary, c.b.summary).map((r) => {
    const f = (n: number) => formatFigure(r.unit, n);
    const tr = row([r.label, r.a === null ? '–' : f(r.a), r.b === null ? '–' : f(r.b), formatDelta(r.a, r.b, f)]);
    tr.dataset.key = r.key;
    if (r.a !== null && r.b !== null && r.a !== r.b) tr.dataset.better = String((r.b < r.a) === (r.better === 'lower'));
    return tr;
  }), 'Nothing to compare.', 4);
}

function renderHistory(): void {
  const box = $('history-box');
  box.hidden = state.history.length === 0;
  for (const id of [...selectedRuns]) if (!state.history.some((h) => h.id === id)) selectedRuns.delete(id);
  fillBody('history', state.history.map((h: RunListItem) => {
    const pick = el('input');
    pick.type = 'checkbox';
    pick.checked = selectedRuns.has(h.id);
    pick.dataset.runId = h.id;
    pick.setAttribute('aria-label', `select ${h.scenario} ${new Date(h.startedAt).toLocaleString()}`);
    const open = el('button', 'Open');
    open.type = 'button';
    open.dataset.openRun = h.id;
    const tr = row([pick, new Date(h.startedAt).toLocaleString(), h.scenario, formatMs(h.p99), formatCount(h.rps), `${h.status}${h.thresholdsOk ? '' : ' ✗'}`, open], 3);
    return tr;
  }), 'No saved runs.', 7);
  ($('compare-selected') as HTMLButtonElement).disabled = selectedRuns.size !== 2;
}

function paintedCharts(): number {
  return charts ? painted([charts.latency, charts.throughput, charts.vus, charts.curve]) : 0;
}

function render(): void {
  renderPending = false;
  charts ??= createCharts();
  const run = currentRun(state);
  document.body.dataset.state = state.mode;
  document.body.dataset.scenario = run?.scenario ?? '';
  document.body.dataset.points = String(run?.series.length ?? 0);
  renderToolbar(run);
  renderScenarioTabs();
  renderFigures(run);
  drawRunCharts(run);
  renderPanels(run);
  renderSummary(run);
  renderDataTable(run);
  renderCompare();
  renderHistory();
  post({
    type: 'rendered', mode: state.mode, scenario: run?.scenario ?? null, points: run?.series.length ?? 0,
    rps: numberOf('rps'), p99: numberOf('p99'), requests: numberOf('requests'), paintedCharts: paintedCharts(),
  });
}

function numberOf(id: string): number | null {
  const v = $(id).dataset.value;
  return v ? Number(v) : null;
}

// Messages arrive up to a few per second per scenario; draw once per burst.
let renderPending = false;
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  setTimeout(render, 0);
}

function update(next: PanelState): void {
  if (next === state) return;
  state = next;
  vscode.setState(state);
  scheduleRender();
}

// ---------------------------------------------------------------------------------------------
// Wiring

window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
  const msg = event.data;
  if (!msg || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') return;
  // The page's own saved state is newer than the serializer's copy: keep it.
  if (msg.type === 'restore' && state.mode !== 'idle') return;
  update(reduce(state, msg));
});

$('stop').addEventListener('click', () => post({ type: 'stop' }));
$('run-again').addEventListener('click', () => post({ type: 'runAgain' }));
$('export').addEventListener('click', () => post({ type: 'export' }));
$('toggle-table').addEventListener('click', () => { showTable = !showTable; renderToolbar(currentRun(state)); });
$('close-compare').addEventListener('click', () => update({ ...state, mode: state.runs.length ? 'finished' : 'idle', compare: null }));
$('scenarios').addEventListener('click', (e) => {
  const scenario = (e.target as HTMLElement).closest('button')?.dataset.scenario;
  if (scenario) update(selectScenario(state, scenario));
});
$('history').addEventListener('click', (e) => {
  const target = e.target as HTMLElement;
  const open = target.closest('button')?.dataset.openRun;
  if (open) { post({ type: 'openRun', id: open }); return; }
  if (target instanceof HTMLInputElement && target.dataset.runId) {
    if (target.checked) selectedRuns.add(target.dataset.runId); else selectedRuns.delete(target.dataset.runId);
    ($('compare-selected') as HTMLButtonElement).disabled = selectedRuns.size !== 2;
  }
});
$('compare-selected').addEventListener('click', () => {
  const [a, b] = [...selectedRuns];
  if (a && b) post({ type: 'compareRuns', a, b });
});
new MutationObserver(applyPalette).observe(document.body, { attributes: true, attributeFilter: ['class'] });
new MutationObserver(applyPalette).observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });

render();
post({ type: 'ready' });

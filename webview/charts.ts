// The run charts (latency over time, requests and errors per second, VUs and dropped iterations,
// the HDR percentile curve) with chart.js: built the same way by the panel (main.ts) and the HTML
// report's page (report-page.ts). Colours come from the page's --ll-* CSS variables.

import {
  Chart, LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip,
  type ChartConfiguration, type ChartDataset,
} from 'chart.js';
import { curveTicks, percentileLabel, type SeriesPoint } from '../src/view-model/reducers';
import { formatClock } from '../src/presentation/format';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

export interface Palette {
  fg: string; muted: string; grid: string; line: number;
  p50: string; p90: string; p99: string; max: string; rps: string; errors: string;
  vus: string; dropped: string; late: string; a: string; b: string;
}

export function readPalette(): Palette {
  const css = getComputedStyle(document.body);
  const v = (name: string) => css.getPropertyValue(`--ll-${name}`).trim() || css.color;
  return {
    fg: v('fg'), muted: v('muted'), grid: v('grid'), line: Number(v('line')) || 1.5,
    p50: v('p50'), p90: v('p90'), p99: v('p99'), max: v('max'), rps: v('rps'), errors: v('errors'),
    vus: v('vus'), dropped: v('dropped'), late: v('late'), a: v('a'), b: v('b'),
  };
}

export type Point = { x: number; y: number };
export type Line = ChartDataset<'line', Point[]>;
export type LineChart = Chart<'line', Point[]>;
type Scales = NonNullable<ChartConfiguration<'line'>['options']>['scales'];

export function line(palette: Palette, label: string, color: string, yAxisID = 'y', dash?: number[]): Line {
  return {
    label, data: [], borderColor: color, backgroundColor: color, borderWidth: palette.line, pointRadius: 0,
    pointHitRadius: 6, tension: 0, yAxisID, borderDash: dash, spanGaps: true,
  };
}

export function axes(palette: Palette, opts: { xTitle: string; y1?: string; logX?: boolean; yTitle?: string }): Scales {
  const tick = { color: palette.muted };
  const grid = { color: palette.grid };
  const scales: Record<string, object> = {
    x: {
      type: opts.logX ? 'logarithmic' : 'linear', title: { display: true, text: opts.xTitle, color: palette.muted },
      ticks: opts.logX ? { ...tick, callback: (value: string | number) => percentileLabel(Number(value)) } : { ...tick, precision: 0, callback: (value: string | number) => formatClock(Number(value)) },
      grid,
      ...(opts.logX ? { min: 1, afterBuildTicks: (axis: { ticks: Array<{ value: number }>; max: number }) => { axis.ticks = curveTicks(axis.max).map((value) => ({ value })); } } : {}),
    },
    y: { type: 'linear', beginAtZero: true, ticks: tick, grid, title: { display: !!opts.yTitle, text: opts.yTitle ?? '', color: palette.muted } },
  };
  if (opts.y1) scales.y1 = { type: 'linear', position: 'right', beginAtZero: true, ticks: tick, grid: { drawOnChartArea: false }, title: { display: true, text: opts.y1, color: palette.muted } };
  return scales as Scales;
}

export function makeChart(canvas: HTMLCanvasElement, palette: Palette, datasets: Line[], scales: Scales): LineChart {
  return new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: { legend: { labels: { color: palette.fg, boxWidth: 12 } }, tooltip: { enabled: true } },
      scales,
    },
  });
}

export interface RunCharts {
  latency: LineChart;
  throughput: LineChart;
  vus: LineChart;
  curve: LineChart;
}

/** The four charts of one run, on the canvases `canvas(name)` returns. */
export function createRunCharts(palette: Palette, canvas: (name: keyof RunCharts) => HTMLCanvasElement): RunCharts {
  return {
    latency: makeChart(canvas('latency'), palette, [line(palette, 'p50', palette.p50), line(palette, 'p90', palette.p90), line(palette, 'p99', palette.p99), line(palette, 'max', palette.max, 'y', [4, 3])], axes(palette, { xTitle: 'elapsed', yTitle: 'ms' })),
    throughput: makeChart(canvas('throughput'), palette, [line(palette, 'req/s', palette.rps), line(palette, 'errors/s', palette.errors, 'y1')], axes(palette, { xTitle: 'elapsed', y1: 'errors/s' })),
    vus: makeChart(canvas('vus'), palette, [line(palette, 'VUs', palette.vus), line(palette, 'dropped/s', palette.dropped, 'y1'), line(palette, 'late', palette.late, 'y1', [4, 3])], axes(palette, { xTitle: 'elapsed', y1: 'iterations' })),
    curve: makeChart(canvas('curve'), palette, [line(palette, 'latency', palette.p99)], axes(palette, { xTitle: 'percentile', logX: true, yTitle: 'ms' })),
  };
}

/** Dataset colours per chart, in dataset order (for a theme change). */
export function chartColours(palette: Palette): Record<string, string[]> {
  return {
    latency: [palette.p50, palette.p90, palette.p99, palette.max], throughput: [palette.rps, palette.errors],
    vus: [palette.vus, palette.dropped, palette.late], curve: [palette.p99], compare: [palette.a, palette.b],
  };
}

function seriesOf(points: SeriesPoint[], pick: (p: SeriesPoint) => number): Point[] {
  return points.map((p) => ({ x: p.t, y: pick(p) }));
}

/** Draws a run's series and percentile curve into its charts. */
export function drawRunCharts(charts: RunCharts, s: SeriesPoint[], curve: Point[], curveLabel: string): void {
  const set = (chart: LineChart, data: Point[][]) => {
    data.forEach((d, i) => { chart.data.datasets[i].data = d; });
    chart.update('none');
  };
  set(charts.latency, [seriesOf(s, (p) => p.p50), seriesOf(s, (p) => p.p90), seriesOf(s, (p) => p.p99), seriesOf(s, (p) => p.max)]);
  set(charts.throughput, [seriesOf(s, (p) => p.rps), seriesOf(s, (p) => p.errorsPerSec)]);
  set(charts.vus, [seriesOf(s, (p) => p.vus), seriesOf(s, (p) => p.dropped), seriesOf(s, (p) => p.late)]);
  charts.curve.data.datasets[0].label = curveLabel;
  set(charts.curve, [curve]);
}

/** How many of `charts` with data have painted at least one pixel (tests read it). */
export function paintedCharts(charts: LineChart[]): number {
  let n = 0;
  for (const chart of charts) {
    if (!chart.data.datasets.some((d) => d.data.length > 0)) continue;
    const ctx = chart.canvas.getContext('2d');
    if (!ctx || chart.canvas.width === 0 || chart.canvas.height === 0) continue;
    const pixels = ctx.getImageData(0, 0, chart.canvas.width, chart.canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) { n++; break; }
  }
  return n;
}

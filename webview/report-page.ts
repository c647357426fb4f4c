// The HTML report's script (src/report/html.ts inlines it): draws each run's charts from the
// data the report embeds, with the panel's chart code. Tables and text are static HTML.

import { createRunCharts, drawRunCharts, paintedCharts, readPalette, type LineChart } from './charts';
import { curveFrom, type SeriesPoint } from '../src/view-model/reducers';

/** The JSON the report embeds in #loadlens-report-data. */
export interface ReportPageData {
  runs: Array<{ series: SeriesPoint[]; curve: Array<[number, number]> }>;
}

const data = JSON.parse(document.getElementById('loadlens-report-data')!.textContent!) as ReportPageData;
const palette = readPalette();
const charts: LineChart[] = [];
data.runs.forEach((run, i) => {
  const c = createRunCharts(palette, (name) => document.getElementById(`r${i}-chart-${name}`) as HTMLCanvasElement);
  drawRunCharts(c, run.series, curveFrom(run.curve), 'http_req_duration');
  charts.push(c.latency, c.throughput, c.vus, c.curve);
});
// For tests and curious readers: how many charts have data, and how many painted pixels.
requestAnimationFrame(() => {
  document.body.dataset.charts = String(charts.filter((c) => c.data.datasets.some((d) => d.data.length > 0)).length);
  document.body.dataset.painted = String(paintedCharts(charts));
});
// Colours follow the system theme: redraw with the other palette when it changes.
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => location.reload());

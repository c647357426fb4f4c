// The HTML report's stylesheet (inlined into every report): light and dark themes through
// prefers-color-scheme; the --ll-* variables are the ones the panel's chart code reads.

export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --ll-fg: #1f2328; --ll-muted: #59636e; --ll-bg: #ffffff; --ll-card: #f6f8fa; --ll-border: #d1d9e0;
  --ll-grid: rgba(128, 128, 128, 0.25);
  --ll-p50: #1a7f37; --ll-p90: #0969da; --ll-p99: #bc4c00; --ll-max: #cf222e;
  --ll-rps: #0969da; --ll-errors: #cf222e; --ll-vus: #8250df; --ll-dropped: #cf222e; --ll-late: #9a6700;
  --ll-a: #0969da; --ll-b: #bc4c00; --ll-ok: #1a7f37; --ll-fail: #cf222e; --ll-warn: #9a6700; --ll-line: 1.5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --ll-fg: #e6edf3; --ll-muted: #9198a1; --ll-bg: #0d1117; --ll-card: #151b23; --ll-border: #3d444d;
    --ll-p50: #3fb950; --ll-p90: #4493f8; --ll-p99: #db6d28; --ll-max: #f85149;
    --ll-rps: #4493f8; --ll-errors: #f85149; --ll-vus: #ab7df8; --ll-dropped: #f85149; --ll-late: #d29922;
    --ll-a: #4493f8; --ll-b: #db6d28; --ll-ok: #3fb950; --ll-fail: #f85149; --ll-warn: #d29922;
  }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1280px; padding: 16px 20px 40px; color: var(--ll-fg); background: var(--ll-bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.5em; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.25em; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--ll-border); overflow-wrap: anywhere; }
h3 { font-size: 1.05em; margin: 18px 0 6px; }
.meta, .muted { color: var(--ll-muted); }
.figures { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.figure { background: var(--ll-card); border: 1px solid var(--ll-border); border-radius: 6px; padding: 6px 12px; min-width: 7em; }
.figure-label { display: block; color: var(--ll-muted); font-size: 0.85em; }
.figure-value { font-size: 1.25em; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
figure.chart { margin: 0; background: var(--ll-card); border: 1px solid var(--ll-border); border-radius: 6px; padding: 8px; }
figcaption { color: var(--ll-muted); font-size: 0.9em; margin-bottom: 4px; }
.canvas-box { position: relative; height: 240px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--ll-border); vertical-align: top; overflow-wrap: anywhere; }
th { color: var(--ll-muted); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.table-box { overflow-x: auto; }
ul.findings, ul.verdicts, ul.notes { padding-left: 0; list-style: none; margin: 0; }
ul.findings li, ul.verdicts li { padding: 6px 10px; margin: 4px 0; border-left: 4px solid var(--ll-border); background: var(--ll-card); border-radius: 0 4px 4px 0; }
li[data-severity="good"], li[data-ok="true"] { border-left-color: var(--ll-ok); }
li[data-severity="warn"] { border-left-color: var(--ll-warn); }
li[data-severity="bad"], li[data-ok="false"] { border-left-color: var(--ll-fail); }
.mark-ok { color: var(--ll-ok); font-weight: 700; }
.mark-fail { color: var(--ll-fail); font-weight: 700; }
ul.notes li { margin: 4px 0; color: var(--ll-muted); }
.empty { color: var(--ll-muted); font-style: italic; }
.banner { padding: 10px 14px; border: 1px solid var(--ll-warn); border-radius: 6px; margin: 12px 0; }
details summary { cursor: pointer; color: var(--ll-muted); margin: 8px 0; }
footer { margin-top: 32px; color: var(--ll-muted); font-size: 0.85em; }
@media print { .canvas-box { height: 200px; } body { max-width: none; } }
`;

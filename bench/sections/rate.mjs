// Section: arrival-rate accuracy. A ramp 0 → 5,000 iterations/s over 20 s, held 10 s, against
// nginx; the started iterations per one-second interval (from the --out file) against the plan
// (the exact integral of the ramp over the same interval), and the total against the plan.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMeasured, cmdline } from '../lib/proc.mjs';
import { table, fmtInt } from '../lib/report.mjs';

const PEAK = 5000;
const RAMP_S = 20;
const HOLD_S = 10;

/** Planned arrivals by time t (s): the integral of the rate. */
function arrivalsBy(t) {
  if (t <= 0) return 0;
  if (t <= RAMP_S) return (PEAK / RAMP_S) * t * t / 2;
  return (PEAK * RAMP_S) / 2 + PEAK * (Math.min(t, RAMP_S + HOLD_S) - RAMP_S);
}

/** Iterations k (0-based, due when arrivalsBy(t) = k) due in [a, b) seconds. */
function plannedIn(a, b) {
  return Math.ceil(arrivalsBy(b) - 1e-9) - Math.ceil(arrivalsBy(a) - 1e-9);
}

export async function run(ctx) {
  const cli = ctx.cli;
  if (!existsSync(cli)) return { skipped: 'Loadlens is not built' };
  const dir = mkdtempSync(join(tmpdir(), 'llrate-'));
  const out = join(dir, 'out.jsonl');
  const args = [cli, 'run', join(ctx.root, 'bench/scenarios/ramp-rate.load.ts'), '--target', ctx.url, '--out', out,
    '--summary-export', join(dir, 'summary.json')];
  const r = await runMeasured(process.execPath, args, { cpu: ctx.generatorCpu, cwd: ctx.root });
  if (r.code !== 0 && r.code !== 99) return { error: `exit ${r.code}: ${r.stderr.slice(-400)}`, command: cmdline(process.execPath, args) };
  const intervals = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'interval').map((x) => x.interval);
  const rows = intervals.map((iv) => {
    const planned = plannedIn(iv.startMs / 1000, iv.endMs / 1000);
    return { index: iv.index, startMs: iv.startMs, endMs: iv.endMs, planned, due: iv.iterationsDue, started: iv.iterationsStarted, dropped: iv.iterationsDropped, backlog: iv.backlog };
  });
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  return {
    command: cmdline(process.execPath, args), cpuS: r.cpuS, rows,
    plannedTotal: Math.ceil(arrivalsBy(RAMP_S + HOLD_S) - 1e-9),
    startedTotal: rows.reduce((a, x) => a + x.started, 0),
    dueTotal: rows.reduce((a, x) => a + x.due, 0),
    droppedTotal: rows.reduce((a, x) => a + x.dropped, 0),
    iterations: summary.metrics?.iterations?.values?.count,
  };
}

export function render(raw) {
  if (raw.skipped || raw.error) return `## Arrival-rate accuracy\n\nNot measured: ${raw.skipped ?? raw.error}\n`;
  const dev = (x) => (x.planned ? (100 * (x.started - x.planned)) / x.planned : 0);
  // Full seconds above 100/s: the interval edges are not exact seconds, so tiny counts are noise.
  const judged = raw.rows.filter((x) => x.planned >= 100 && x.endMs - x.startMs > 990);
  const worst = judged.reduce((w, x) => (Math.abs(dev(x)) > Math.abs(dev(w)) ? x : w), judged[0] ?? { planned: 1, started: 1 });
  const within = judged.filter((x) => Math.abs(dev(x)) <= 1).length;
  const rows = raw.rows.map((x) => [x.index, `${Math.round(x.startMs)}–${Math.round(x.endMs)}`, fmtInt(x.planned), fmtInt(x.due), fmtInt(x.started), fmtInt(x.dropped), fmtInt(x.backlog), x.planned ? `${dev(x).toFixed(2)} %` : '—']);
  return `## Arrival-rate accuracy: ramp 0 → 5,000/s over 20 s, then 10 s at 5,000/s (nginx target)

Planned total ${fmtInt(raw.plannedTotal)}; due ${fmtInt(raw.dueTotal)}, started ${fmtInt(raw.startedTotal)}, dropped ${fmtInt(raw.droppedTotal)}
(summary \`iterations\` ${fmtInt(raw.iterations)}). Seconds with ≥ 100 planned: ${within}/${judged.length} within ±1 % of the plan;
worst ${worst ? `${dev(worst).toFixed(2)} % (interval ${worst.index})` : '—'}. Generator CPU ${raw.cpuS?.toFixed(2)} s.
"planned" is the exact integral of the ramp over the interval's own [start, end) as the --out file reports it.

<details><summary>Per interval</summary>

${table(['interval', 'ms', 'planned', 'due', 'started', 'dropped', 'backlog', 'started vs plan'], rows)}

</details>

Command: \`${raw.command}\`
`;
}

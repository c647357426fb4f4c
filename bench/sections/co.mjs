// Section: coordinated omission. The stall server (test/servers/stall-server.ts: every response
// held while a 500 ms stall lasts, once every 5 s) in its own process on CPU 0, driven at a fixed
// rate in the open model; each generator's percentiles against the ground truth that the
// simulation of the same schedule (test/servers/stall-sim.ts) computes for the run's own phase.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPinned, waitForLine, stopChild } from '../lib/spawn.mjs';
import { runMeasured, cmdline } from '../lib/proc.mjs';
import { table, fmtMs, fmtInt } from '../lib/report.mjs';

const STALL_MS = 500;
const PERIOD_MS = 5000;

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The simulation is TypeScript (test/servers/stall-sim.ts): run it through tsx in a child. */
function simulate(root, opts) {
  const code = "const { simulateStall } = require('./test/servers/stall-sim.ts'); console.log(JSON.stringify(simulateStall(JSON.parse(process.argv[1]))))";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code, JSON.stringify(opts)], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`stall simulation failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export async function run(ctx) {
  const rates = ctx.quick ? [1000] : [1000, 5000];
  const seconds = ctx.quick ? 10 : 20; // whole stall periods, so the phase barely matters for peers
  const node = process.execPath;
  const simulateStall = (opts) => simulate(ctx.root, opts);
  const server = spawnPinned(node, ['--import', 'tsx', 'test/servers/stall-server.ts', String(STALL_MS), String(PERIOD_MS)],
    { cpu: ctx.serverCpu, cwd: ctx.root, stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await waitForLine(server, /\{.*"startedAtEpoch".*\}\n/);
  const info = JSON.parse(line);
  const results = [];
  try {
    for (const rate of rates) {
      const truthFor = (startEpoch) => simulateStall({ rate, durationMs: seconds * 1000, phaseMs: startEpoch - info.startedAtEpoch,
        schedule: { stallMs: STALL_MS, periodMs: PERIOD_MS } });
      // Loadlens: open model, latency from the due time.
      if (existsSync(ctx.cli)) {
        const dir = mkdtempSync(join(tmpdir(), 'llco-'));
        const args = [ctx.cli, 'run', join(ctx.root, 'bench/scenarios/open-rate.load.ts'), '--rate', String(rate),
          '--duration', `${seconds}s`, '--target', info.url, '--out', join(dir, 'out.jsonl'), '--summary-export', join(dir, 's.json')];
        const r = await runMeasured(node, args, { cpu: ctx.generatorCpu, cwd: ctx.root });
        const row = { tool: 'loadlens', rate, command: cmdline(node, args) };
        try {
          const s = JSON.parse(readFileSync(join(dir, 's.json'), 'utf8'));
          const lines = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
          const start = lines.find((l) => l.type === 'start');
          const ivs = lines.filter((l) => l.type === 'interval').map((l) => l.interval);
          const d = s.metrics.http_req_duration.values;
          const total = (k) => ivs.reduce((a, iv) => a + iv[k], 0);
          Object.assign(row, {
            p50: d.med, p95: d['p(95)'], p99: d['p(99)'], p999: d['p(99.9)'], max: d.max,
            requests: s.metrics.http_reqs.values.count, errorPct: 100 * (s.metrics.http_req_failed?.values.rate ?? 0),
            due: total('iterationsDue'), started: total('iterationsStarted'), dropped: total('iterationsDropped'),
            truth: truthFor(start.startedAt), cpuS: r.cpuS,
          });
        } catch (e) { row.error = `exit ${r.code}: ${e.message} ${r.stderr.slice(-300)}`; }
        results.push(row);
        ctx.log(`  loadlens ${rate}/s: ${row.error ?? `p50 ${fmtMs(row.p50)} p99 ${fmtMs(row.p99)} max ${fmtMs(row.max)} (truth p99 ${fmtMs(row.truth?.p99)})`}`);
      }
      // autocannon -R: overall rate over 100 connections.
      {
        const args = [join(ctx.root, 'node_modules/autocannon/autocannon.js'), '-c', '100', '-R', String(rate), '-d', String(seconds), '--json', info.url + '/'];
        const t = Date.now();
        const r = await runMeasured(node, args, { cpu: ctx.generatorCpu, cwd: ctx.root });
        const row = { tool: 'autocannon -R', rate, command: cmdline(node, args) };
        try {
          const j = JSON.parse(r.stdout);
          const l = j.latency;
          Object.assign(row, { p50: l.p50, p95: null, p975: l.p97_5, p99: l.p99, p999: l.p99_9, max: l.max, requests: j.requests.total,
            errorPct: (100 * (j.errors + j.timeouts + j.non2xx)) / Math.max(1, j.requests.total + j.errors), planned: rate * seconds, truth: truthFor(t), cpuS: r.cpuS });
        } catch (e) { row.error = `exit ${r.code}: ${e.message}`; }
        results.push(row);
        ctx.log(`  autocannon ${rate}/s: ${row.error ?? `p50 ${row.p50} p99 ${row.p99} max ${row.max}, ${row.requests} requests`}`);
      }
      // hey -q: QPS per worker; 100 workers; per-request CSV for exact percentiles.
      {
        const workers = 100;
        const args = ['-z', `${seconds}s`, '-c', String(workers), '-q', String(rate / workers), '-o', 'csv', info.url + '/'];
        const t = Date.now();
        const r = await runMeasured('hey', args, { cpu: ctx.generatorCpu, cwd: ctx.root });
        const row = { tool: 'hey -q', rate, command: cmdline('hey', args) };
        try {
          const rows = r.stdout.trim().split('\n').slice(1).map((x) => x.split(','));
          const ok = rows.filter((x) => x[6] === '200');
          const lat = Float64Array.from(rows.map((x) => Number(x[0]) * 1000)).sort();
          Object.assign(row, { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), p999: pct(lat, 99.9), max: lat[lat.length - 1],
            requests: rows.length, errorPct: (100 * (rows.length - ok.length)) / Math.max(1, rows.length), planned: rate * seconds, truth: truthFor(t), cpuS: r.cpuS });
        } catch (e) { row.error = `exit ${r.code}: ${e.message}`; }
        results.push(row);
        ctx.log(`  hey ${rate}/s: ${row.error ?? `p50 ${fmtMs(row.p50)} p99 ${fmtMs(row.p99)} max ${fmtMs(row.max)}, ${row.requests} requests`}`);
      }
    }
  } finally {
    server.stdin.end();
    await stopChild(server);
  }
  return { stallMs: STALL_MS, periodMs: PERIOD_MS, seconds, results };
}

function vsTruth(v, t) {
  if (v == null || t == null || !Number.isFinite(v)) return '—';
  return `${fmtMs(v)} (${v >= t ? '+' : ''}${((100 * (v - t)) / t).toFixed(0)} %)`;
}

export function render(raw) {
  const rows = [];
  for (const rate of [...new Set(raw.results.map((r) => r.rate))]) {
    const truth = raw.results.find((r) => r.rate === rate && r.truth)?.truth;
    if (truth) rows.push([`**ground truth** (simulation)`, fmtInt(rate), fmtMs(truth.p50), fmtMs(truth.p95), fmtMs(truth.p99), fmtMs(truth.p999), fmtMs(truth.max), '0', fmtInt(truth.count), '']);
    for (const r of raw.results.filter((x) => x.rate === rate)) {
      if (r.error) { rows.push([r.tool, fmtInt(rate), '—', '—', '—', '—', '—', '—', '—', r.error]); continue; }
      const t = r.truth ?? {};
      const sent = r.tool === 'loadlens'
        ? `${fmtInt(r.requests)} (due ${fmtInt(r.due)} = started ${fmtInt(r.started)} + dropped ${fmtInt(r.dropped)}${r.due === r.started + r.dropped ? ' ✓' : ' ✗'})`
        : `${fmtInt(r.requests)} (${((100 * r.requests) / r.planned).toFixed(0)} % of planned)`;
      rows.push([r.tool, fmtInt(rate), vsTruth(r.p50, t.p50), r.p95 == null ? `— (p97.5 ${fmtMs(r.p975)})` : vsTruth(r.p95, t.p95),
        vsTruth(r.p99, t.p99), vsTruth(r.p999, t.p999), vsTruth(r.max, t.max), (r.errorPct ?? 0).toFixed(2), sent, `CPU ${r.cpuS?.toFixed(1)} s`]);
    }
  }
  const cmds = [...new Map(raw.results.map((r) => [r.tool, r.command])).entries()].map(([t, c]) => `- ${t}: \`${c}\``).join('\n');
  return `## Coordinated omission: the stall server (${raw.stallMs} ms stall every ${raw.periodMs / 1000} s), open model, ${raw.seconds} s

Latencies in ms (difference to the ground truth in brackets). The ground truth is the simulation of the same
schedule at the run's own phase (\`simulateStall\` in test/servers/stall-sim.ts, 0.5 ms service time). Loadlens
reports \`http_req_duration\` from each iteration's due time. The peers' phase is taken from their spawn time
(whole stall periods, so it barely matters). autocannon prints no p95.

${table(['generator', 'rate /s', 'p50', 'p95', 'p99', 'p99.9', 'max', 'errors %', 'requests', 'note'], rows)}

${cmds}
`;
}

// Section: series cardinality. 200 requests/s for 20 s, open model, against a Node target on
// CPU 0 that answers at once; each request goes to one of 1,000 distinct paths (/items/0 …
// /items/999) named by the default naming (its path), or tagged by its template with `url`
// (one name), against the same run to a single path. Reports the run's own delay
// (iteration_lag p99: how late iterations started) and the peak RSS of the generator's
// process tree. Standalone: `node bench/sections/series.mjs [--modes single,distinct,template]
// [--seconds 20] [--runs 1] [--out FILE] [--variants before=OLD/dist/cli.js,after=dist/cli.js]`
// (needs `npm run build`).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { spawnPinned, waitForLine, runSamplingRss, stopChild } from '../lib/spawn.mjs';
import { cmdline, median, TIME } from '../lib/proc.mjs';
import { table, fmtInt, fmtMs } from '../lib/report.mjs';

const MODES = ['single', 'distinct', 'template', 'beyond'];
const LABEL = {
  single: 'one URL (/items/0)',
  distinct: '1,000 distinct URLs, named by path',
  template: '1,000 distinct URLs, named by their template (url tag)',
  beyond: 'a new URL for every request (4,000 in 20 s), named by path: past the series limit',
};

export async function run(ctx) {
  const seconds = ctx.seriesSeconds ?? (ctx.quick ? 5 : 20);
  const modes = ctx.modes ?? MODES;
  const runs = ctx.runs ?? 1;
  // Builds to compare (e.g. before=<old dist/cli.js>): runs alternate between them, so a busy
  // machine weighs on each alike. Default: the current build only.
  const variants = ctx.variants ?? { '': ctx.cli };
  const node = process.execPath;
  const server = spawnPinned(node, [join(ctx.root, 'bench/servers/hold.mjs'), '0', '0'], { cpu: ctx.serverCpu });
  const [, port] = await waitForLine(server, /listening (\d+)/);
  const url = `http://127.0.0.1:${port}`;
  const rows = [];
  try {
    const tries = new Map();
    for (let i = 0; i < runs; i++) {
      for (const mode of modes) {
        for (const [variant, cli] of Object.entries(variants)) {
          if (mode === 'template' && variant === 'before') continue; // url`` is new
          const dir = mkdtempSync(join(tmpdir(), 'llseries-'));
          const summaryPath = join(dir, 's.json');
          const timePath = join(dir, 'time');
          const args = [cli, 'run', join(ctx.root, 'bench/scenarios/many-urls.load.ts'), '--target', url, '--summary-export', summaryPath];
          const env = mode === 'beyond'
            ? { BENCH_MODE: 'distinct', BENCH_URLS: String(200 * seconds), BENCH_SECONDS: String(seconds) }
            : { BENCH_MODE: mode, BENCH_URLS: '1000', BENCH_SECONDS: String(seconds) };
          const child = spawnPinned(TIME, ['-f', '%e %U %S', '-o', timePath, node, ...args], { cpu: ctx.generatorCpu, cwd: ctx.root, env: { ...process.env, ...env } });
          const r = await runSamplingRss(child);
          const row = { mode, variant, peakKB: r.peakKB, exit: r.code, command: Object.entries(env).map(([k, v]) => `${k}=${v} `).join('') + cmdline(node, args) };
          try {
            const [, user, sys] = readFileSync(timePath, 'utf8').trim().split('\n').pop().split(' ').map(Number);
            row.cpuS = user + sys;
          } catch { /* no time output */ }
          if (existsSync(summaryPath)) {
            const s = JSON.parse(readFileSync(summaryPath, 'utf8'));
            const v = (m, k) => s.metrics?.[m]?.values?.[k];
            Object.assign(row, {
              lagP99: v('iteration_lag', 'p(99)'), lagMax: v('iteration_lag', 'max'), requests: v('http_reqs', 'count'),
              durationP99: v('http_req_duration', 'p(99)'), notes: s.notes?.filter((n) => /series/i.test(n)),
            });
          }
          if (r.code !== 0 && r.code !== 99) row.error = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ');
          const warned = (r.stdout + r.stderr).split('\n').filter((l) => /distinct tag sets/i.test(l));
          if (warned.length) row.warnings = warned.slice(0, 3);
          const key = `${mode}\u0000${variant}`;
          if (!tries.has(key)) tries.set(key, []);
          tries.get(key).push(row);
          ctx.log(`  ${variant ? variant + ' ' : ''}${mode}: iteration_lag p99 ${fmtMs(row.lagP99)} ms, peak RSS ${fmtInt(row.peakKB)} KB, CPU ${row.cpuS?.toFixed(2)} s, ${fmtInt(row.requests)} requests${row.error ? ` (${row.error})` : ''}`);
        }
      }
    }
    for (const list of tries.values()) {
      const ok = list.filter((t) => !t.error);
      const last = list[list.length - 1];
      rows.push({ ...last, runs: list.length, lagP99: median(ok.map((t) => t.lagP99)), peakKB: median(ok.map((t) => t.peakKB)),
        cpuS: median(ok.map((t) => t.cpuS)), lagP99s: ok.map((t) => t.lagP99), tries: list });
    }
  } finally {
    await stopChild(server);
  }
  return { seconds, rate: 200, urls: 1000, rows };
}

export function render(raw) {
  if (raw.skipped || raw.error) return `## Series cardinality\n\nNot measured: ${raw.skipped ?? raw.error}\n`;
  const base = (variant) => raw.rows.find((r) => r.mode === 'single' && (r.variant ?? '') === (variant ?? ''));
  const rows = raw.rows.map((r) => [(r.variant ? `${r.variant}: ` : '') + (LABEL[r.mode] ?? r.mode), fmtMs(r.lagP99),
    (r.lagP99s ?? []).map((x) => fmtMs(x)).join(', '), fmtInt(r.peakKB),
    base(r.variant) && r !== base(r.variant) ? `${(r.peakKB / base(r.variant).peakKB).toFixed(2)}×` : '—', r.cpuS?.toFixed(2) ?? '—', fmtInt(r.requests), r.error ?? '']);
  return `## Series cardinality: ${fmtInt(raw.urls)} distinct URLs at ${raw.rate} requests/s, ${raw.seconds} s (open model)

Each request goes to one of ${fmtInt(raw.urls)} paths in turn, against a Node target that answers at once (CPU 0; generator on
CPU 1). \`iteration_lag\` is how late iterations started: the generator's own delay. Peak RSS of the generator's
process tree (sampled every 100 ms); CPU = user + sys of the generator (GNU time). Median of ${raw.rows[0]?.runs ?? 1} run(s),
the variants' runs alternating.

${table(['run', 'iteration_lag p99 ms (median)', 'each run', 'peak RSS KB (median)', 'RSS × one URL', 'CPU s', 'requests', 'note'], rows)}

${raw.machine?.note ? `Note: ${raw.machine.note}.\n\n` : ''}Command: \`${(raw.rows.find((r) => r.mode === 'distinct' && r.variant !== 'before') ?? raw.rows[0])?.command}\`
(alone: \`node bench/sections/series.mjs --runs 3\`; against an older build: \`--variants before=OLD/dist/cli.js,after=dist/cli.js\`)
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const argv = process.argv.slice(2);
  const flag = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const ctx = {
    root, quick: false, serverCpu: 0, generatorCpu: cpus().length > 1 ? 1 : 0, log: (s) => console.log(s),
    cli: join(root, 'dist/cli.js'), runs: Number(flag('runs', 1)), seriesSeconds: Number(flag('seconds', 20)),
    modes: flag('modes', MODES.join(',')).split(','),
    // --variants before=/path/to/old/dist/cli.js,after=dist/cli.js
    variants: flag('variants') ? Object.fromEntries(flag('variants').split(',').map((kv) => kv.split('='))) : undefined,
  };
  const raw = await run(ctx);
  const v = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]; } catch { return '?'; } };
  const pkg = (p) => { try { return JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { return '?'; } };
  // The same fields as bench/run.mjs writes, so its RESULTS.md renders this file too.
  const machine = {
    date: new Date().toISOString(), commit: v('git', ['-C', root, 'rev-parse', '--short', 'HEAD']), nproc: cpus().length,
    cpu: cpus()[0]?.model ?? '?', kernel: v('uname', ['-r']), node: process.version,
    tools: { undici: pkg('undici'), 'hdr-histogram-js': pkg('hdr-histogram-js') }, openFilesLimit: v('sh', ['-c', 'ulimit -n']),
    loadAverage: v('cat', ['/proc/loadavg']),
  };
  const out = flag('out', join(root, 'bench/results/series.json'));
  writeFileSync(out, JSON.stringify({ machine, quick: false, ...raw }, null, 2) + '\n');
  console.log(render(raw));
  console.log(`wrote ${out}`);
}

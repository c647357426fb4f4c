// Section 1: requests per generator CPU-second against nginx, side by side with the peers.
import { readFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMeasured, median, cmdline } from '../lib/proc.mjs';
import { table, fmtInt, fmtRatio } from '../lib/report.mjs';

const CONNECTIONS = 64;

/** Every generator of the table: how to run it and how to read its request count. */
export function generators(ctx, { includeWorkers = false } = {}) {
  const { url, seconds, root } = ctx;
  const node = process.execPath;
  const cli = ctx.cli;
  const loadlens = (name, file, extra = []) => ({
    name, group: 'loadlens',
    cmd: node,
    args: [cli, 'run', join(root, 'bench/scenarios', file), '--vus', String(CONNECTIONS), '--duration', `${seconds}s`,
      '--target', url, '--summary-export', '{summary}', ...extra],
    available: () => existsSync(cli),
    requests(r, summaryPath) {
      const s = JSON.parse(readFileSync(summaryPath, 'utf8'));
      const failed = s.metrics?.http_req_failed?.values?.passes ?? 0;
      return { requests: s.metrics.http_reqs.values.count, errors: failed };
    },
  });
  const list = [
    {
      name: 'autocannon', group: 'peer', cmd: node,
      args: [join(root, 'node_modules/autocannon/autocannon.js'), '-c', String(CONNECTIONS), '-d', String(seconds), '--json', url + '/'],
      available: () => existsSync(join(root, 'node_modules/autocannon/autocannon.js')),
      requests(r) {
        const j = JSON.parse(r.stdout);
        return { requests: j.requests.total, errors: j.errors + j.non2xx };
      },
    },
    {
      name: 'wrk', group: 'peer', cmd: 'wrk',
      args: ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url + '/'],
      available: () => true,
      requests(r) {
        const m = /(\d+) requests in/.exec(r.stdout);
        const e = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
        return { requests: Number(m[1]), errors: e ? Number(e[1]) : 0 };
      },
    },
    ...['dispatch', 'request'].map((mode) => ({
      name: mode === 'dispatch' ? 'undici dispatch loop' : 'undici request + body.text() loop', group: 'reference', cmd: node,
      args: [join(root, 'bench/peers/undici-loop.mjs'), mode, url + '/', String(CONNECTIONS), String(seconds)],
      available: () => true,
      requests(r) { return JSON.parse(r.stdout.trim().split('\n').pop()); },
    })),
    loadlens('loadlens raw GET', 'raw-get.load.ts'),
    loadlens('loadlens GET + check + tag', 'get-check.load.ts'),
    loadlens('loadlens POST JSON + json()', 'post-json.load.ts'),
  ];
  if (includeWorkers) {
    list.push(loadlens('loadlens GET + check, --workers 1', 'get-check.load.ts', ['--workers', '1']));
    list.push(loadlens('loadlens GET + check, --workers 2', 'get-check.load.ts', ['--workers', '2']));
  }
  return list;
}

export async function measureOnce(gen, ctx) {
  const dir = mkdtempSync(join(tmpdir(), 'llbench-run-'));
  const summaryPath = join(dir, 'summary.json');
  const args = gen.args.map((a) => a.replace('{summary}', summaryPath));
  const r = await runMeasured(gen.cmd, args, { cpu: ctx.generatorCpu, cwd: ctx.root });
  if (r.code !== 0 && !(gen.group === 'loadlens' && r.code === 99)) {
    return { error: `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`, command: cmdline(gen.cmd, args) };
  }
  try {
    const { requests, errors } = gen.requests(r, summaryPath);
    return {
      command: cmdline(gen.cmd, args), requests, errors, cpuS: r.cpuS, userS: r.userS, sysS: r.sysS, wallS: r.wallS,
      maxRssKB: r.maxRssKB, perCpuS: requests / r.cpuS, perS: requests / r.wallS,
    };
  } catch (e) {
    return { error: `could not read the result: ${e.message}; stdout: ${r.stdout.slice(0, 300)} stderr: ${r.stderr.slice(-300)}`, command: cmdline(gen.cmd, args) };
  }
}

export async function run(ctx, { includeWorkers = true } = {}) {
  // --gens a,b: only the generators whose name contains one of these (for quick comparisons).
  const only = ctx.gens?.split(',');
  const gens = generators(ctx, { includeWorkers }).filter((g) => g.available() && (!only || only.some((o) => g.name.includes(o))));
  const runs = Object.fromEntries(gens.map((g) => [g.name, []]));
  for (let round = 0; round < ctx.runs; round++) {
    for (const g of gens) {
      const m = await measureOnce(g, ctx);
      runs[g.name].push(m);
      ctx.log(`  round ${round + 1}/${ctx.runs} ${g.name}: ${m.error ?? `${fmtInt(m.requests)} req, ${m.cpuS.toFixed(2)} CPU-s, ${fmtInt(m.perCpuS)} req/CPU-s`}`);
    }
  }
  return { connections: CONNECTIONS, seconds: ctx.seconds, runs: ctx.runs, results: runs };
}

/** Ratio per round (same run), then the median over rounds. */
function ratio(results, name, base) {
  const a = results[name] ?? [];
  const b = results[base] ?? [];
  const r = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i].perCpuS && b[i].perCpuS) r.push(a[i].perCpuS / b[i].perCpuS);
  return r.length ? median(r) : null;
}

export function render(raw) {
  const rows = [];
  for (const [name, ms] of Object.entries(raw.results)) {
    const ok = ms.filter((m) => !m.error);
    if (ok.length === 0) { rows.push([name, '—', '—', '—', '—', '—', '—', ms[0]?.error ?? 'not run']); continue; }
    rows.push([
      name, fmtInt(median(ok.map((m) => m.perCpuS))), fmtInt(median(ok.map((m) => m.perS))),
      median(ok.map((m) => m.cpuS)).toFixed(2), fmtRatio(ratio(raw.results, name, 'autocannon')),
      fmtRatio(ratio(raw.results, name, 'wrk')), fmtInt(median(ok.map((m) => m.errors ?? 0))),
      `${ok.length}/${ms.length} runs ok`,
    ]);
  }
  const cmds = Object.entries(raw.results).map(([name, ms]) => `- ${name}: \`${ms[0]?.command ?? ''}\``).join('\n');
  return `## Requests per generator CPU-second (nginx on CPU 0, generator on CPU 1)

${raw.connections} connections (64 VUs for Loadlens: closed model, one connection each), ${raw.seconds} s per run,
median of ${raw.runs} run(s); CPU = user + sys of the generator's whole process tree (GNU time, wait4 rusage),
start-up included. Ratios are taken within the same round, then the median.

${table(['generator', 'req / CPU-s', 'req / s', 'CPU s', '× autocannon', '× wrk', 'errors', 'note'], rows)}

Commands (each run as \`/usr/bin/time -f '%e %U %S %M' taskset -c 1 …\`):

${cmds}
`;
}

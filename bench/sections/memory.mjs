// Section: memory per VU. N VUs (connections) each keep one request in flight against a target
// (a second process) that holds every response 1 s; the generator's process-tree RSS is sampled
// and the figure is the growth from a 1-VU run, divided by the extra VUs.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPinned, waitForLine, runSamplingRss, stopChild } from '../lib/spawn.mjs';
import { cmdline } from '../lib/proc.mjs';
import { table, fmtInt } from '../lib/report.mjs';

export async function run(ctx) {
  const counts = ctx.quick ? [1000] : [1000, 5000, 15000];
  const seconds = ctx.quick ? 4 : 10;
  const node = process.execPath;
  const server = spawnPinned(node, [join(ctx.root, 'bench/servers/hold.mjs'), '0', '1000'], { cpu: ctx.serverCpu });
  const [, port] = await waitForLine(server, /listening (\d+)/);
  const url = `http://127.0.0.1:${port}`;
  const tools = {
    loadlens: (n) => [node, [ctx.cli, 'run', join(ctx.root, 'bench/scenarios/hold.load.ts'),
      '--target', url, '--summary-export', join(mkdtempSync(join(tmpdir(), 'llmem-')), 's.json')], { BENCH_VUS: String(n), BENCH_HOLD_S: String(seconds - 3) }],
    autocannon: (n) => [node, [join(ctx.root, 'node_modules/autocannon/autocannon.js'), '-c', String(n), '-d', String(seconds), '--json', url + '/']],
    wrk: (n) => ['wrk', ['-t1', `-c${n}`, `-d${seconds}s`, '--timeout', '10s', url + '/']],
  };
  const results = {};
  try {
    for (const [tool, make] of Object.entries(tools)) {
      if (tool === 'loadlens' && !existsSync(ctx.cli)) continue;
      results[tool] = [];
      for (const n of [1, ...counts]) {
        const [cmd, args, env] = make(n);
        const child = spawnPinned(cmd, args, { cpu: ctx.generatorCpu, cwd: ctx.root, env: { ...process.env, ...env } });
        const r = await runSamplingRss(child);
        const row = { vus: n, peakKB: r.peakKB, exit: r.code, command: (env ? Object.entries(env).map(([k, v]) => `${k}=${v} `).join('') : '') + cmdline(cmd, args) };
        if (r.code !== 0 && r.code !== 99) row.error = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ');
        results[tool].push(row);
        ctx.log(`  ${tool} ${n}: peak RSS ${fmtInt(r.peakKB)} KB${row.error ? ` (${row.error})` : ''}`);
      }
    }
  } finally {
    await stopChild(server);
  }
  return { seconds, holdMs: 1000, results };
}

export function render(raw) {
  const rows = [];
  for (const [tool, rs] of Object.entries(raw.results)) {
    const base = rs.find((r) => r.vus === 1);
    let prev = base;
    for (const r of rs) {
      if (r.vus === 1) { rows.push([tool, '1 (baseline)', fmtInt(r.peakKB), '—', '—', '—', r.error ?? '']); continue; }
      const per = ((r.peakKB - base.peakKB) / (r.vus - 1)).toFixed(1);
      const slope = prev === base ? '—' : ((r.peakKB - prev.peakKB) / (r.vus - prev.vus)).toFixed(1);
      rows.push([tool, fmtInt(r.vus), fmtInt(r.peakKB), per, slope, (r.peakKB / r.vus).toFixed(1), r.error ?? '']);
      prev = r;
    }
  }
  const cmds = Object.entries(raw.results).map(([t, rs]) => `- ${t}: \`${rs[rs.length - 1]?.command}\``).join('\n');
  return `## Memory per VU (connection), each holding a request the target keeps ${raw.holdMs} ms

Peak RSS of the generator's whole process tree (sampled from /proc every 100 ms), ${raw.seconds} s runs; target:
\`bench/servers/hold.mjs\` in a second process on CPU 0. "KB per extra VU" = (peak − peak at 1 VU) / (N − 1); it includes
fixed costs that appear only under load (V8's young generation grows to 32 MB at a few thousand requests/s), and
garbage not yet collected: every request in flight outlives the young generation, and V8 lets the old generation
grow to up to 4× its live size before a full GC (autocannon's peak at 15,000 varied from 280 to 350 MB in six runs).
Loadlens limits that growth to 50 % (\`--heap-growing-percent=50\`, set by the engine in the process that runs the
load: at 15,000 VUs 220–330 MB without it, ~240 MB with it; requests per CPU-second unchanged in A/B runs). A heap
snapshot at 15,000 VUs holds ~3.4 KB per VU of live JS objects; native memory, mostly Node's socket and HTTP parser
per connection, adds ~3–4 KB. The marginal cost of a VU is best read in "KB per VU, from the previous N".
Loadlens ramps its VUs over 3 s (\`{ stages, by: 'vus' }\`), so the kernel's SYN backlog drops no connection attempts.

${table(['generator', 'VUs / connections', 'peak RSS KB', 'KB per extra VU', 'KB per VU, from the previous N', 'KB per VU (total / N)', 'note'], rows)}

Commands (largest N shown; run as \`ulimit -n $(ulimit -Hn); taskset -c 1 …\`):

${cmds}
`;
}

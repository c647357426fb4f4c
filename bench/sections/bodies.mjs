// Section: memory of huge response bodies. A run downloads a few 200 MB bodies from a target in a
// second process; the figure is the runner's peak RSS (GNU time's maxrss: the exact high-water
// mark, the runner lives in the CLI process), next to the same run with 1 KB bodies. Bodies are
// counted as they stream and kept only up to http.maxResponseBodyBytes (10 MiB), or not at all with
// discardResponseBodies; the "no cap" row keeps whole bodies, as every run did before the cap.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPinned, waitForLine, stopChild } from '../lib/spawn.mjs';
import { runMeasured, cmdline, median } from '../lib/proc.mjs';
import { table, fmtInt, fmtMs } from '../lib/report.mjs';

const MB = 1024 * 1024;

export async function run(ctx) {
  const big = ctx.quick ? 50 * MB : 200 * MB;
  const variants = [
    { name: 'small bodies (1 KB), 1 VU', vus: 1, bytes: 1024 },
    { name: `${big / MB} MB bodies, 1 VU, default cap (10 MiB)`, vus: 1, bytes: big },
    { name: `${big / MB} MB bodies, 1 VU, discardResponseBodies`, vus: 1, bytes: big, discard: true },
    { name: `${big / MB} MB bodies, 5 VUs at once, default cap`, vus: 5, bytes: big },
    { name: `${big / MB} MB bodies, 5 VUs at once, discardResponseBodies`, vus: 5, bytes: big, discard: true },
    { name: `${big / MB} MB bodies, 1 VU, no cap (maxResponseBodyBytes 1 GiB: before the cap)`, vus: 1, bytes: big, maxBody: 1024 * MB },
  ];
  const requests = 5;
  const node = process.execPath;
  const server = spawnPinned(node, [join(ctx.root, 'bench/servers/bodies.mjs'), '0'], { cpu: ctx.serverCpu });
  const [, port] = await waitForLine(server, /listening (\d+)/);
  const url = `http://127.0.0.1:${port}`;
  const rows = [];
  try {
    if (!existsSync(ctx.cli)) return { requests, rows };
    for (const v of variants) {
      const env = {
        BENCH_REQUESTS: String(requests), BENCH_VUS: String(v.vus), BENCH_BODY_BYTES: String(v.bytes),
        ...(v.discard ? { BENCH_DISCARD: '1' } : {}), ...(v.maxBody ? { BENCH_MAX_BODY: String(v.maxBody) } : {}),
      };
      const runs = [];
      let last;
      for (let i = 0; i < ctx.runs; i++) {
        const exportPath = join(mkdtempSync(join(tmpdir(), 'llbodies-')), 's.json');
        const args = [ctx.cli, 'run', join(ctx.root, 'bench/scenarios/bodies.load.ts'), '--target', url, '--summary-export', exportPath];
        const r = await runMeasured(node, args, { cpu: ctx.generatorCpu, cwd: ctx.root, env: { ...process.env, ...env } });
        let received = null;
        let checksOk = false;
        try {
          const s = JSON.parse(readFileSync(exportPath, 'utf8'));
          received = s.metrics.data_received.values.count;
          checksOk = s.metrics.checks.values.fails === 0 && s.metrics.checks.values.passes === 2 * requests;
        } catch { /* no export: the error below says why */ }
        runs.push({ peakKB: r.maxRssKB, wallS: r.wallS, cpuS: r.cpuS, received, checksOk, exit: r.code });
        last = { r, args };
        if (r.code !== 0) break;
      }
      const row = {
        name: v.name, vus: v.vus, bodyBytes: v.bytes, requests, discard: !!v.discard, maxBody: v.maxBody ?? null,
        peakKB: median(runs.map((x) => x.peakKB)), peaksKB: runs.map((x) => x.peakKB),
        wallS: median(runs.map((x) => x.wallS)), cpuS: median(runs.map((x) => x.cpuS)),
        receivedBytes: runs[runs.length - 1].received, checksOk: runs.every((x) => x.checksOk), exit: last.r.code,
        command: Object.entries(env).map(([k, val]) => `${k}=${val} `).join('') + cmdline(node, last.args),
      };
      if (last.r.code !== 0) row.error = (last.r.stderr || last.r.stdout).trim().split('\n').slice(-2).join(' | ');
      rows.push(row);
      ctx.log(`  ${v.name}: peak RSS ${fmtInt(row.peakKB)} KB (${row.peaksKB.map(fmtInt).join(', ')}), ${fmtMs(row.wallS, 2)} s, received ${fmtInt(row.receivedBytes)} B${row.error ? ` (${row.error})` : ''}`);
    }
  } finally {
    await stopChild(server);
  }
  return { requests, rows };
}

export function render(raw) {
  const base = raw.rows.find((r) => r.bodyBytes <= 1024);
  const rows = raw.rows.map((r) => [
    r.name, fmtInt(r.peakKB), base && r !== base ? `${r.peakKB - base.peakKB >= 0 ? '+' : '−'}${fmtInt(Math.abs(r.peakKB - base.peakKB) / 1024)} MB` : '—',
    fmtInt(r.receivedBytes), fmtMs(r.wallS, 2), fmtMs(r.cpuS, 2), r.checksOk ? 'yes' : 'NO', r.error ?? '',
  ]);
  const cmd = raw.rows.find((r) => r.bodyBytes > 1024 && !r.discard && !r.maxBody)?.command ?? raw.rows[0]?.command;
  return `## Huge response bodies: peak RSS of the runner, ${raw.requests} requests per run

The runner's peak RSS (GNU time's maxrss: the high-water mark of the CLI process, where the runner runs) for
${raw.requests} requests per run, against \`bench/servers/bodies.mjs\` (a body of the asked size streamed in 64 KiB chunks)
in a second process on CPU 0, the CLI on CPU 1; the median of the runs. "data_received" is from the summary
export (every body byte is counted, kept or not); "checks" says each response reported the whole \`bodySize\` and
kept what it should (\`text()\` is min(size, cap) long, or the body was discarded).

${table(['run', 'peak RSS KB', 'vs small bodies', 'data_received B', 'wall s', 'CPU s', 'checks', 'note'], rows)}

Command (200 MB, default cap): \`${cmd}\`
`;
}

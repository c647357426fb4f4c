// Section: start-up time, from spawning `loadlens run` to the first request arriving at the
// server (bundling the scenario, starting the runner and the engine in the CLI's process). The server runs in
// this process, which is otherwise idle, and timestamps arrival with the same clock as the spawn.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, cmdline } from '../lib/proc.mjs';
import { table, fmtMs } from '../lib/report.mjs';

export async function run(ctx) {
  const runs = ctx.quick ? 2 : 7;
  let firstAt = null;
  const server = createServer((req, res) => { firstAt ??= performance.now(); req.resume(); res.end('ok'); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  const node = process.execPath;
  const tools = {
    'loadlens run': [node, [ctx.cli, 'run', join(ctx.root, 'bench/scenarios/raw-get.load.ts'), '--vus', '1',
      '--iterations', '20', '--target', url, '--summary-export', join(mkdtempSync(join(tmpdir(), 'llstart-')), 's.json')]],
    autocannon: [node, [join(ctx.root, 'node_modules/autocannon/autocannon.js'), '-c', '1', '-a', '20', url + '/']],
    wrk: ['wrk', ['-t1', '-c1', '-d1s', url + '/']],
  };
  // This sandbox sets NODE_EXTRA_CA_CERTS, which Node 20 reads before running any JavaScript
  // (~90 ms per Node start here); most machines do not, so the Node tools run both ways.
  const envs = { '': process.env };
  if (process.env.NODE_EXTRA_CA_CERTS) {
    const { NODE_EXTRA_CA_CERTS: _, ...rest } = process.env;
    envs[' (no NODE_EXTRA_CA_CERTS)'] = rest;
  }
  const results = {};
  try {
    for (const [variant, env] of Object.entries(envs)) for (const [tool, [cmd, args]] of Object.entries(tools)) {
      if (tool === 'loadlens run' && !existsSync(ctx.cli)) continue;
      if (variant && cmd !== node) continue;
      const name = tool + variant;
      const ms = [];
      for (let i = 0; i < runs; i++) {
        firstAt = null;
        const t0 = performance.now();
        const child = spawn('taskset', ['-c', String(ctx.generatorCpu), cmd, ...args], { stdio: 'ignore', cwd: ctx.root, env });
        const code = await new Promise((r) => child.once('exit', r));
        ms.push(firstAt === null ? null : firstAt - t0);
        if (firstAt === null) ctx.log(`  ${name}: no request arrived (exit ${code})`);
      }
      results[name] = { command: cmdline(cmd, args), ms };
      ctx.log(`  ${name}: ${ms.map((m) => fmtMs(m, 0)).join(', ')} ms`);
    }
  } finally {
    server.close();
  }
  return { runs, results };
}

export function render(raw) {
  const rows = Object.entries(raw.results).map(([name, r]) => {
    const ok = r.ms.filter((m) => m !== null);
    return [name, fmtMs(median(ok), 0), fmtMs(Math.min(...ok), 0), fmtMs(Math.max(...ok), 0), `${ok.length}/${r.ms.length}`];
  });
  const cmds = Object.entries(raw.results).filter(([n]) => !n.includes('(no ')).map(([n, r]) => `- ${n}: \`${r.command}\``).join('\n');
  return `## Start-up: from spawning the command to the first request at the server

Median of ${raw.runs} runs (the first request's arrival timestamped by a server in the bench process). For Loadlens
this includes Node's start-up, bundling the scenario with esbuild and starting the engine (the CLI runs the
runner in a worker thread of its own process; the extension forks it). Rows marked "no NODE_EXTRA_CA_CERTS" run without that
variable, which this sandbox sets and which Node 20 loads before any JavaScript runs (~90 ms per start here).

${table(['command', 'median ms', 'min ms', 'max ms', 'runs with a request'], rows)}

${cmds}
`;
}

// Two builds of Loadlens, A and B, on the same scenarios, alternating within each round (the order
// swapped every round), with autocannon in every round as the machine's drift control. On a shared
// machine single runs swing by 2x; a ratio within a round does not. Prints a table, writes nothing.
//
//   node bench/ab.mjs --a OLD/dist/cli.js --b dist/cli.js [--scenarios raw-get,get-check,post-json]
//                     [--rounds 6] [--seconds 5] [--workers 1]
//
// To build an older commit: git worktree add /tmp/old <commit> && (cd /tmp/old && ln -s "$PWD/node_modules" . && npm run build)

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureDebianTools, median, runMeasured } from './lib/proc.mjs';
import { startNginx } from './lib/nginx.mjs';

const argv = process.argv.slice(2);
const flag = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const root = resolve(import.meta.dirname, '..');
const builds = { A: resolve(flag('a', '')), B: resolve(flag('b', join(root, 'dist/cli.js'))) };
if (!flag('a')) throw new Error('--a OLD/dist/cli.js is required');
const scenarios = flag('scenarios', 'raw-get,get-check,post-json').split(',');
const rounds = Number(flag('rounds', 6));
const seconds = Number(flag('seconds', 5));
const workers = flag('workers');

async function loadlens(cli, scenario, url) {
  const dir = mkdtempSync(join(tmpdir(), 'llab-'));
  try {
    const summary = join(dir, 's.json');
    const args = [cli, 'run', join(root, `bench/scenarios/${scenario}.load.ts`), '--vus', '64', '--duration', `${seconds}s`,
      '--target', url, '--summary-export', summary, '--quiet', ...(workers ? ['--workers', workers] : [])];
    // In its own folder: builds that save every run (.loadlens/runs) save it there.
    const r = await runMeasured(process.execPath, args, { cpu: 1, cwd: dir });
    if (r.code !== 0) throw new Error(`${cli} exited ${r.code}: ${r.stderr.slice(-500)}`);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    return s.metrics.http_reqs.values.count / r.cpuS;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function autocannon(url) {
  const r = await runMeasured(process.execPath, [join(root, 'node_modules/autocannon/autocannon.js'), '-c', '64', '-d', String(seconds), '--json', url], { cpu: 1, cwd: root });
  const j = JSON.parse(r.stdout);
  return j.requests.total / r.cpuS;
}

ensureDebianTools();
const nginx = await startNginx({ cpu: 0 });
const rows = [];
try {
  for (const scenario of scenarios) {
    const ratios = [];
    const per = { A: [], B: [], ac: [] };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
      const got = {};
      for (const k of order) got[k] = await loadlens(builds[k], scenario, nginx.url);
      const ac = await autocannon(nginx.url);
      per.A.push(got.A);
      per.B.push(got.B);
      per.ac.push(ac);
      ratios.push(got.B / got.A);
      console.log(`${scenario} round ${i + 1}/${rounds}: A ${Math.round(got.A)} B ${Math.round(got.B)} req/CPU-s (B/A ${(got.B / got.A).toFixed(3)}), autocannon ${Math.round(ac)}`);
    }
    rows.push({ scenario, a: median(per.A), b: median(per.B), ac: median(per.ac), ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) });
  }
} finally {
  await nginx.stop();
}
console.log(`\nA = ${builds.A}\nB = ${builds.B}\n${rounds} rounds × ${seconds} s, 64 VUs${workers ? `, --workers ${workers}` : ''}; req per CPU-second (medians)\n`);
console.log('| scenario | A | B | median B/A per round (min–max) | B × autocannon |');
console.log('| --- | ---: | ---: | --- | ---: |');
for (const r of rows) {
  console.log(`| ${r.scenario} | ${Math.round(r.a)} | ${Math.round(r.b)} | ${r.ratio.toFixed(3)} (${r.min.toFixed(2)}–${r.max.toFixed(2)}) | ${(r.b / r.ac).toFixed(2)} |`);
}

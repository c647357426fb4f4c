// Test data memory: a 100 MB CSV read with csv() in a scenario's init code is held once per
// process, whatever the number of VUs. Standalone: `npm run build && node bench/data-memory.mjs`.
// Runs the CLI (one process: the scenario runs in its worker thread) on a loopback server for
// 3 s per case and reads its peak RSS from /usr/bin/time; writes bench/results/data-memory.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, createWriteStream, statSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'loadlens-data-bench-'));
const TARGET_BYTES = 100 * 1024 * 1024;

// ~100 MB: 4 columns, ~85 bytes a row, like an export of test accounts.
const csvPath = join(tmp, 'users.csv');
const out = createWriteStream(csvPath);
out.write('id,email,password,segment\n');
let rows = 0;
for (let bytes = 0; bytes < TARGET_BYTES; rows++) {
  const line = `${rows},user${rows}@example.test,"p@ss,${(rows * 2654435761) % 1e9}",${['free', 'pro', 'team'][rows % 3]}\n`;
  bytes += line.length;
  if (!out.write(line)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');


function scenario(name, withData, vus) {
  const file = join(tmp, name);
  // The heap of the scenario's thread once the run is under way (peak RSS also counts the parse's
  // garbage, collected later).
  writeFileSync(file, `import { scenario, Gauge${withData ? ', csv' : ''} } from 'loadlens';
import { getHeapStatistics } from 'node:v8';
${withData ? "const users = csv('users.csv');" : 'const users = [{ id: "0" }];'}
const heap = new Gauge('heap_mb');
export const s = scenario({
  load: { vus: ${vus}, duration: '3s' },
  async iteration(ctx) {
    const u = ${withData ? 'users.cycle(ctx)' : 'users[0]'};
    await ctx.http.get('/?id=' + u.id);
    if (ctx.vu.iteration % 50 === 0) heap.add(getHeapStatistics().used_heap_size / 1048576);
  },
});
`);
  return file;
}

function peakRssMb(file) {
  const t0 = Date.now();
  const exported = `${file}.summary.json`;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(root, 'dist/cli.js'), 'run', file, '--target', url, '--quiet', '--summary-export', exported], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const kb = Number(r.stderr.trim().split('\n').pop());
  if (!Number.isFinite(kb)) throw new Error(`no RSS figure: ${r.stderr}`);
  const heapMb = JSON.parse(readFileSync(exported, 'utf8')).metrics.heap_mb.values.value;
  return { peakRssMb: Math.round(kb / 1024), heapMb: Math.round(heapMb), wallS: (Date.now() - t0) / 1000, exit: r.status };
}

// The target runs in a child: spawnSync blocks this process.
const child = spawn(process.execPath, ['-e', "const s=require('http').createServer((q,r)=>r.end('ok')).listen(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
const [port] = await once(child.stdout, 'data');
const url = `http://127.0.0.1:${String(port).trim()}`;

const results = { csvBytes: statSync(csvPath).size, rows, cases: {} };
try {
  for (const [label, withData, vus] of [['no data, 1 VU', false, 1], ['100 MB CSV, 1 VU', true, 1], ['100 MB CSV, 500 VUs', true, 500], ['no data, 500 VUs', false, 500]]) {
    results.cases[label] = peakRssMb(scenario(`${label.replace(/\W+/g, '-')}.load.ts`, withData, vus));
    console.log(label.padEnd(22), JSON.stringify(results.cases[label]));
  }
} finally {
  child.kill();
  rmSync(tmp, { recursive: true, force: true });
}
const c = results.cases;
results.csvHeapMb = c['100 MB CSV, 1 VU'].heapMb - c['no data, 1 VU'].heapMb;
results.csvHeapMb500Vus = c['100 MB CSV, 500 VUs'].heapMb - c['no data, 500 VUs'].heapMb;
console.log(`CSV ${(results.csvBytes / 1048576).toFixed(0)} MB, ${rows} rows: held in the heap ${results.csvHeapMb} MB with 1 VU, ${results.csvHeapMb500Vus} MB with 500 VUs (once per process); peak RSS ${c['100 MB CSV, 1 VU'].peakRssMb} MB`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/data-memory.json'), JSON.stringify(results, null, 2) + '\n');

// `--workers N`: the run split over N worker processes issues exactly what one process does
// (closed shared iterations, open arrival rate), counted by the engine and by the server, and
// the parent prints one merged summary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fixture } from './cli-helpers';

const CLI = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'loadlens-workers-'));
let server: Server;
let url = '';
let served = 0;

before(async () => {
  server = createServer((req, res) => {
    served++;
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

function scenarioFile(name: string, load: string): string {
  const file = join(dir, `${name}.load.ts`);
  writeFileSync(file, `import { scenario, check } from 'loadlens';
export const ${name} = scenario({
  load: ${load},
  thresholds: { checks: ['rate == 1'] },
  async iteration({ http }) {
    const res = await http.get('/item', { tags: { name: 'item' } });
    check(res, { 'status is 200': (r) => r.status === 200 });
  },
});
`);
  return file;
}

interface Summary {
  state: { status: string };
  metrics: Record<string, { values: Record<string, number> }>;
}

async function run(file: string, workers: number): Promise<{ code: number | null; summary: Summary; served: number; stdout: string }> {
  const exportPath = join(dir, `summary-${workers}-${Date.now()}.json`);
  const before = served;
  const child = spawn(process.execPath, [CLI, 'run', file, '--target', url, '--workers', String(workers), '--summary-export', exportPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stdout += d));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  return { code, summary: JSON.parse(readFileSync(exportPath, 'utf8')), served: served - before, stdout };
}

function counts(s: Summary) {
  return {
    iterations: s.metrics.iterations.values.count,
    requests: s.metrics.http_reqs.values.count,
    checks: s.metrics.checks.values.passes,
  };
}

test('shared iterations: 2 workers run exactly the iterations 1 process runs', async () => {
  const file = scenarioFile('shared', `{ vus: 7, iterations: 301 }`);
  const one = await run(file, 1);
  const two = await run(file, 2);
  for (const [label, r] of [['1 worker', one], ['2 workers', two]] as const) {
    assert.equal(r.code, 0, `${label} exit code; output:\n${r.stdout}`);
    assert.deepEqual(counts(r.summary), { iterations: 301, requests: 301, checks: 301 }, label);
    assert.equal(r.served, 301, `${label}: requests the server saw`);
    assert.equal(r.summary.state.status, 'completed');
  }
  assert.equal(two.summary.metrics.vus_max.values.max ?? two.summary.metrics.vus_max.values.value, 7, 'the VUs split 4 + 3');
});

test('open model: 2 workers start exactly the planned arrivals, as 1 process does', async () => {
  const file = scenarioFile('open', `{ rate: 150, duration: '2s', maxVUs: 40 }`);
  const one = await run(file, 1);
  const two = await run(file, 2);
  for (const [label, r] of [['1 worker', one], ['2 workers', two]] as const) {
    assert.equal(r.code, 0, `${label} exit code; output:\n${r.stdout}`);
    assert.deepEqual(counts(r.summary), { iterations: 300, requests: 300, checks: 300 }, label);
    assert.equal(r.served, 300, `${label}: requests the server saw`);
    assert.equal(r.summary.metrics.dropped_iterations?.values.count ?? 0, 0);
  }
});

test('check() used where no run is active in the worker processes only is warned about once, at its line', async () => {
  const file = fixture('outside-in-workers.load.ts');
  const r = await run(file, 2);
  assert.equal(r.code, 0, r.stdout);
  const warnings = r.stdout.split('\n').filter((l) => l.includes('while no scenario runs'));
  assert.equal(warnings.length, 1, `both workers say it, the runner prints it once:\n${r.stdout}`);
  assert.match(warnings[0], new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:15: check\\(\\) was called while no scenario runs .*it recorded nothing`));
  // The top-level check recorded nothing: only the iterations' checks count.
  assert.equal(r.summary.metrics.checks.values.passes, 8);
});

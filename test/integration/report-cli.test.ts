// `loadlens run --report` and `loadlens report` end to end: a rate ramp against a loopback
// server of known capacity (test/servers/capacity.ts: workers / service time), the saturation
// estimate against it, the same report rebuilt from the --out file and from the saved run, and
// bad input (an unwritable --report path, corrupt or foreign files, a run without requests).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, runCli } from './cli-helpers';
import { startCapacityServer, type CapacityServer } from '../servers/capacity';
import { analyse } from '../../src/report/analysis';
import { isSavedRun } from '../../src/report/saved-runs';
import type { SavedRun } from '../../src/view-model/messages';

const WORKERS = 4;
const SERVICE_MS = 20;
let server: CapacityServer;
let dir: string;

before(async () => {
  server = await startCapacityServer({ workers: WORKERS, serviceMs: SERVICE_MS });
  dir = mkdtempSync(join(tmpdir(), 'loadlens-report-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The findings list of a report, as text. */
function findings(html: string): string[] {
  return [...html.matchAll(/<li data-kind="([a-z-]+)" data-severity="[a-z]+">([^<]*)<\/li>/g)].map((m) => `${m[1]}: ${m[2]}`);
}

test('a rate ramp past a known capacity: the report estimates it, and a saved run or the --out file gives the same report', async (t) => {
  const cwd = join(dir, 'ramp');
  // 20 → 400 iterations/s over 12 s, one /work request each; the server serves 4 / 20 ms = 200/s.
  const r = await runCli(['run', fixture('capacity-ramp.load.ts'), '--target', server.url, '--quiet', '--report', 'ramp.html', '--out', 'ramp.jsonl'], { cwd: mkdir(cwd), env: { RAMP_TO: '400', RAMP_OVER: '12s' } });
  assert.ok(r.code === 0, `exit ${r.code}\n${r.stderr}`);
  const html = readFileSync(join(cwd, 'ramp.html'), 'utf8');

  // The CLI saved the run where the extension keeps its runs, in the same format.
  const saved = readdirSync(join(cwd, '.loadlens', 'runs'));
  assert.equal(saved.length, 1);
  const run = JSON.parse(readFileSync(join(cwd, '.loadlens', 'runs', saved[0]), 'utf8')) as SavedRun;
  assert.ok(isSavedRun(run));
  assert.deepEqual(run.endpoints?.map((e) => `${e.method} ${e.name}`), ['GET work']);
  assert.equal(run.endpoints![0].requests, run.summary.metrics.http_reqs.values.count);

  const sat = analyse(run.summary, { series: run.series, bucket: 1, endpoints: run.endpoints ?? [] }).saturation;
  assert.ok(sat, `no saturation found in:\n${findings(html).join('\n')}`);
  const capacity = server.capacityRps;
  const error = (sat.capacityRps - capacity) / capacity;
  t.diagnostic(`capacity: true ${capacity} req/s (${WORKERS} workers / ${SERVICE_MS} ms), estimated ${sat.capacityRps.toFixed(1)} req/s (${(error * 100).toFixed(1)}%), knee at ${sat.atSecond} s offered ${sat.offeredRps.toFixed(0)} req/s, p95 ${sat.p95Ms.toFixed(1)} ms`);
  // Timers fire late on a busy machine, so the server's true rate is at most 200/s and a little less.
  assert.ok(error > -0.25 && error < 0.05, `estimate ${sat.capacityRps} vs ${capacity}`);
  assert.ok(sat.offeredRps > capacity * 0.9, `the knee (offered ${sat.offeredRps}) is past the capacity`);
  const capacityFinding = findings(html).find((f) => f.startsWith('saturation: '));
  assert.match(capacityFinding ?? '', /^saturation: Capacity ≈ \d+ req\/s at p95 [\d.]+ ms: from 0:\d\d \(offered \d+ req\/s\)/);
  assert.ok(findings(html).some((f) => /^phase: GET work: waiting \(time to first byte\)/.test(f)), findings(html).join('\n'));

  // The same report later, from the --out file and from the saved run (by id).
  const fromOut = await runCli(['report', 'ramp.jsonl', '-o', 'from-out.html'], { cwd });
  assert.equal(fromOut.code, 0, fromOut.stderr);
  const fromSaved = await runCli(['report', saved[0].replace(/\.json$/, ''), '-o', 'from-saved.html'], { cwd });
  assert.equal(fromSaved.code, 0, fromSaved.stderr);
  for (const name of ['from-out.html', 'from-saved.html']) {
    assert.deepEqual(findings(readFileSync(join(cwd, name), 'utf8')), findings(html), name);
  }
});

test('a --report path that cannot be written fails before the load, exit 2, naming it', async () => {
  const cwd = mkdir(join(dir, 'bad-path'));
  writeFileSync(join(cwd, 'a-file'), 'x');
  const before = server.served();
  const r = await runCli(['run', fixture('capacity-ramp.load.ts'), '--target', server.url, '--quiet', '--report', 'a-file/report.html'], { cwd });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--report .*a-file\/report\.html: .*a-file is a file, not a folder/);
  assert.equal(server.served(), before, 'no request was sent');
  assert.equal(existsSync(join(cwd, '.loadlens')), false, 'nothing ran, nothing saved');
});

test('loadlens report: a corrupt, foreign or missing input is exit 2 naming the file; no report is written', async () => {
  const cwd = mkdir(join(dir, 'bad-input'));
  writeFileSync(join(cwd, 'cut.jsonl'), '{"type":"start","version":1,"scenario":"s","file":"f","plan":{"model":"open","plannedMs":1000},"startedAt":1}\n{"type":"interval","scen');
  writeFileSync(join(cwd, 'foreign.json'), JSON.stringify({ hello: 'world' }));
  writeFileSync(join(cwd, 'text.txt'), 'not json at all');
  const cases: Array<[string, RegExp]> = [
    ['cut.jsonl', /cut\.jsonl:2: not JSON/],
    ['foreign.json', /foreign\.json is not a Loadlens run: expected a saved run/],
    ['text.txt', /text\.txt:1: not JSON/],
    ['nope', /nope: no such file, and no saved run with that id in .*\.loadlens\/runs/],
  ];
  for (const [input, message] of cases) {
    const r = await runCli(['report', input, '-o', 'out.html'], { cwd });
    assert.equal(r.code, 2, `${input}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(existsSync(join(cwd, 'out.html')), false);
  }
});

test('a run that sends no request still gets a valid report that says so', async () => {
  const cwd = mkdir(join(dir, 'idle'));
  const r = await runCli(['run', fixture('no-requests.load.ts'), '--quiet', '--no-save', '--report', 'idle.html'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(join(cwd, 'idle.html'), 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /<p class="banner" role="note">This run made no HTTP requests: there is no latency, throughput or endpoint to analyse\.<\/p>/);
  assert.match(html, /<td class="empty" colspan="9">No requests\.<\/td>/);
  assert.equal(existsSync(join(cwd, '.loadlens')), false, '--no-save');
});

function mkdir(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return path;
}

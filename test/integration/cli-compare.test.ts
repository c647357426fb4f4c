// CI outputs and run comparison through the real CLI against a loopback target: two short runs
// (the second with a slower endpoint) write --summary-export, --junit, --summary-md and
// $GITHUB_STEP_SUMMARY; `loadlens compare` tabulates them and gates on --fail-on rules (exit 99),
// and refuses corrupt or foreign files (exit 2). Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startTarget, type RunningServer } from '../servers/target';
import { ExitCode } from '../../src/protocol';
import { runId, saveRun } from '../../src/report/saved-runs';
import type { SummaryData } from '../../src/engine/types';
import { formatCount, formatMs } from '../../src/presentation/format';
import { fixture, startCli, type CliResult } from './cli-helpers';

let target: RunningServer;
let tmp: string;

/** The slow endpoint's delay in the second run: far above anything loopback adds to the first. */
const SLOW_MS = 150;

/** Runs the CLI, killed after 60 s so a hang fails the test instead of blocking it. */
async function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const p = startCli(args, opts);
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
  try {
    return await p.done;
  } finally {
    clearTimeout(killer);
  }
}

function requests(): number {
  let n = 0;
  for (const c of target.counts.values()) n += c;
  return n;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as SummaryData;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) });
interface Case { classname: string; name: string; failure?: { message: string } }
function junitCases(path: string): Case[] {
  const xml = readFileSync(path, 'utf8');
  assert.equal(XMLValidator.validate(xml), true, xml);
  return (parser.parse(xml).testsuites.testsuite as Array<{ testcase: Case[] }>).flatMap((s) => s.testcase);
}

let base: string;
let slower: string;

before(async () => {
  target = await startTarget();
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-compare-'));
  base = join(tmp, 'base.json');
  slower = join(tmp, 'new.jsonl');
});
after(async () => {
  await target.close();
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * The first run (the baseline): --summary-export, --junit, --summary-md and a step summary that
 * already holds an earlier step's text. Run once, by whichever test needs it first.
 */
let baseRun: Promise<{ r: CliResult; step: string; junit: string; md: string }> | undefined;
function runBase() {
  baseRun ??= (async () => {
    const step = join(tmp, 'step-summary.md');
    writeFileSync(step, '## an earlier step\n\n');
    const junit = join(tmp, 'reports', 'junit.xml');
    const md = join(tmp, 'summary.md');
    const r = await cli(['run', fixture('compare.load.ts'), '--target', target.url, '--quiet', '--summary-export', base, '--junit', junit, '--summary-md', md], { env: { GITHUB_STEP_SUMMARY: step } });
    assert.equal(r.code, ExitCode.ok, r.stderr);
    return { r, step, junit, md };
  })();
  return baseRun;
}

test('a run writes --junit, --summary-md and appends the same Markdown to $GITHUB_STEP_SUMMARY', async () => {
  const { step, junit, md } = await runBase();
  const summary = readJson(base);
  assert.equal(summary.metrics.http_reqs.values.count, 40);

  const cases = junitCases(junit);
  assert.deepEqual(cases.map((c) => [c.classname, c.name, c.failure]), [
    ['loadlens.shop.thresholds', 'http_req_duration{name:list}: p(95) < 60000', undefined],
    ['loadlens.shop.thresholds', 'http_req_duration{name:item}: p(95) < 60000', undefined],
    ['loadlens.shop.thresholds', 'http_reqs{name:item}: count > 0', undefined],
    ['loadlens.shop.thresholds', 'http_req_failed{name:item}: rate < 1', undefined],
    ['loadlens.shop.checks', 'list is ok', undefined],
  ]);

  const text = readFileSync(md, 'utf8');
  assert.match(text, /^### Loadlens: shop — ✅ 4 threshold\(s\) passed$/m);
  // The figures are the summary export's, formatted as the panel does.
  const d = summary.metrics.http_req_duration.values;
  const row = [formatCount(summary.metrics.http_reqs.values.rate), '40', '0%', formatMs(d.med), formatMs(d['p(95)']), formatMs(d['p(99)']), formatMs(d.max)];
  assert.ok(text.includes(`\n| ${row.join(' | ')} |\n`), `${row.join(' | ')}\n${text}`);
  assert.match(text, /^\| ✅ \| list is ok \| 20 \| 0 \|$/m);
  // GitHub's step summary keeps what earlier steps wrote; ours follows.
  assert.equal(readFileSync(step, 'utf8'), '## an earlier step\n\n' + text);
});

test('JUnit of a failing run: a <failure> per failed threshold and check, with the observed value and the counts', async () => {
  const junit = join(tmp, 'failing.xml');
  const r = await cli(['run', fixture('fail-threshold.load.ts'), '--target', target.url, '--quiet', '--junit', junit]);
  assert.equal(r.code, ExitCode.thresholdsFailed, r.stderr);
  const cases = junitCases(junit);
  assert.deepEqual(cases.map((c) => [c.name, c.failure?.message]), [
    ['checks: rate > 0.99', "observed 0%; threshold 'rate > 0.99' failed"],
    ['status is 418', '3 of 3 failed (0 passed)'],
  ]);
});

test('--junit, --summary-md or $GITHUB_STEP_SUMMARY that cannot be written: exit 2 before any request, naming it', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  for (const [args, env, name] of [
    [['--junit', '/proc/x/junit.xml'], {}, '--junit /proc/x/junit.xml'],
    [['--summary-md', '/proc/x/s.md'], {}, '--summary-md /proc/x/s.md'],
    [[], { GITHUB_STEP_SUMMARY: '/proc/x/step.md' }, '$GITHUB_STEP_SUMMARY /proc/x/step.md'],
  ] as const) {
    const before = requests();
    const r = await cli(['run', fixture('compare.load.ts'), '--target', target.url, '--quiet', ...args], { env });
    assert.equal(r.code, ExitCode.badOptions, r.stderr);
    assert.ok(r.stderr.includes(`${name}: cannot create the folder /proc/x`), r.stderr);
    assert.equal(requests() - before, 0, 'no request reaches the target');
  }
});

test('compare: a slower run breaks a latency rule (exit 99, naming rule, base and new); the deltas are the runs\' figures', async () => {
  await runBase();
  const r1 = await cli(['run', fixture('compare.load.ts'), '--target', target.url, '--quiet', '-e', `ITEM_MS=${SLOW_MS}`, '--out', slower]);
  assert.equal(r1.code, ExitCode.ok, r1.stderr);
  const a = readJson(base);
  const b = (readFileSync(slower, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((x) => x.type === 'summary')).summary as SummaryData;
  const aItem = a.metrics['http_req_duration{name:item}'].values['p(95)'];
  const bItem = b.metrics['http_req_duration{name:item}'].values['p(95)'];
  assert.ok(bItem >= SLOW_MS, `the slow run's p95 ${bItem} ms`);

  const rules = ['--fail-on', 'http_req_duration{name:item} p(95) +50ms', '--fail-on', 'http_reqs{name:item} count -0%'];
  const r = await cli(['compare', base, slower, ...rules]);
  assert.equal(r.code, ExitCode.thresholdsFailed, r.stderr);
  assert.match(r.stdout, /^scenario shop$/m);
  assert.match(r.stdout, /^ {2}endpoint name=item$/m);
  assert.match(r.stdout, /^ {4}requests +20 +20 +±0 \(±0\.0%\)$/m);
  assert.match(r.stdout, /^ {2}✗ http_req_duration\{name:item\} p\(95\) \+50ms: base .* ms, new .* ms, change \+.* ms \(\+.*%\); allowed \+50\.0 ms$/m);
  assert.match(r.stdout, /^ {2}✓ http_reqs\{name:item\} count -0%: base 20, new 20/m);
  assert.match(r.stderr, /rule broken: http_req_duration\{name:item\} p\(95\) \+50ms: base/);

  // --json: the same comparison, machine-readable, with the exact figures of both files.
  const j = await cli(['compare', base, slower, ...rules, '--json']);
  assert.equal(j.code, ExitCode.thresholdsFailed, j.stderr);
  const c = JSON.parse(j.stdout);
  assert.deepEqual(c.rules.map((x: { ok: boolean; base: number; new: number }) => [x.ok, x.base, x.new]), [[false, aItem, bItem], [true, 20, 20]]);
  const p95 = c.scenarios[0].figures.find((f: { key: string }) => f.key === 'p95');
  assert.deepEqual([p95.a, p95.b], [a.metrics.http_req_duration.values['p(95)'], b.metrics.http_req_duration.values['p(95)']]);
  assert.equal(c.ok, false);

  // The other way round the change is an improvement: the gate passes.
  const back = await cli(['compare', slower, base, '--fail-on', 'http_req_duration{name:item} p(95) +50ms']);
  assert.equal(back.code, ExitCode.ok, back.stderr);
  assert.match(back.stdout, /✓ all 1 rule\(s\) hold/);
});

test('compare reads a saved run by its id under .loadlens/runs/', async () => {
  await runBase();
  const summary = readJson(base);
  const id = runId(Date.UTC(2026, 0, 1), 'shop');
  saveRun(join(tmp, '.loadlens', 'runs'), { id, scenario: 'shop', file: summary.file, startedAt: Date.UTC(2026, 0, 1), summary, series: [] });
  const r = await cli(['compare', id, base, '--fail-on', 'http_req_duration p(99) +0%', '--json'], { cwd: tmp });
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const c = JSON.parse(r.stdout);
  assert.deepEqual([c.base.kind, c.base.file, c.rules[0].change], ['saved run', join('.loadlens', 'runs', `${id}.json`), 0]);
});

test('compare: a corrupt, foreign or missing file, or a bad rule, is exit 2 naming it', async () => {
  await runBase();
  const corrupt = join(tmp, 'corrupt.json');
  writeFileSync(corrupt, readFileSync(base, 'utf8').slice(0, 200));
  const k6 = join(tmp, 'k6.json');
  writeFileSync(k6, JSON.stringify({ root_group: {}, metrics: { http_reqs: { count: 3, rate: 1 } } }));
  for (const [args, expected] of [
    [[corrupt, base], `loadlens compare: ${corrupt}: not JSON`],
    [[base, k6], `loadlens compare: ${k6}: not a Loadlens run (k6's own --summary-export?`],
    [[base, join(tmp, 'nope.json')], `loadlens compare: ${join(tmp, 'nope.json')}: no such file`],
    [[base, base, '--fail-on', 'http_req_duration p95 +10%'], "loadlens compare: --fail-on 'http_req_duration p95 +10%': expected metric[{tag:value,...}] stat (+|-)N[%|ms|s]"],
    [[base, base, '--fail-on', 'http_req_duration{name:nope} p(95) +10%'], "has no http_req_duration{name:nope}"],
    [[base], 'compare: expected BASE and NEW'],
  ] as const) {
    const r = await cli(['compare', ...args]);
    assert.equal(r.code, ExitCode.badOptions, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(expected), r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('a run the CLI had to stop (blocked past its end) still writes its JUnit, Markdown and HTML report, marked as not completed', async () => {
  const junit = join(tmp, 'blocked.xml');
  const md = join(tmp, 'blocked.md');
  const report = join(tmp, 'blocked.html');
  const r = await cli(['run', fixture('blocked.load.ts'), '--target', target.url, '--workers', '1', '--duration', '1s', '--quiet', '--junit', junit, '--summary-md', md, '--report', report]);
  assert.equal(r.code, ExitCode.blocked, r.stderr);
  const cases = junitCases(junit);
  assert.deepEqual(cases.map((c) => [c.name, c.failure?.message]), [['run completed', 'the run ended incomplete']]);
  assert.match(readFileSync(md, 'utf8'), /^### Loadlens: blocked — ⚠️ incomplete$/m);
  // The report was created empty before the load (to check the path); the supervisor fills it.
  const html = readFileSync(report, 'utf8');
  assert.match(html, /^<!doctype html>/i);
  assert.match(html, /closed model · 1 VU for 1s · incomplete in /);
});

// `--out prometheus=URL` against Debian's real Prometheus (2.42, remote write receiver and native
// histograms on), started here on a free loopback port with its own storage folder: a bounded run
// against a loopback server, then Prometheus' HTTP API is queried and compared with the run's own
// summary (counts exactly, p95 within the native histogram schema's error). A dead and a silent
// Prometheus leave the run's outcome as it was and report their drops once.
// Build first (`npm run build`); scripts/test.mjs installs prometheus (scripts/system-deps.sh).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, fixture, runCli } from './cli-helpers';
import { panelQueries, variableQueries } from '../unit/helpers/grafana';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
/** Relative error of a quantile from schema-5 native buckets (2^(1/32) - 1), plus HDR's 0.1 %. */
const QUANTILE_TOLERANCE = 2 ** (1 / 32) - 1 + 0.001;

let dir = '';
let prometheus: ChildProcess | undefined;
let promUrl = '';
let server: Server;
let target = '';

before(async () => {
  // scripts/test.mjs installs prometheus (scripts/system-deps.sh): a missing one fails, never skips.
  assert.ok(hasPrometheus, 'prometheus is not installed: run scripts/system-deps.sh');
  dir = mkdtempSync(join(tmpdir(), 'loadlens-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global: {}\n');
  const port = await closedPort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn('prometheus', [
    `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver', '--enable-feature=native-histograms',
  ], { stdio: 'ignore' });
  // Every 10th POST /slow is a 500; latencies spread over a few ms, so that p95 is not one bucket.
  let slow = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const isSlow = req.url?.startsWith('/slow') === true;
      const fail = isSlow && ++slow % 10 === 0;
      setTimeout(() => {
        res.statusCode = fail ? 500 : 200;
        res.end('ok');
      }, isSlow ? 5 + Math.random() * 25 : Math.random() * 4);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  target = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus did not become ready on ${promUrl}`);
});

after(async () => {
  prometheus?.kill('SIGTERM');
  server?.close();
  if (prometheus && prometheus.exitCode === null) await new Promise((r) => prometheus!.once('exit', r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One instant query's result: label sets and values. */
async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  assert.equal(body.status, 'success', `${expr}: ${body.error}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

async function scalar(expr: string): Promise<number> {
  const result = await query(expr);
  assert.equal(result.length, 1, `${expr}: expected one series, got ${JSON.stringify(result)}`);
  return result[0].value;
}

interface Summary {
  metrics: Record<string, { values: Record<string, number> }>;
  checks: Array<{ name: string; passes: number; fails: number }>;
}

/** Runs the fixture (600 iterations, 1,200 requests) with the given extra options; returns the summary export. */
async function run(extra: string[], testid: string) {
  const exportPath = join(dir, `${testid}.json`);
  const r = await runCli(['run', fixture('prometheus.load.ts'), '--target', target, '--summary-export', exportPath, '--quiet', ...extra], {
    env: { LOADLENS_TESTID: testid },
  });
  assert.equal(r.code, 0, r.stderr);
  return { ...r, summary: JSON.parse(readFileSync(exportPath, 'utf8')) as Summary };
}

test('a run sent to Prometheus reads back as its summary: counters exactly, p95 within the schema error', async () => {
  const { summary, stderr } = await run(['--out', `prometheus=${promUrl}/api/v1/write`, '--out', `json=${join(dir, 'live.jsonl')}`], 'live');
  assert.doesNotMatch(stderr, /prometheus/i, 'no write was dropped');
  const sel = '{testid="live"}';
  const m = summary.metrics;
  assert.equal(await scalar(`sum(loadlens_http_reqs_total${sel})`), m.http_reqs.values.count);
  assert.equal(m.http_reqs.values.count, 1200);
  assert.equal(await scalar(`sum(loadlens_iterations_total${sel})`), m.iterations.values.count);
  assert.equal(await scalar(`sum(loadlens_data_sent_bytes_total${sel})`), m.data_sent.values.count);
  assert.equal(await scalar(`sum(loadlens_data_received_bytes_total${sel})`), m.data_received.values.count);
  // Per request: the labels a dashboard groups by.
  const byStatus = await query(`sum by (name, method, status) (loadlens_http_reqs_total${sel})`);
  assert.deepEqual(
    byStatus.map((r) => `${r.metric.name} ${r.metric.method} ${r.metric.status} ${r.value}`).sort(),
    ['fast GET 200 600', 'slow POST 200 540', 'slow POST 500 60'],
  );
  // Checks, pass and fail, per check.
  const checks = await query(`loadlens_checks_total{testid="live",scenario="remote"}`);
  for (const c of summary.checks) {
    assert.equal(checks.find((r) => r.metric.check === c.name && r.metric.result === 'pass')?.value, c.passes, c.name);
    assert.equal(checks.find((r) => r.metric.check === c.name && r.metric.result === 'fail')?.value, c.fails, c.name);
  }
  assert.equal(await scalar(`max(loadlens_vus_max${sel})`), 4);
  // The native histogram: its count is the request count, its p95 the summary's within the schema's error.
  assert.equal(await scalar(`histogram_count(sum(loadlens_http_req_duration_seconds${sel}))`), m.http_req_duration.values.count);
  for (const [metric, key] of [['http_req_duration', 'p(95)'], ['http_req_duration', 'med'], ['iteration_duration', 'p(95)']] as const) {
    const q = key === 'med' ? 0.5 : 0.95;
    const fromPrometheus = (await scalar(`histogram_quantile(${q}, sum(loadlens_${metric}_seconds${sel}))`)) * 1000;
    const fromSummary = m[metric].values[key];
    const error = Math.abs(fromPrometheus - fromSummary) / fromSummary;
    assert.ok(error <= QUANTILE_TOLERANCE, `${metric} ${key}: Prometheus ${fromPrometheus.toFixed(3)} ms, summary ${fromSummary} ms (${(error * 100).toFixed(2)} %)`);
  }
  // Sent live, once a second: the run's first seconds are there before its end.
  const points = await query(`count_over_time(loadlens_iterations_total${sel}[10m])`);
  assert.ok(points[0].value >= 2, `one write a second: ${points[0].value} points`);
  // Every query of the Grafana dashboard runs on this Prometheus; those of what this run did show it.
  for (const [name, q] of variableQueries()) {
    // Grafana runs label_values(SELECTOR, LABEL) as Prometheus' label values API.
    const [, selector, label] = /^label_values\((.+), (\w+)\)$/.exec(q)!;
    const res = await fetch(`${promUrl}/api/v1/label/${label}/values?match[]=${encodeURIComponent(selector.replaceAll('$testid', 'live'))}`);
    const values = ((await res.json()) as { data: string[] }).data;
    assert.ok(values.includes(name === 'testid' ? 'live' : 'remote'), `variable ${name}: ${values}`);
  }
  for (const expr of panelQueries()) {
    const concrete = expr.replaceAll('$testid', 'live').replaceAll('$scenario', '.*').replaceAll('$window', '1m');
    const result = await query(concrete);
    const expectData = !/dropped_iterations|errors_total|iteration_lag|status=~"0/.test(expr);
    if (expectData) assert.ok(result.length > 0 && result.every((r) => Number.isFinite(r.value)), `dashboard query returned nothing: ${concrete}`);
  }
  // The JSON lines output beside it is whole.
  const records = readFileSync(join(dir, 'live.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.equal(records[0].type, 'start');
  assert.equal(records.at(-1)!.type, 'summary');
});

/** The figures of the fixture's run that do not depend on timing. */
function outcome(s: Summary) {
  return { reqs: s.metrics.http_reqs.values.count, iterations: s.metrics.iterations.values.count, checks: s.checks };
}
const EXPECTED = {
  reqs: 1200,
  iterations: 600,
  checks: [{ name: 'fast is 200', passes: 600, fails: 0 }, { name: 'slow is 200', passes: 540, fails: 60 }],
};

function occurrences(text: string, pattern: RegExp): number {
  return text.split('\n').filter((l) => pattern.test(l)).length;
}

test('a dead Prometheus changes nothing in the run and its drops are reported once', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/api/v1/write`;
  const { summary, stderr } = await run(['--out', `prometheus=${url}`], 'dead');
  assert.deepEqual(outcome(summary), EXPECTED);
  assert.equal(occurrences(stderr, /Prometheus did not take a write \(ECONNREFUSED/), 1, stderr);
  assert.equal(occurrences(stderr, /writes \(one a second\) were dropped \(last: ECONNREFUSED/), 1, stderr);
  const [tally] = stderr.split('\n').filter((l) => l.includes('were dropped'));
  assert.match(tally, new RegExp(`--out prometheus=${url.replace(/[/.]/g, '\\$&')}: (\\d+) of \\1 writes`), 'every write was dropped, and counted');
});

test('a Prometheus that never answers does not hold the run up: writes time out, drops are reported once', async () => {
  // Accepts connections and reads, never answers.
  const sockets = new Set<Socket>();
  const silent: NetServer = netServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.resume();
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/api/v1/write`;
    const { summary, stderr } = await run(['--out', `prometheus=${url}`], 'silent');
    assert.deepEqual(outcome(summary), EXPECTED);
    assert.equal(occurrences(stderr, /were dropped/), 1, stderr);
    assert.ok(occurrences(stderr, /Prometheus did not take a write/) <= 1, stderr);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

// The report options of the CLI (`run --report`, `--no-save`, `report RUN... -o FILE`) and the
// saved-run record both the CLI and the extension write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, parseCommand } from '../../src/cli/args';
import { savedRunOf } from '../../src/report/saved-runs';
import type { SummaryData } from '../../src/engine/types';

test('run --report PATH and --no-save; report RUN... -o FILE (default report.html)', () => {
  const run = parseCommand(['run', 'a.load.ts', '--report', 'r.html', '--no-save'], false);
  assert.equal(run.name, 'run');
  assert.equal(run.name === 'run' && run.reportPath, 'r.html');
  assert.equal(run.name === 'run' && run.save, false);
  const plain = parseCommand(['run', 'a.load.ts'], false);
  assert.equal(plain.name === 'run' && (plain.reportPath ?? 'none'), 'none');
  assert.equal(plain.name === 'run' && (plain.save ?? true), true, 'saved by default');
  assert.deepEqual(parseCommand(['report', 'a.json', 'b.jsonl', '-o', 'x.html'], false), { name: 'report', inputs: ['a.json', 'b.jsonl'], outPath: 'x.html' });
  assert.deepEqual(parseCommand(['report', 'id-1'], false), { name: 'report', inputs: ['id-1'], outPath: 'report.html' });
});

test('report without RUN, -o outside report, and --report for k8s are usage errors', () => {
  assert.throws(() => parseCommand(['report'], false), (e: Error) => e instanceof UsageError && /report: missing RUN/.test(e.message));
  assert.throws(() => parseCommand(['run', 'a.load.ts', '-o', 'r.html'], false), /-o\/--output: only for the report and convert commands \(run takes --report PATH\)/);
  assert.throws(() => parseCommand(['k8s', 'a.load.ts', '--agents', '2', '--image', 'i', '--report', 'r.html'], false), /k8s: --report does not apply/);
});

test('a saved run keeps the details the runner sent, or the live series when it sent none', () => {
  const summary = { scenario: 's', file: 'f', model: 'open', state: { testRunDurationMs: 1000, status: 'completed' }, metrics: {}, thresholds: [], checks: [], errorsByKind: {}, latencyCurve: [], notes: [] } as SummaryData;
  const point = { t: 0, n: 1, p50: 1, p90: 2, p99: 3, max: 4, rps: 5, errorsPerSec: 0, vus: 1, dropped: 0, late: 0 };
  const plan = { scenario: 's', model: 'open' as const, shape: '5 it/s for 1s', plannedMs: 1000, maxVUs: 2 };
  const phases = { blocked: 0, connecting: 0, tls: 0, sending: 0, waiting: 1, receiving: 0 };
  const endpoint = { method: 'GET', name: '/x', requests: 5, failed: 0, avg: 1, p50: 1, p95: 1, p99: 1, max: 1, totalMs: 5, phases };
  const withDetails = savedRunOf({ scenario: 's', file: 'f', startedAt: Date.UTC(2026, 0, 2), plan, summary, details: { series: [{ ...point, p95: 2, due: 5 }], bucket: 1, endpoints: [endpoint] }, series: [point] });
  assert.deepEqual(withDetails, { id: '2026-01-02T00-00-00-000Z-s', scenario: 's', file: 'f', startedAt: Date.UTC(2026, 0, 2), summary, series: [{ ...point, p95: 2, due: 5 }], endpoints: [endpoint], plan });
  const live = savedRunOf({ scenario: 's', file: 'f', startedAt: 0, summary, series: [point] });
  assert.deepEqual([live.series, live.endpoints, live.plan], [[point], undefined, undefined]);
});

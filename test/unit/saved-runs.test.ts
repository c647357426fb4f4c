// Saved runs: what the Runs view lists and the panel reopens or compares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRuns, loadRun, runId, saveRun, type SavedRun } from '../../src/report/saved-runs';
import type { SummaryData } from '../../src/engine/types';

function summary(p99: number, count: number, durationMs: number, thresholdsOk: boolean, status: SummaryData['state']['status'] = 'completed'): SummaryData {
  return {
    scenario: 'browse', file: '/w/a.load.ts', model: 'open',
    state: { testRunDurationMs: durationMs, status },
    metrics: {
      http_req_duration: { type: 'trend', contains: 'time', values: { 'p(99)': p99, max: p99 * 2 } },
      http_reqs: { type: 'counter', contains: 'default', values: { count, rate: count / (durationMs / 1000) } },
    },
    thresholds: [{ metric: 'http_req_duration', expression: 'p(99) < 250', ok: thresholdsOk, observed: p99, abortOnFail: false }],
    checks: [], errorsByKind: {}, latencyCurve: [], notes: [],
  };
}

function run(startedAt: number, s: SummaryData, scenario = 'browse'): SavedRun {
  return { id: runId(startedAt, scenario), scenario, file: '/w/a.load.ts', startedAt, summary: s, series: [
    { t: 0, n: 1, p50: 1, p90: 2, p99: s.metrics.http_req_duration.values['p(99)'], max: 9, rps: 10, errorsPerSec: 0, vus: 1, dropped: 0, late: 0 },
  ] };
}

test('runId is sortable by time and safe as a file name', () => {
  assert.equal(runId(Date.UTC(2026, 4, 1, 10, 0, 3, 45), 'browse'), '2026-05-01T10-00-03-045Z-browse');
  assert.equal(runId(0, 'a/b c'), '1970-01-01T00-00-00-000Z-a_b_c');
});

test('saved runs round-trip and list newest first with headline figures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-history-'));
  try {
    const folder = join(dir, '.loadlens', 'runs');
    const older = run(Date.UTC(2026, 0, 1), summary(212, 19800, 10_000, true));
    const newer = run(Date.UTC(2026, 0, 2), summary(312, 500, 5_000, false, 'cancelled'), 'checkout');
    const path = saveRun(folder, older);
    saveRun(folder, newer);
    assert.equal(path, join(folder, `${older.id}.json`));
    assert.deepEqual(readdirSync(folder).sort(), [`${older.id}.json`, `${newer.id}.json`].sort(), 'no temp files left');
    assert.deepEqual(loadRun(folder, older.id), older);
    // A file that is not a run, and half-written JSON, are skipped.
    writeFileSync(join(folder, 'notes.json'), '{"hello":1}');
    writeFileSync(join(folder, 'broken.json'), '{"id":');
    assert.deepEqual(listRuns(folder), [
      { id: newer.id, scenario: 'checkout', file: '/w/a.load.ts', startedAt: newer.startedAt, status: 'cancelled', p99: 312, rps: 100, thresholdsOk: false },
      { id: older.id, scenario: 'browse', file: '/w/a.load.ts', startedAt: older.startedAt, status: 'completed', p99: 212, rps: 1980, thresholdsOk: true },
    ]);
    assert.throws(() => loadRun(folder, 'notes'), /notes\.json is not a Loadlens run/);
    assert.throws(() => loadRun(folder, '../etc/passwd'), /Not a run id/);
    assert.throws(() => loadRun(folder, 'missing'), /Cannot read saved run .*missing\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing results folder lists no runs', () => {
  assert.deepEqual(listRuns(join(tmpdir(), 'loadlens-does-not-exist', 'runs')), []);
});

// Honest endings, through the real CLI: a target that stops answering cannot pass. Requests in
// flight when the run ends are recorded (EINTERRUPTED, their time so far as lower bounds) and
// named in the summary; open-model iterations still queued are named too; while the target is
// silent the live line says so. Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/protocol';
import { startStallAfter } from '../servers/stall-after';
import { fixture, runCli } from './cli-helpers';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-endings-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('a target that stalls after 30 responses fails the duration and failure thresholds, and the summary says why', async () => {
  const srv = await startStallAfter(30);
  try {
    const exportPath = join(tmp, 'stall.json');
    const r = await runCli(['run', fixture('stall-after.load.ts'), '--target', srv.url, '--workers', '1', '--summary-export', exportPath]);
    assert.equal(r.code, ExitCode.thresholdsFailed, r.stdout + r.stderr);
    const s = readJson(exportPath);
    // Every request that was sent is in the results: 30 answered, 10 (one per VU) cut off.
    assert.equal(srv.received, 40);
    assert.equal(s.metrics.http_reqs.values.count, 40);
    assert.equal(s.metrics.http_req_failed.values.passes, 10, 'the interrupted requests count as failed');
    assert.equal(s.errorsByKind.EINTERRUPTED, 10);
    assert.equal(s.unfinished.requests, 10);
    assert.equal(s.unfinished.queuedIterations, 0);
    assert.ok(s.unfinished.oldestMs > 0 && s.metrics.http_req_duration.values.max >= s.unfinished.oldestMs - 1, JSON.stringify(s.unfinished));
    const verdict = (metric: string) => s.thresholds.find((t: { metric: string }) => t.metric === metric)?.ok;
    assert.equal(verdict('http_req_duration'), false, 'p(95) includes the stalled requests');
    assert.equal(verdict('http_req_failed'), false);
    // The abandoned iterations are not resumed: no check of theirs ran on an aborted response.
    assert.deepEqual([s.metrics.checks.values.passes, s.metrics.checks.values.fails], [30, 0]);

    assert.match(r.stdout, /✗ .*http_req_duration: p\(95\) < 1000/);
    assert.match(r.stdout, /✗ .*http_req_failed: rate < 0\.01/);
    assert.match(r.stdout, /10 requests never completed; the oldest waited \d+(\.\d)? s/);
    assert.match(r.stdout, /http_req_duration\.+: avg=.*includes 10 lower bounds/);
    assert.match(r.stdout, /EINTERRUPTED\s+10/);
    // The live line (stderr, CI mode: no TTY) said so while it happened.
    assert.match(r.stderr, /no response for \d+ s: 10 requests in flight/);
  } finally {
    await srv.close();
  }
});

test('every request hangs, no thresholds: http_reqs and 100 % failed are shown with the reason, and the exit code stays 0 (as k6)', async () => {
  const srv = await startStallAfter(0);
  try {
    const exportPath = join(tmp, 'hang.json');
    const r = await runCli(['run', fixture('all-hang.load.ts'), '--target', srv.url, '--workers', '2', '--summary-export', exportPath]);
    assert.equal(r.code, ExitCode.ok, r.stdout + r.stderr);
    const s = readJson(exportPath);
    assert.equal(s.state.status, 'completed');
    assert.equal(s.metrics.http_reqs.values.count, 4);
    assert.equal(s.metrics.http_req_failed.values.rate, 1);
    assert.equal(s.unfinished.requests, 4, 'summed over both workers');
    assert.match(r.stdout, /http_reqs\.+: 4\b/);
    assert.match(r.stdout, /http_req_failed\.+: 100/);
    assert.match(r.stdout, /4 requests never completed; the oldest waited/);
    assert.match(r.stdout, /Every request failed/);
  } finally {
    await srv.close();
  }
});

test('open model: iterations still queued at the end are counted in dropped_iterations and named', async () => {
  const srv = await startStallAfter(0);
  try {
    const exportPath = join(tmp, 'queued.json');
    const r = await runCli(['run', fixture('open-queued.load.ts'), '--target', srv.url, '--workers', '1', '--summary-export', exportPath]);
    assert.equal(r.code, ExitCode.thresholdsFailed, r.stdout + r.stderr);
    const s = readJson(exportPath);
    assert.equal(s.unfinished.requests, 5, 'each of the 5 VUs hangs on its request');
    const queued = s.unfinished.queuedIterations;
    assert.ok(queued > 0);
    assert.equal(s.metrics.dropped_iterations.values.count, queued);
    assert.equal(s.metrics.http_reqs.values.count, 5);
    assert.match(r.stdout, new RegExp(`${queued} iterations were due but never started \\(no free VU`));
    assert.match(r.stdout, /the generator or the server could not keep up/);
    assert.match(r.stdout, /5 requests never completed/);
  } finally {
    await srv.close();
  }
});

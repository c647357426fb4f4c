// The texts the editor shows after a run: result lens, threshold lenses, Test Explorer messages,
// status bar; and the pure helpers behind settings, excludes and the debug attach configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultLensText, thresholdLensText, thresholdFailure, statusBarText, liveSummaryText } from '../../src/extension/results';
import { settingsFrom } from '../../src/extension/settings';
import { globToRegExp, isExcluded } from '../../src/extension/glob';
import { attachConfiguration } from '../../src/extension/debug';
import { runDescription } from '../../src/extension/runsView';
import type { LiveStats, SummaryData, ThresholdVerdict } from '../../src/engine/types';

const verdict = (metric: string, expression: string, ok: boolean, observed: number | null): ThresholdVerdict =>
  ({ metric, expression, ok, observed, abortOnFail: false });

function summary(thresholds: ThresholdVerdict[], status: SummaryData['state']['status'] = 'completed'): SummaryData {
  return {
    scenario: 's', file: '/f.load.ts', model: 'open', state: { testRunDurationMs: 10_000, status },
    metrics: {
      http_req_duration: { type: 'trend', contains: 'time', values: { 'p(99)': 212.4, med: 3 } },
      http_reqs: { type: 'counter', contains: 'default', values: { count: 19_800, rate: 1980 } },
    },
    thresholds, checks: [], errorsByKind: {}, latencyCurve: [], notes: [],
  };
}

test('result lens: p99, req/s and the thresholds that passed', () => {
  const ok = [verdict('http_req_duration', 'p(99) < 250', true, 212.4), verdict('checks', 'rate > 0.99', true, 1), verdict('http_req_failed', 'rate < 0.01', true, 0)];
  assert.equal(resultLensText(summary(ok)), 'p99 212 ms · 1,980 req/s · thresholds ✓ 3/3');
  const oneFailed = [...ok.slice(0, 2), verdict('http_req_failed', 'rate < 0.01', false, 0.05)];
  assert.equal(resultLensText(summary(oneFailed)), 'p99 212 ms · 1,980 req/s · thresholds ✗ 2/3');
  assert.equal(resultLensText(summary([], 'cancelled')), 'p99 212 ms · 1,980 req/s · cancelled');
});

test('threshold lenses and failures show the observed value in the metric\'s unit', () => {
  assert.equal(thresholdLensText(verdict('http_req_duration{name:items}', 'p(99) < 250', true, 212.4)), '✓ p(99) = 212 ms');
  assert.equal(thresholdLensText(verdict('http_req_failed', 'rate<0.01', false, 0.0525)), '✗ rate = 5.3%');
  assert.equal(thresholdLensText(verdict('iterations', 'count > 10', true, 1200)), '✓ count = 1,200');
  assert.equal(thresholdLensText(verdict('http_reqs', 'rate > 100', false, 99.65)), '✗ rate = 99.65/s');
  assert.equal(thresholdFailure(verdict('http_req_duration', 'p(95) < 1', false, null)).actual, 'p(95) = no data');
  // Custom metrics: the verdict carries the unit they were declared with (isTime).
  const custom = (metric: string, expression: string, observed: number, contains?: ThresholdVerdict['contains']): ThresholdVerdict =>
    ({ ...verdict(metric, expression, false, observed), contains });
  assert.equal(thresholdLensText(custom('login_time', 'p(95) < 10', 12, 'time')), '✗ p(95) = 12.0 ms');
  assert.equal(thresholdLensText(custom('login_time{step:form}', 'avg < 10', 12.34, 'time')), '✗ avg = 12.3 ms');
  assert.equal(thresholdLensText(custom('wait_total', 'count < 1000', 1500, 'time')), '✗ count = 1,500 ms');
  assert.equal(thresholdLensText(custom('queue_depth', 'value < 10', 12, 'default')), '✗ value = 12');
  assert.equal(thresholdLensText(custom('cart_ok', 'rate > 0.99', 0.5)), '✗ rate = 50.0%');
  assert.deepEqual(thresholdFailure(verdict('http_req_duration', 'p(99) < 250', false, 312)), {
    message: "http_req_duration: p(99) = 312 ms, threshold 'p(99) < 250' failed",
    expected: 'p(99) < 250',
    actual: 'p(99) = 312 ms',
  });
});

test('status bar and the report of a run that died', () => {
  const live = { rps: 1980.4, p99: 4.567, requests: 12_345, errors: 3, elapsedMs: 6_250 } as LiveStats;
  assert.equal(statusBarText(live), '$(pulse) 1,980 req/s · p99 4.57 ms');
  assert.equal(statusBarText(undefined), '$(loading~spin) Loadlens: starting…');
  assert.equal(liveSummaryText(live), '12,345 requests in 6.3s, 3 errors, last p99 4.57 ms, 1,980 req/s');
});

test('settings: empty defaults override nothing; values become run overrides', () => {
  const none = settingsFrom(() => undefined);
  assert.deepEqual(none, { nodePath: '', overrides: undefined, resultsFolder: '.loadlens/runs', openPanelOnRun: true, debugIterations: 1 });
  const values: Record<string, unknown> = { defaultVUs: 5, defaultDuration: ' 10s ', defaultRate: null, nodePath: ' /usr/bin/node ', debugIterations: 3, openPanelOnRun: false, resultsFolder: 'perf/runs' };
  assert.deepEqual(settingsFrom((k) => values[k] as never), {
    nodePath: '/usr/bin/node', overrides: { vus: 5, duration: '10s' }, resultsFolder: 'perf/runs', openPanelOnRun: false, debugIterations: 3,
  });
});

test('files.exclude globs: folders, wildcards, alternatives; node_modules always', () => {
  assert.ok(globToRegExp('**/.git').test('a/b/.git'));
  assert.ok(globToRegExp('**/.git').test('.git/x.load.ts'));
  assert.ok(globToRegExp('build/*.load.ts').test('build/a.load.ts'));
  assert.ok(!globToRegExp('build/*.load.ts').test('build/sub/a.load.ts'));
  assert.ok(globToRegExp('**/{dist,out}/**').test('pkg/out/a.load.ts'));
  assert.ok(isExcluded('x/node_modules/pkg/a.load.ts', {}));
  assert.ok(isExcluded('gen/a.load.ts', { 'gen': true }));
  assert.ok(!isExcluded('gen/a.load.ts', { 'gen': false }));
  assert.ok(!isExcluded('src/a.load.ts', { '**/.git': true, 'gen': true }));
});

test('debug attach configuration: source maps everywhere, continue past --inspect-brk, runner skipped', () => {
  const c = attachConfiguration('browse', 9229, '/ext/dist/runner.js');
  assert.equal(c.type, 'node');
  assert.equal(c.request, 'attach');
  assert.equal(c.port, 9229);
  assert.equal(c.continueOnAttach, true);
  assert.deepEqual(c.skipFiles, ['<node_internals>/**', '/ext/dist/runner.js']);
  assert.deepEqual(c.resolveSourceMapLocations, ['**', '!**/node_modules/**', '!/ext/dist/**']);
});

test('Runs view rows', () => {
  assert.equal(runDescription({ id: 'x', scenario: 's', file: '/f', startedAt: Date.UTC(2026, 4, 1, 10, 0, 3), status: 'completed', p99: 212, rps: 1980, thresholdsOk: true }),
    '2026-05-01 10:00:03 · p99 212 ms · 1,980 req/s · ✓');
  assert.equal(runDescription({ id: 'x', scenario: 's', file: '/f', startedAt: 0, status: 'completed', p99: null, rps: null, thresholdsOk: false }),
    '1970-01-01 00:00:00 · p99 – · – req/s · ✗ thresholds');
});

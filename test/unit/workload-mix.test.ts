// The pieces of a workload mix that need no load: expectedStatuses, threshold tag filters checked
// against the tags a run can carry, startTime, picking scenarios, --scenario on the command line,
// and the extension's "Run all together" lens and mix verdict.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedStatusesOf, isExpected } from '../../src/engine/http/expected';
import { OptionsError } from '../../src/engine/errors';
import { UnknownTagError, checkThresholds } from '../../src/engine/thresholds';
import { startTimeMsOf, validateScenario } from '../../src/engine/load';
import { SYSTEM_TAGS } from '../../src/engine/metrics/names';
import { knownTagsOf, selectScenarios, type FoundScenario } from '../../src/runner/bundle';
import { parseCommand, UsageError } from '../../src/cli/args';
import { LENS_RUN_ALL, runAllLens } from '../../src/extension/lenses';
import { failedThresholds } from '../../src/extension/testing';
import { scenario } from '../../src/engine/api';
import type { SummaryData, ThresholdVerdict } from '../../src/engine/types';

const noop = async () => {};

test('expectedStatuses: 200-399 by default; statuses and ranges as given; no response is never expected', () => {
  const dflt = expectedStatusesOf(undefined, 'http.expectedStatuses');
  assert.deepEqual([199, 200, 302, 399, 400, 503, 0].map((s) => isExpected(dflt, s)), [false, true, true, true, false, false, false]);
  const p = expectedStatusesOf([200, 404, { min: 500, max: 503 }], 'expectedStatuses');
  assert.deepEqual([200, 201, 404, 500, 503, 504, 0].map((s) => isExpected(p, s)), [true, false, true, true, true, false, false]);
  assert.throws(() => expectedStatusesOf([200, 'ok'], 'http.expectedStatuses'), (e: unknown) => e instanceof OptionsError && /^http\.expectedStatuses: got \[200,"ok"\]/.test(e.message));
  assert.throws(() => expectedStatusesOf({ min: 500, max: 400 }, 'expectedStatuses'), OptionsError);
  assert.throws(() => expectedStatusesOf([{ min: 500, max: 400 }], 'expectedStatuses'), OptionsError);
  assert.throws(() => validateScenario(scenario({ load: { vus: 1, iterations: 1 }, http: { expectedStatuses: [] }, iteration: noop })), /http\.expectedStatuses/);
});

test('a threshold may filter on the system tags and the tags the file writes; anything else is refused with the closest name', () => {
  const known = { tags: new Set([...SYSTEM_TAGS, 'team']), scenarios: ['browse', 'checkout'] };
  const ok = checkThresholds({ 'http_req_duration{scenario:checkout,expected_response:true,group:::pay,team:x}': ['p(95) < 200'] }, 'browse', new Map(), known);
  assert.deepEqual(ok[0].filter, { scenario: 'checkout', expected_response: 'true', group: '::pay', team: 'x' });
  assert.throws(
    () => checkThresholds({ 'http_reqs{scenrio:browse}': ['count > 1'] }, 'browse', new Map(), known),
    (e: unknown) => e instanceof UnknownTagError && e.field === 'thresholds["http_reqs{scenrio:browse}"]' && /unknown tag 'scenrio'; did you mean 'scenario'\?/.test(e.message),
  );
  assert.throws(
    () => checkThresholds({ 'http_reqs{scenario:chekout}': ['count > 1'] }, 'total', new Map(), known, 'the file-wide thresholds'),
    (e: unknown) => e instanceof UnknownTagError && /in the file-wide thresholds filters on scenario 'chekout', which the file does not export; did you mean 'checkout'\?/.test(e.message),
  );
});

test('the tags a file writes are found statically: scenario tags, tags: {...} objects and custom metric adds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-tags-'));
  try {
    const file = join(dir, 'a.load.ts');
    writeFileSync(file, `await http.get('/x', { tags: { flow: 'a', 'step-name': 'b' } });\norders.add(1, { sku: id });\n`);
    const found: FoundScenario[] = [{ name: 'a', definition: scenario({ load: { vus: 1, iterations: 1 }, tags: { team: 'x' }, iteration: noop }) }];
    const known = knownTagsOf(file, found);
    for (const t of ['scenario', 'group', 'name', 'method', 'status', 'expected_response', 'check', 'team', 'flow', 'step-name', 'sku']) assert.ok(known.tags.has(t), t);
    assert.ok(!known.tags.has('id'));
    assert.deepEqual(known.scenarios, ['a']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('startTime is a duration from the run start (a number is seconds); anything else names the field', () => {
  assert.equal(startTimeMsOf({}), 0);
  assert.equal(startTimeMsOf({ startTime: '1m30s' }), 90_000);
  assert.equal(startTimeMsOf({ startTime: 2 }), 2000);
  assert.throws(() => validateScenario(scenario({ load: { vus: 1, iterations: 1 }, startTime: 'soon', iteration: noop })), (e: unknown) => e instanceof OptionsError && e.field === 'startTime');
});

test('--scenario picks scenarios in the file order; an unknown one lists those there are', () => {
  const def = scenario({ load: { vus: 1, iterations: 1 }, iteration: noop });
  const all: FoundScenario[] = ['browse', 'search', 'checkout'].map((name) => ({ name, definition: def }));
  assert.deepEqual(selectScenarios(all, undefined, 'f').map((s) => s.name), ['browse', 'search', 'checkout']);
  assert.deepEqual(selectScenarios(all, ['checkout', 'browse'], 'f').map((s) => s.name), ['browse', 'checkout']);
  assert.throws(() => selectScenarios(all, ['browse', 'nope'], 'shop.load.ts'), /shop\.load\.ts: no scenario named "nope"; the file exports browse, search, checkout/);

  const c = parseCommand(['run', 'a.load.ts', '--scenario', 'browse', '--scenario', 'checkout'], false);
  assert.equal(c.name, 'run');
  assert.deepEqual(c.name === 'run' && c.scenarios, ['browse', 'checkout']);
  assert.throws(() => parseCommand(['k8s', 'a.load.ts', '--image', 'i', '--agents', '2', '--scenario', 'a', '--scenario', 'b'], false), UsageError);
});

test('extension: a file of several scenarios gets "Run all together"; a mix fails on any scenario\'s or the file-wide thresholds', () => {
  assert.equal(runAllLens([{ name: 'browse' }]), undefined);
  const lens = runAllLens([{ name: 'browse' }, { name: 'checkout' }]);
  assert.equal(lens?.title, LENS_RUN_ALL);
  assert.match(lens!.tooltip, /browse, checkout together/);

  const verdict = (metric: string, ok: boolean): ThresholdVerdict => ({ metric, expression: 'count > 1', ok, observed: 1 } as ThresholdVerdict);
  const summary = (thresholds: ThresholdVerdict[]) => ({ thresholds } as SummaryData);
  const results = [{ summary: summary([verdict('a', true)]) }, { summary: summary([verdict('b', false)]) }] as never;
  const total = summary([verdict('http_reqs{scenario:a}', false)]);
  assert.deepEqual(failedThresholds('a', { results, total }, (results as Array<unknown>)[0] as never), []);
  assert.deepEqual(failedThresholds(undefined, { results, total }, undefined).map((v) => v.metric), ['b', 'http_reqs{scenario:a}']);
});

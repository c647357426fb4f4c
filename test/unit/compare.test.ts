// `loadlens compare` and the panel's Compare: the --fail-on grammar, the deltas, and reading the
// files a run leaves (summary exports, saved runs, --out JSON lines; corrupt or foreign ones).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompareError, CompareInputError, compareEndpoints, compareRows, compareRuns, comparisonText, evaluateRule, parseRule, parseRunFile,
} from '../../src/report/compare';
import { exportSummary } from '../../src/engine/aggregate';
import { summaryExportText, outRecord } from '../../src/runner/out-file';
import { runId, saveRun } from '../../src/report/saved-runs';
import type { SummaryData } from '../../src/engine/types';

function summary(scenario: string, p95: number, opts: { rps?: number; failed?: number; itemP95?: number; checks?: [number, number] } = {}): SummaryData {
  const [passes, fails] = opts.checks ?? [100, 0];
  return {
    scenario, file: '/w/shop.load.ts', model: 'open',
    state: { testRunDurationMs: 10_000, status: 'completed' },
    metrics: {
      http_req_duration: { type: 'trend', contains: 'time', values: { avg: p95 / 2, min: 1, med: p95 / 3, max: p95 * 2, 'p(90)': p95 * 0.9, 'p(95)': p95, 'p(99)': p95 * 1.5 } },
      'http_req_duration{ name: item }': { type: 'trend', contains: 'time', values: { med: 5, 'p(95)': opts.itemP95 ?? 10, 'p(99)': 12 } },
      http_reqs: { type: 'counter', contains: 'default', values: { count: (opts.rps ?? 100) * 10, rate: opts.rps ?? 100 } },
      http_req_failed: { type: 'rate', contains: 'default', values: { rate: opts.failed ?? 0, passes: 0, fails: 1000 } },
      checks: { type: 'rate', contains: 'default', values: { rate: passes / (passes + fails), passes, fails } },
      data_received: { type: 'counter', contains: 'data', values: { count: 5e6, rate: 5e5 } },
    },
    thresholds: [], checks: [{ name: 'ok', passes, fails }], errorsByKind: {}, latencyCurve: [], notes: [],
  };
}

describe('--fail-on grammar', () => {
  test('metric, optional tag filter, stat, signed amount with %, ms, s or a plain number', () => {
    assert.deepEqual(parseRule('http_req_duration p(95) +10%'), {
      text: 'http_req_duration p(95) +10%', metric: 'http_req_duration', tags: {}, stat: 'p(95)', direction: '+', amount: 10, unit: '%',
    });
    const r = parseRule("  http_req_duration{name:checkout, method:'POST'} p( 99.9 ) + 50ms ");
    assert.deepEqual([r.metric, r.tags, r.stat, r.direction, r.amount, r.unit], ['http_req_duration', { name: 'checkout', method: 'POST' }, 'p(99.9)', '+', 50, 'ms']);
    assert.deepEqual([parseRule('http_reqs rate -5%').direction, parseRule('http_reqs rate -5%').stat], ['-', 'rate']);
    assert.equal(parseRule('iteration_duration med +1.5s').unit, 's');
    assert.deepEqual([parseRule('http_req_failed rate +0.01').amount, parseRule('http_req_failed rate +0.01').unit], [0.01, '']);
    assert.equal(parseRule('checks fails +.5').amount, 0.5);
  });

  test('a rule that does not parse is an error naming the rule and the grammar', () => {
    for (const bad of ['http_req_duration p95 +10%', 'http_req_duration p(95) 10%', 'http_req_duration +10%', 'p(95) +10%',
      'http_req_duration p(95) +10 %%', 'http_req_duration p(95) +ten%', 'http_req_duration{name} p(95) +1%', 'http_req_duration p(101) +1%', '']) {
      assert.throws(() => parseRule(bad), (err: Error) => {
        assert.ok(err instanceof CompareError, bad);
        assert.ok(err.message.includes(`--fail-on '${bad}'`), err.message);
        return true;
      });
    }
  });
});

describe('rules on two runs', () => {
  const base = summary('shop', 100);

  test('+N% allows NEW up to BASE × (1 + N/100); the result names base, new and the change', () => {
    const held = evaluateRule(parseRule('http_req_duration p(95) +10%'), base, summary('shop', 110));
    assert.equal(held.ok, true);
    // Exactly at the limit, whatever the float rounding: 0.3 + 10% of it is 0.33.
    const at = (v: number) => { const s = summary('shop', 100); s.metrics.http_req_duration.values.avg = v; return s; };
    assert.equal(evaluateRule(parseRule('http_req_duration avg +10%'), at(0.3), at(0.33)).ok, true);
    assert.equal(evaluateRule(parseRule('http_req_duration avg +10%'), at(0.3), at(0.3301)).ok, false);
    const broken = evaluateRule(parseRule('http_req_duration p(95) +10%'), base, summary('shop', 110.5));
    assert.deepEqual([broken.ok, broken.base, broken.new, broken.unit], [false, 100, 110.5, 'ms']);
    assert.ok(Math.abs(broken.relative! - 0.105) < 1e-12);
    assert.equal(broken.text, 'http_req_duration p(95) +10%: base 100 ms, new 111 ms, change +10.5 ms (+10.5%); allowed +10%');
  });

  test('ms and s are absolute changes of time metrics; a plain number is in the metric\'s unit', () => {
    assert.equal(evaluateRule(parseRule('http_req_duration p(95) +50ms'), base, summary('shop', 150)).ok, true);
    assert.equal(evaluateRule(parseRule('http_req_duration p(95) +50ms'), base, summary('shop', 151)).ok, false);
    assert.equal(evaluateRule(parseRule('http_req_duration p(95) +0.05s'), base, summary('shop', 151)).ok, false);
    assert.equal(evaluateRule(parseRule('http_req_duration p(95) +50'), base, summary('shop', 150)).ok, true);
    // Rates are 0..1: +0.01 is one percentage point.
    assert.equal(evaluateRule(parseRule('http_req_failed rate +0.01'), base, summary('shop', 100, { failed: 0.01 })).ok, true);
    const more = evaluateRule(parseRule('http_req_failed rate +0.01'), base, summary('shop', 100, { failed: 0.02 }));
    assert.deepEqual([more.ok, more.unit], [false, 'percent']);
    assert.match(more.text, /base 0%, new 2\.0%/);
  });

  test('- bounds a fall: throughput and checks may drop at most the amount', () => {
    assert.equal(evaluateRule(parseRule('http_reqs rate -5%'), base, summary('shop', 100, { rps: 95 })).ok, true);
    assert.equal(evaluateRule(parseRule('http_reqs rate -5%'), base, summary('shop', 100, { rps: 94 })).ok, false);
    // A rise never breaks a '-' rule, nor a fall a '+' rule.
    assert.equal(evaluateRule(parseRule('http_reqs rate -5%'), base, summary('shop', 100, { rps: 500 })).ok, true);
    assert.equal(evaluateRule(parseRule('http_req_duration p(95) +0%'), base, summary('shop', 1)).ok, true);
    assert.equal(evaluateRule(parseRule('checks rate -0'), base, summary('shop', 100, { checks: [99, 1] })).ok, false);
  });

  test('from a zero base, any rise breaks a % rule (no relative change to show)', () => {
    const r = evaluateRule(parseRule('http_req_failed rate +50%'), base, summary('shop', 100, { failed: 0.001 }));
    assert.deepEqual([r.ok, r.relative], [false, null]);
    assert.equal(evaluateRule(parseRule('http_req_failed rate +50%'), base, base).ok, true);
  });

  test('tag filters match however the summary key was written', () => {
    const r = evaluateRule(parseRule('http_req_duration{name:item} p(95) +20%'), base, summary('shop', 100, { itemP95: 13 }));
    assert.deepEqual([r.ok, r.base, r.new], [false, 10, 13]);
  });

  test('a figure either run lacks, or ms on a count, is an error naming the rule and the run', () => {
    assert.throws(() => evaluateRule(parseRule('http_req_duration{name:nope} p(95) +1%'), base, base), (err: Error) =>
      err instanceof CompareError && /--fail-on 'http_req_duration\{name:nope\} p\(95\) \+1%': BASE \(scenario shop\) has no http_req_duration\{name:nope\}; it has http_req_duration, http_req_duration\{ name: item \}/.test(err.message));
    assert.throws(() => evaluateRule(parseRule('http_req_duration p(97) +1%'), base, base), /has no p\(97\) of http_req_duration; it has avg, min, med/);
    assert.throws(() => evaluateRule(parseRule('http_reqs count +5ms'), base, base), /ms applies to time metrics only/);
    // med and p(50) are one figure.
    assert.equal(evaluateRule(parseRule('http_req_duration p(50) +0%'), base, base).base, 100 / 3);
  });
});

describe('deltas', () => {
  test('headline rows (with the checks pass rate) say which way is better', () => {
    const rows = new Map(compareRows(summary('shop', 100), summary('shop', 120, { rps: 80, checks: [90, 10] })).map((r) => [r.key, r]));
    assert.deepEqual([rows.get('p95')!.a, rows.get('p95')!.b, rows.get('p95')!.better], [100, 120, 'lower']);
    assert.deepEqual([rows.get('rps')!.a, rows.get('rps')!.b, rows.get('rps')!.better], [100, 80, 'higher']);
    assert.deepEqual([rows.get('checks')!.a, rows.get('checks')!.b, rows.get('checks')!.better], [1, 0.9, 'higher']);
    assert.deepEqual([rows.get('failed')!.better, rows.get('p50')!.a], ['lower', 100 / 3]);
  });

  test('per endpoint: every tag-filtered HTTP figure of either run, matched by tag filter', () => {
    const b = summary('shop', 100, { itemP95: 30 });
    b.metrics['http_reqs{name:item}'] = { type: 'counter', contains: 'default', values: { count: 50, rate: 5 } };
    b.metrics['http_req_duration{name:new}'] = { type: 'trend', contains: 'time', values: { 'p(95)': 7 } };
    const e = compareEndpoints(summary('shop', 100), b);
    assert.deepEqual(e.map((x) => x.label), ['name=item', 'name=new']);
    const item = new Map(e[0].rows.map((r) => [r.key, [r.a, r.b]]));
    assert.deepEqual(Object.fromEntries(item), { p50: [5, 5], p95: [10, 30], p99: [12, 12], requests: [null, 50], rps: [null, 5] });
    assert.deepEqual(e[1].rows.map((r) => [r.key, r.a, r.b]), [['p95', null, 7]]);
  });

  test('the text table shows base, new and change with the panel\'s formats, and every rule', () => {
    const a = { file: 'a.json', kind: 'summary export' as const, summaries: [summary('shop', 100)] };
    const b = { file: 'b.json', kind: 'summary export' as const, summaries: [summary('shop', 150)] };
    const c = compareRuns(a, b, [parseRule('http_req_duration p(95) +10%'), parseRule('http_reqs count -0')]);
    assert.equal(c.ok, false);
    const text = comparisonText(c, (s) => s);
    assert.match(text, /^ {2}p95 +100 ms +150 ms +\+50\.0 ms \(\+50\.0%\)$/m);
    assert.match(text, /^ {2}endpoint name=item$/m);
    assert.match(text, /^ {2}✗ http_req_duration p\(95\) \+10%: base 100 ms, new 150 ms/m);
    assert.match(text, /^ {2}✓ http_reqs count -0: base 1,000, new 1,000/m);
    assert.match(text, /✗ 1 of 2 rule\(s\) broken/);
  });

  test('several scenarios pair by name; --scenario picks one; the rest is named', () => {
    const a = { file: 'a.json', kind: 'summary export' as const, summaries: [summary('browse', 10), summary('checkout', 100)] };
    const b = { file: 'b.json', kind: 'summary export' as const, summaries: [summary('checkout', 200), summary('search', 5)] };
    const c = compareRuns(a, b, [parseRule('http_req_duration p(95) +10%')]);
    assert.deepEqual(c.scenarios.map((s) => s.scenario), ['checkout']);
    assert.deepEqual(c.unmatched, ['browse (only in a.json)', 'search (only in b.json)']);
    assert.deepEqual(c.rules.map((r) => [r.scenario, r.ok]), [['checkout', false]]);
    assert.throws(() => compareRuns(a, b, [], 'browse'), /--scenario: b\.json has no scenario "browse"; it has checkout, search/);
    assert.throws(() => compareRuns({ ...a, summaries: [summary('x', 1), summary('y', 1)] }, b, []), /no scenario in common/);
    // Two single-scenario files compare whatever their names.
    const single = compareRuns({ ...a, summaries: [summary('old-name', 1)] }, { ...b, summaries: [summary('new-name', 1)] }, []);
    assert.deepEqual([single.scenarios[0].baseScenario, single.scenarios[0].scenario], ['old-name', 'new-name']);
  });
});

describe('run files', () => {
  test('a summary export (one or several scenarios), a saved run and an --out file all read as summaries', () => {
    const one = parseRunFile(summaryExportText([summary('shop', 100)]), 's.json');
    assert.deepEqual([one.kind, one.summaries.length, one.summaries[0].metrics['http_req_duration'].values['p(95)']], ['summary export', 1, 100]);
    const two = parseRunFile(summaryExportText([summary('a', 1), summary('b', 2)]), 's.json');
    assert.deepEqual(two.summaries.map((s) => s.scenario), ['a', 'b']);

    const dir = mkdtempSync(join(tmpdir(), 'loadlens-compare-'));
    try {
      const path = saveRun(join(dir, '.loadlens', 'runs'), { id: runId(0, 'shop'), scenario: 'shop', file: '/w/shop.load.ts', startedAt: 0, summary: summary('shop', 42), series: [] });
      const saved = parseRunFile(readFileSync(path, 'utf8'), path);
      assert.deepEqual([saved.kind, saved.summaries[0].metrics.http_req_duration.values['p(95)']], ['saved run', 42]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // An --out file: start and interval records, a summary per scenario; a torn last line is ignored.
    const lines = [JSON.stringify({ type: 'start', scenario: 'shop' }) + '\n', outRecord({ type: 'summary', scenario: 'shop', summary: summary('shop', 7) }), '{"type":"interv'].join('');
    const out = parseRunFile(lines, 'run.jsonl');
    assert.equal(parseRunFile(outRecord({ type: 'summary', scenario: 'shop', summary: summary('shop', 8) }), 'one.jsonl').summaries[0].metrics.http_req_duration.values['p(95)'], 8);
    assert.deepEqual([out.kind, out.summaries[0].metrics.http_req_duration.values['p(95)']], ['--out JSON lines', 7]);
    // An older export without the newer fields still reads.
    const old = exportSummary(summary('shop', 1)) as Record<string, unknown>;
    delete old.latencyCurve; delete old.errorsByKind; delete old.checks;
    assert.deepEqual(parseRunFile(JSON.stringify(old), 'old.json').summaries[0].checks, []);
  });

  test('a saved run\'s per-endpoint totals (method and name) are compared too, with the summary\'s tag-filtered entries', () => {
    const endpoint = (name: string, requests: number, failed: number, p95: number) =>
      ({ method: 'GET', name, requests, failed, avg: 1, p50: p95 / 2, p95, p99: p95 * 2, max: p95 * 3, totalMs: 1, phases: {} });
    const saved = (p95: number, endpoints: unknown) => JSON.stringify({ id: 'r', scenario: 'shop', file: 'f', startedAt: 0, series: [], summary: summary('shop', 100), endpoints });
    const a = parseRunFile(saved(100, [endpoint('item', 500, 5, 40), { name: 'broken' }]), 'a.json');
    const b = parseRunFile(saved(100, [endpoint('item', 400, 40, 80), endpoint('cart', 10, 0, 9)]), 'b.json');
    assert.deepEqual(a.endpoints, { shop: [{ tags: { method: 'GET', name: 'item' }, requests: 500, failed: 5, p50: 20, p95: 40, p99: 80 }] });
    const e = compareRuns(a, b, []).scenarios[0].endpoints;
    assert.deepEqual(e.map((x) => x.label), ['method=GET name=cart', 'method=GET name=item', 'name=item']);
    const item = new Map(e[1].rows.map((r) => [r.key, [r.a, r.b]]));
    // 10 s runs: 500 requests = 50/s; 5 of 500 failed = 1%.
    assert.deepEqual(Object.fromEntries(item), { p50: [20, 40], p95: [40, 80], p99: [80, 160], requests: [500, 400], rps: [50, 40], failed: [0.01, 0.1] });
    assert.deepEqual(e[0].rows.map((r) => [r.key, r.a, r.b]), [['p50', null, 4.5], ['p95', null, 9], ['p99', null, 18], ['requests', null, 10], ['rps', null, 1], ['failed', null, 0]]);
  });

  test('a corrupt or foreign file is an error naming the file and what was expected', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"scenario": "shop", "metr', /^bad\.json: not JSON \(.*\); expected a Loadlens --summary-export JSON, a saved run/],
      ['[1, 2]', /^bad\.json: not a Loadlens run \(not an object\)/],
      ['{"metrics": {"http_reqs": {"type": "counter", "contains": "default", "values": {"count": 3}}}, "root_group": {}}', /^bad\.json: not a Loadlens run \(k6's own --summary-export\?/],
      ['{"scenario": "shop", "state": {"testRunDurationMs": 5}, "metrics": {"http_reqs": {"type": "counter", "values": {"count": "3"}}}}', /metrics\["http_reqs"\] is not \{ type, values/],
      ['{"scenario": "shop", "metrics": {}}', /no state\.testRunDurationMs/],
      ['{"id": "x", "scenario": "shop", "startedAt": 1, "series": [], "summary": {"scenario": "shop"}}', /^bad\.json: not a Loadlens run \(summary: no state/],
      ['{"type":"start"}\n{"type":"interval"}\n', /^bad\.json: JSON lines without a summary record/],
      ['{"type":"start"}\nnot json\n{"type":"summary"}\n', /^bad\.json:2: not JSON/],
      ['', /^bad\.json: not JSON/],
    ];
    for (const [text, expected] of cases) {
      assert.throws(() => parseRunFile(text, 'bad.json'), (err: Error) => {
        assert.ok(err instanceof CompareInputError, text);
        assert.match(err.message, expected);
        return true;
      });
    }
  });
});

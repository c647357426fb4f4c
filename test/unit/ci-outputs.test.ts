// --junit and --summary-md: the JUnit XML parses (fast-xml-parser) into one test case per
// threshold and per check with failures that carry the observed value or the counts; hostile names
// keep both documents well-formed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { junitXml, summaryMarkdown } from '../../src/report/ci';
import type { SummaryData } from '../../src/engine/types';

function summary(overrides: Partial<SummaryData> = {}): SummaryData {
  return {
    scenario: 'shop', file: '/w/shop.load.ts', model: 'open',
    state: { testRunDurationMs: 12_345, status: 'completed' },
    metrics: {
      http_req_duration: { type: 'trend', contains: 'time', values: { med: 12.3, 'p(90)': 40, 'p(95)': 212.4, 'p(99)': 480, max: 900 } },
      http_reqs: { type: 'counter', contains: 'default', values: { count: 19_800, rate: 1980 } },
      http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0.0025, passes: 50, fails: 19_750 } },
    },
    thresholds: [
      { metric: 'http_req_duration', expression: 'p(95) < 200', ok: false, observed: 212.4, contains: 'time', abortOnFail: false },
      { metric: 'http_req_failed', expression: 'rate < 0.01', ok: true, observed: 0.0025, abortOnFail: false },
    ],
    checks: [{ name: 'status is 200', passes: 19_750, fails: 50 }, { name: 'body ok', passes: 19_800, fails: 0 }],
    errorsByKind: { ECONNRESET: 50 },
    latencyCurve: [], notes: [],
    ...overrides,
  };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });

interface Case { classname: string; name: string; failure?: { message: string; type: string; '#text': string }; 'system-out'?: string }

function parse(xml: string) {
  assert.equal(XMLValidator.validate(xml), true, xml);
  return parser.parse(xml).testsuites as { tests: string; failures: string; testsuite: Array<{ name: string; tests: string; failures: string; testcase: Case[]; properties: { property: Array<{ name: string; value: string }> } }> };
}

test('JUnit: one test case per threshold (metric and expression) and per check; failures carry the observed value and counts', () => {
  const doc = parse(junitXml([summary()]));
  assert.deepEqual([doc.tests, doc.failures], ['4', '2']);
  const [suite] = doc.testsuite;
  assert.deepEqual([suite.name, suite.tests, suite.failures], ['loadlens.shop', '4', '2']);
  assert.deepEqual(suite.properties.property.map((p) => [p.name, p.value]), [['file', '/w/shop.load.ts'], ['model', 'open'], ['status', 'completed']]);
  assert.deepEqual(suite.testcase.map((c) => [c.classname, c.name, c.failure !== undefined]), [
    ['loadlens.shop.thresholds', 'http_req_duration: p(95) < 200', true],
    ['loadlens.shop.thresholds', 'http_req_failed: rate < 0.01', false],
    ['loadlens.shop.checks', 'status is 200', true],
    ['loadlens.shop.checks', 'body ok', false],
  ]);
  const [p95, failed, check, ok] = suite.testcase;
  assert.deepEqual([p95.failure!.type, p95.failure!.message], ['threshold', "observed 212 ms; threshold 'p(95) < 200' failed"]);
  assert.equal(failed['system-out'], 'observed 0.25%');
  assert.deepEqual([check.failure!.type, check.failure!.message], ['check', '50 of 19,800 failed (19,750 passed)']);
  assert.equal(ok['system-out'], '19,800 of 19,800 passed');
});

test('JUnit: a run that did not complete fails a "run completed" case; several scenarios are several suites', () => {
  const doc = parse(junitXml([summary({ scenario: 'a', thresholds: [], checks: [] }), summary({ scenario: 'b', state: { testRunDurationMs: 3000, status: 'cancelled' }, thresholds: [], checks: [] })]));
  assert.deepEqual(doc.testsuite.map((s) => [s.name, s.tests, s.failures]), [['loadlens.a', '0', '0'], ['loadlens.b', '1', '1']]);
  assert.deepEqual([doc.testsuite[1].testcase[0].name, doc.testsuite[1].testcase[0].failure!.message], ['run completed', 'the run ended cancelled']);
});

test('JUnit and Markdown stay well-formed whatever a check or scenario is named', () => {
  const hostile = 'a<b>&"c\' | *x* \x1b]0;t\x07 \ud800';
  const s = summary({ scenario: hostile, checks: [{ name: hostile, passes: 1, fails: 1 }] });
  const doc = parse(junitXml([s]));
  assert.equal(doc.testsuite[0].testcase[2].name, 'a<b>&"c\' | *x* \\x1b]0;t\\x07 \\ud800');
  const md = summaryMarkdown([s]);
  assert.ok(!md.includes('\x1b') && !md.includes('<b>'), md);
  const row = md.split('\n').find((l) => l.startsWith('| ❌ | a&lt;b&gt;'))!;
  // The name's pipe cannot split the table row: | ✅/❌ | name | passed | failed | has 5 unescaped pipes.
  assert.equal(row.split(/(?<!\\)\|/).length - 1, 5, row);
});

test('Markdown: verdict, headline figures, thresholds with observed values, checks, errors by kind', () => {
  const md = summaryMarkdown([summary()]);
  assert.match(md, /^### Loadlens: shop — ❌ 1 of 2 threshold\(s\) failed$/m);
  assert.match(md, /^\/w\/shop\.load\.ts · open model · completed in 12\.345s$/m);
  assert.match(md, /^\| req\/s \| requests \| failed \| p50 \| p95 \| p99 \| max \|$/m);
  assert.match(md, /^\| 1,980 \| 19,800 \| 0\.25% \| 12\.3 ms \| 212 ms \| 480 ms \| 900 ms \|$/m);
  assert.match(md, /^\| ❌ \| http\\_req\\_duration: p\(95\) &lt; 200 \| 212 ms \|$/m);
  assert.match(md, /^\| ✅ \| http\\_req\\_failed: rate &lt; 0\.01 \| 0\.25% \|$/m);
  assert.match(md, /^\| ❌ \| status is 200 \| 19,750 \| 50 \|$/m);
  assert.match(md, /^\| ECONNRESET \| 50 \|$/m);
  assert.match(summaryMarkdown([summary({ thresholds: [] })]), /— ✅ completed \(no thresholds\)/);
  assert.match(summaryMarkdown([summary({ state: { testRunDurationMs: 1, status: 'aborted' } })]), /— ⚠️ aborted/);
});

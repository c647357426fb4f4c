import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionsError } from '../../src/engine/errors';
import { evaluate, observe, parseThresholds, type ObservedMetric } from '../../src/engine/thresholds';

test('parses k6 threshold keys, expressions and options', () => {
  const parsed = parseThresholds({
    http_req_duration: ['p(95) < 200', 'p(99.9)<=300', 'avg<100', 'med>=1', 'min > 0', 'max != 5000'],
    'http_req_duration{name:items}': 'p(99) < 250',
    'http_req_duration{ status:200 , method:GET }': [{ threshold: 'max == 10', abortOnFail: true, delayAbortEval: '10s' }],
    http_req_failed: ['rate < 0.01'],
    http_reqs: ['count > 10', 'rate >= 100'],
    vus: ['value <= 50'],
    'checks{check:status is 200}': ['rate > 0.99'],
    my_custom: ['p(90) < 1e3', 'count === 4'],
  });
  assert.equal(parsed.length, 15);
  const [p95, p999] = parsed;
  assert.deepEqual(
    { key: p95.key, metric: p95.metric, filter: p95.filter, expression: p95.expression, aggregation: p95.aggregation, op: p95.op, bound: p95.bound, abortOnFail: p95.abortOnFail, delay: p95.delayAbortEvalMs, field: p95.field },
    { key: 'http_req_duration', metric: 'http_req_duration', filter: {}, expression: 'p(95) < 200', aggregation: { name: 'p', percentile: 95 }, op: '<', bound: 200, abortOnFail: false, delay: 0, field: 'thresholds["http_req_duration"][0]' },
  );
  assert.deepEqual(p999.aggregation, { name: 'p', percentile: 99.9 });
  assert.equal(p999.op, '<=');
  const items = parsed.find((t) => t.key === 'http_req_duration{name:items}')!;
  assert.deepEqual(items.filter, { name: 'items' });
  assert.equal(items.field, 'thresholds["http_req_duration{name:items}"]');
  const abort = parsed.find((t) => t.abortOnFail)!;
  assert.deepEqual(abort.filter, { status: '200', method: 'GET' });
  assert.equal(abort.delayAbortEvalMs, 10_000);
  assert.equal(abort.op, '==');
  assert.deepEqual(parsed.find((t) => t.metric === 'checks')!.filter, { check: 'status is 200' });
  assert.equal(parsed.filter((t) => t.metric === 'my_custom')[1].op, '==');
  assert.deepEqual(parseThresholds(undefined), []);
});

test('bad thresholds are OptionsErrors naming the field, the value and what is allowed', () => {
  const cases: Array<[Record<string, unknown>, string | RegExp]> = [
    [{ http_req_duration: ['p95 < 200'] }, /^thresholds\["http_req_duration"\]\[0\]: got "p95 < 200"; expected '<aggregation> <operator> <number>' such as 'p\(95\) < 200', with aggregation avg, min, med, max, p\(N\) for http_req_duration \(a trend\) and operator <, <=, >, >=, ==, !=$/],
    [{ http_req_duration: ['rate < 0.01'] }, 'thresholds["http_req_duration"][0]: got "rate < 0.01"; expected an aggregation valid for http_req_duration (a trend): avg, min, med, max, p(N)'],
    [{ http_req_failed: ['p(95) < 0.01'] }, /http_req_failed \(a rate\): rate$/],
    [{ http_reqs: ['avg > 3'] }, /\(a counter\): count, rate$/],
    [{ vus: ['p(50) < 3'] }, /\(a gauge\): value, min, max$/],
    [{ http_req_duration: ['p(101) < 5'] }, /p\(N\) with N between 0 and 100/],
    [{ http_req_duration: ['p(95) << 5'] }, /thresholds\["http_req_duration"\]\[0\]: got "p\(95\) << 5"/],
    [{ http_req_duration: ['p(95) < 200ms'] }, /got "p\(95\) < 200ms"/],
    [{ http_req_duration: ['p(95) <'] }, /got "p\(95\) <"/],
    [{ http_req_duration: 42 }, /^thresholds\["http_req_duration"\]: got 42; expected an expression string/],
    [{ http_req_duration: [{ threshold: 'p(9) < x' }] }, /^thresholds\["http_req_duration"\]\[0\]\.threshold: got "p\(9\) < x"/],
    [{ http_req_duration: [{ threshold: 'p(9) < 1', abortOnFail: 'yes' }] }, 'thresholds["http_req_duration"][0].abortOnFail: got "yes"; expected true or false'],
    [{ http_req_duration: [{ threshold: 'p(9) < 1', delayAbortEval: '10 sec' }] }, /^thresholds\["http_req_duration"\]\[0\]\.delayAbortEval: got "10 sec"; expected a duration/],
    [{ 'http-req-duration': ['p(9) < 1'] }, /^thresholds\["http-req-duration"\]: got "http-req-duration"; expected a metric name with optional tag filters/],
    [{ 'http_req_duration{name}': ['p(9) < 1'] }, /each filter is tag:value/],
    [{ 'http_req_duration{name:items': ['p(9) < 1'] }, /expected a metric name/],
  ];
  for (const [thresholds, message] of cases) {
    assert.throws(
      () => parseThresholds(thresholds as never),
      (e: unknown) => {
        assert.ok(e instanceof OptionsError, String(e));
        if (typeof message === 'string') assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      },
      JSON.stringify(thresholds),
    );
  }
  assert.throws(() => parseThresholds(['p(95)<1'] as never), { message: /^thresholds: got \["p\(95\)<1"\]; expected an object/ });
});

test('an unknown (custom) metric accepts any aggregation at parse time', () => {
  const [t] = parseThresholds({ my_trend: ['p(99) < 5'] });
  const asCounter: ObservedMetric = { kind: 'counter', count: 3, rate: 1 };
  assert.equal(observe(t, asCounter), null, 'a percentile of a counter cannot be observed');
  assert.equal(evaluate(t, observe(t, asCounter)), false);
});

test('the evaluator compares the right aggregation with each operator', () => {
  const trend: ObservedMetric = { kind: 'trend', count: 100, avg: 50, min: 1, max: 900, percentile: (p) => p * 2 };
  const check = (expr: string, data: ObservedMetric, observed: number | null, ok: boolean) => {
    const [t] = parseThresholds({ m: [expr] });
    assert.equal(observe(t, data), observed, expr);
    assert.equal(evaluate(t, observed), ok, expr);
  };
  check('p(95) < 200', trend, 190, true);
  check('p(95) < 190', trend, 190, false);
  check('p(95) <= 190', trend, 190, true);
  check('p(99.9) > 199', trend, 199.8, true);
  check('med == 100', trend, 100, true);
  check('avg != 50', trend, 50, false);
  check('min >= 1', trend, 1, true);
  check('max < 900', trend, 900, false);
  check('p(95) < 200', { ...trend, count: 0 }, null, false);
  check('count > 10', { kind: 'counter', count: 11, rate: 2.5 }, 11, true);
  check('rate > 3', { kind: 'counter', count: 11, rate: 2.5 }, 2.5, false);
  check('rate < 0.01', { kind: 'rate', passes: 1, fails: 199 }, 0.005, true);
  check('rate < 0.01', { kind: 'rate', passes: 2, fails: 198 }, 0.01, false);
  check('rate < 0.01', { kind: 'rate', passes: 0, fails: 0 }, null, false);
  check('value < 10', { kind: 'gauge', value: 9, min: 1, max: 20 }, 9, true);
  check('max < 10', { kind: 'gauge', value: 9, min: 1, max: 20 }, 20, false);
  check('p(50) < 10', undefined as never, null, false);
});

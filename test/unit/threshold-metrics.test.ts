// Threshold metric names checked before the run: built-ins, custom metrics created while the
// scenario module loads, suggestions for typos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionsError } from '../../src/engine/errors';
import { Counter, Gauge, Rate, Trend, collectDeclaredMetrics } from '../../src/engine/api';
import { UnknownMetricError, checkThresholds, closestName, editDistance } from '../../src/engine/thresholds';

test('edit distance counts insertions, deletions, substitutions and swapped neighbours', () => {
  assert.equal(editDistance('http_req_duraton', 'http_req_duration'), 1);
  assert.equal(editDistance('http_req_durtaion', 'http_req_duration'), 1);
  assert.equal(editDistance('http_reqs', 'http_reqs'), 0);
  assert.equal(editDistance('', 'abc'), 3);
});

test('the closest known name is suggested only when it is close', () => {
  const known = ['http_req_duration', 'http_reqs', 'checks', 'vus'];
  assert.equal(closestName('http_req_duraton', known), 'http_req_duration');
  assert.equal(closestName('HTTP_REQS', known), 'http_reqs');
  assert.equal(closestName('check', known), 'checks');
  assert.equal(closestName('orders_placed', known), undefined);
});

test('custom metrics created while a module loads are collected with their kinds', () => {
  const { value, metrics } = collectDeclaredMetrics(() => {
    new Trend('cart_ms', true);
    new Counter('orders');
    new Rate('cache_hit');
    new Gauge('queue');
    new Trend('orders');
    return 42;
  });
  assert.equal(value, 42);
  assert.deepEqual([...metrics], [['cart_ms', ['trend']], ['orders', ['counter', 'trend']], ['cache_hit', ['rate']], ['queue', ['gauge']]]);
  // Outside the collection (inside iteration, say) nothing is recorded anywhere.
  const later = collectDeclaredMetrics(() => undefined);
  new Counter('lazy');
  assert.equal(later.metrics.size, 0);
});

test('an unknown threshold metric is an OptionsError with the closest name', () => {
  assert.throws(
    () => checkThresholds({ http_req_duraton: ['p(95) < 200'] }, 'browse', new Map()),
    (err: unknown) => {
      assert.ok(err instanceof UnknownMetricError && err instanceof OptionsError);
      assert.equal(err.message, "thresholds: unknown metric 'http_req_duraton' in scenario browse; did you mean 'http_req_duration'?");
      assert.equal(err.key, 'http_req_duraton');
      return true;
    },
  );
  // Tag filters are not part of the name; a custom name close to the typo is suggested too.
  assert.throws(() => checkThresholds({ 'cart_to_ordr{name:x}': ['p(95) < 1'] }, 's', new Map([['cart_to_order', ['trend']]])), /did you mean 'cart_to_order'\?/);
  // Nothing close: the rule about custom metrics.
  assert.throws(() => checkThresholds({ orders_placed: ['count > 0'] }, 's', new Map()), /must be created when the module loads/);
});

test('known names pass, and a custom metric’s kind checks its aggregation before the run', () => {
  const custom = new Map([['cart_ms', ['trend' as const]], ['orders', ['counter' as const]], ['twice', ['counter' as const, 'trend' as const]]]);
  const parsed = checkThresholds({ http_req_duration: ['p(95) < 200'], cart_ms: 'p(99) < 5', orders: 'count > 1', twice: 'p(95) < 1' }, 's', custom);
  assert.equal(parsed.length, 4);
  assert.throws(() => checkThresholds({ orders: 'p(95) < 5' }, 's', custom), /an aggregation valid for orders \(a counter\): count, rate/);
  assert.deepEqual(checkThresholds(undefined, 's', custom), []);
});

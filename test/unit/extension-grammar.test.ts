// The injection grammar (syntaxes/loadlens.injection.json) highlights a string only when its whole
// content is a threshold expression or a duration, because it is injected into every TypeScript
// string (a grammar cannot select by file name). Its patterns are plain enough for JS RegExp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const grammar = JSON.parse(readFileSync('syntaxes/loadlens.injection.json', 'utf8'));
const threshold = new RegExp(grammar.repository.threshold.match);
const duration = new RegExp(grammar.repository.duration.match);

test('the grammar injects into TypeScript strings and includes both rules', () => {
  assert.equal(grammar.scopeName, 'loadlens.injection');
  assert.match(grammar.injectionSelector, /^L:source\.ts string\.quoted/);
  assert.deepEqual(grammar.patterns, [{ include: '#threshold' }, { include: '#duration' }]);
});

test('threshold expressions: aggregation, operator and value captured', () => {
  for (const [src, agg, op, value] of [
    ["'p(99) < 250'", 'p(99)', '<', '250'], ['"rate<0.01"', 'rate', '<', '0.01'], ["'p(99.9) <= 1e3'", 'p(99.9)', '<=', '1e3'],
    ['`count > 10`', 'count', '>', '10'], ["'avg == 3'", 'avg', '==', '3'], ["'med>=-1'", 'med', '>=', '-1'],
  ]) {
    const m = threshold.exec(src);
    assert.ok(m, src);
    assert.deepEqual([m[1], m[2], m[3]], [agg, op, value], src);
  }
  for (const src of ["'p(99) < 250 ms'", "'the rate < 0.01'", "'p(99)'", 'p(99) < 250']) assert.equal(threshold.exec(src), null, src);
});

test('durations: whole-string durations only', () => {
  for (const src of ["'30s'", "'250ms'", "'1h30m'", '"1.5s"', '`2m`']) assert.ok(duration.exec(src), src);
  for (const src of ["'30 s'", "'wait 30s'", "'30seconds'", "'s'", '30s']) assert.equal(duration.exec(src), null, src);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../src/engine/duration';
import { OptionsError } from '../../src/engine/errors';

test('parseDuration reads the units users write', () => {
  assert.equal(parseDuration('30s', 'load.duration'), 30_000);
  assert.equal(parseDuration('2m', 'load.duration'), 120_000);
  assert.equal(parseDuration('250ms', 'load.duration'), 250);
  assert.equal(parseDuration('1h30m', 'load.duration'), 5_400_000);
  assert.equal(parseDuration('1.5s', 'load.duration'), 1500);
  assert.equal(parseDuration('1m30s500ms', 'load.duration'), 90_500);
  assert.equal(parseDuration(' 10s ', 'load.duration'), 10_000);
});

test('a bare number is seconds, as in k6: sleep(1) is one second, not one millisecond', () => {
  assert.equal(parseDuration(1, 'sleep()'), 1000);
  assert.equal(parseDuration(30, 'load.duration'), 30_000);
  assert.equal(parseDuration(0.25, 'load.duration'), 250);
  assert.equal(parseDuration(0.1, 'timeout'), 100);
  assert.equal(parseDuration(1.5, 'load.stages[0].over'), 1500);
  assert.equal(parseDuration(0.0005, 'x'), 0.5);
  assert.equal(parseDuration('5', '--duration'), 5000);
  assert.equal(parseDuration(' 1.5 ', '--duration'), 1500);
  assert.equal(parseDuration('.5', '--duration'), 500);
  assert.equal(parseDuration(0, 'load.gracefulStop'), 0);
  assert.equal(parseDuration('500us', 'x'), 0.5);
});

test('parseDuration rejects bad input, naming the field, the value and what is allowed', () => {
  for (const bad of ['', 'ten seconds', '10 s', '5x', 's', '-5s', '1.2.3s', '10s5', -1, NaN, Infinity, null, {}, true]) {
    assert.throws(
      () => parseDuration(bad as never, 'load.duration'),
      (e: unknown) => {
        assert.ok(e instanceof OptionsError, `expected OptionsError for ${String(bad)}`);
        assert.equal(e.field, 'load.duration');
        assert.match(e.message, /^load\.duration: got .+; expected a duration such as '30s'/);
        return true;
      },
    );
  }
  assert.throws(() => parseDuration('5x', 'load.stages[1].over'), { message: `load.stages[1].over: got "5x"; expected a duration such as '30s', '2m', '250ms', '1h30m', '1.5s' or a number of seconds (>= 0)` });
});

test('formatDuration gives the short human form', () => {
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(0), '0ms');
  assert.equal(formatDuration(0.5), '0.5ms');
  assert.equal(formatDuration(1000), '1s');
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(120_000), '2m');
  assert.equal(formatDuration(3_600_000), '1h');
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(3_605_000), '1h0m5s');
  for (const ms of [250, 1500, 90_000, 5_400_000, 3_605_000]) assert.equal(parseDuration(formatDuration(ms), 'x'), ms);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantArrivals, rampArrivals, vuSteps, peakVUs } from '../../src/engine/schedule';

test('constant rate: iteration k is due at k/rate and the count is exact', () => {
  const s = constantArrivals(1000 / 1000, 10_000); // 1000/s for 10 s
  assert.equal(s.total, 10_000);
  assert.equal(s.dueAt(0), 0);
  assert.equal(s.dueAt(1), 1);
  assert.equal(s.dueAt(9999), 9999);
  assert.equal(s.countDueBy(-1), 0);
  assert.equal(s.countDueBy(0), 1);
  assert.equal(s.countDueBy(0.999), 1);
  assert.equal(s.countDueBy(1), 2);
  assert.equal(s.countDueBy(20_000), 10_000);
  // A rate that does not divide the duration: due times strictly before the end.
  const odd = constantArrivals(3 / 1000, 1000); // 3/s for 1 s: 0, 333.3, 666.7
  assert.equal(odd.total, 3);
  assert.ok(odd.dueAt(2) < 1000);
  assert.equal(constantArrivals(2.5 / 1000, 1000).total, 3); // 0, 400, 800
});

test('ramp: the total equals the integral of the rate and due times follow the quadratic', () => {
  // 0 → 5000/s over 20 s, then held for 10 s: 50,000 + 50,000 iterations.
  const s = rampArrivals(0, [{ toPerMs: 5, overMs: 20_000 }, { toPerMs: 5, overMs: 10_000 }]);
  assert.equal(s.total, 100_000);
  assert.equal(s.durationMs, 30_000);
  // A(t) = 5/20000 * t² / 2 in the ramp: iteration k is due at sqrt(2k * 20000 / 5).
  for (const k of [1, 10, 1000, 49_999]) assert.ok(Math.abs(s.dueAt(k) - Math.sqrt((2 * k * 20_000) / 5)) < 1e-6, `k=${k}`);
  // In the held part: 50,000 by 20 s, then 5 per ms.
  assert.ok(Math.abs(s.dueAt(50_000) - 20_000) < 1e-6);
  assert.ok(Math.abs(s.dueAt(75_000) - 25_000) < 1e-6);
  assert.ok(s.dueAt(99_999) < 30_000);
  // Every second of the ramp gets exactly the integral of its rate.
  for (let sec = 0; sec < 30; sec++) {
    const got = s.countDueBy(sec * 1000 + 999.9999) - s.countDueBy(sec * 1000 - 1e-7);
    const a = (t: number) => (t <= 20_000 ? (5 / 20_000) * t * t / 2 : 50_000 + 5 * (t - 20_000));
    const planned = a((sec + 1) * 1000) - a(sec * 1000);
    assert.ok(Math.abs(got - planned) <= 1, `second ${sec}: ${got} vs ${planned}`);
  }
  // Due times are increasing and consistent with countDueBy.
  let prev = -1;
  for (let k = 0; k < s.total; k += 97) {
    const t = s.dueAt(k);
    assert.ok(t >= prev);
    assert.ok(s.countDueBy(t) >= k + 1);
    prev = t;
  }
});

test('ramp down and a start rate give exact totals', () => {
  const s = rampArrivals(0.1, [{ toPerMs: 0.3, overMs: 10_000 }, { toPerMs: 0, overMs: 5_000 }]);
  // (0.1 + 0.3) / 2 * 10000 + 0.3 / 2 * 5000 = 2000 + 750
  assert.equal(s.total, 2750);
  assert.ok(s.dueAt(2749) < 15_000);
  assert.equal(s.countDueBy(15_000), 2750);
  // Zero rate: nothing.
  assert.equal(rampArrivals(0, [{ toPerMs: 0, overMs: 1000 }]).total, 0);
});

test('VU ramp steps: VU v starts when the target reaches v and stops when it reaches v - 1', () => {
  const steps = vuSteps(0, [{ to: 4, overMs: 4000 }, { to: 4, overMs: 1000 }, { to: 0, overMs: 4000 }]);
  assert.deepEqual(steps, [
    { atMs: 0, vus: 0 },
    { atMs: 1000, vus: 1 },
    { atMs: 2000, vus: 2 },
    { atMs: 3000, vus: 3 },
    { atMs: 4000, vus: 4 },
    { atMs: 6000, vus: 3 },
    { atMs: 7000, vus: 2 },
    { atMs: 8000, vus: 1 },
    { atMs: 9000, vus: 0 },
  ]);
  assert.equal(peakVUs(steps), 4);
  // k6's default start of 1 VU, and an instant jump.
  assert.deepEqual(vuSteps(1, [{ to: 5, overMs: 0 }, { to: 5, overMs: 1000 }]), [{ atMs: 0, vus: 5 }]);
});

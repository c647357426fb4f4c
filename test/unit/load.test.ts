import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNormalLoad, normaliseLoad, planOf, validateScenario } from '../../src/engine/load';
import { arrivalSchedule } from '../../src/engine/schedule';
import { resolveLoad } from '../../src/engine/run';
import { OptionsError } from '../../src/engine/errors';

function optionsError(fn: () => unknown, field: string, allowed: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OptionsError, `expected OptionsError, got ${err}`);
    assert.equal(err.field, field);
    assert.match(err.allowed, allowed);
    return true;
  });
}

test('each load shape normalises, with k6 defaults', () => {
  const c = normaliseLoad({ vus: 5, duration: '30s' });
  assert.deepEqual(c, { model: 'closed', kind: 'constant-vus', vus: 5, durationMs: 30_000, gracefulStopMs: 30_000 });
  const s = normaliseLoad({ vus: 2, iterations: 10, gracefulStop: '1s' });
  assert.equal(s.kind, 'shared-iterations');
  assert.equal(s.kind === 'shared-iterations' && s.maxDurationMs, 600_000);
  assert.equal(s.gracefulStopMs, 1000);
  const r = normaliseLoad({ stages: [{ to: 10, over: '10s' }, { to: 0, over: '5s' }], by: 'vus' });
  assert.equal(r.kind === 'ramping-vus' && r.peakVUs, 10);
  const o = normaliseLoad({ rate: 200, duration: '30s', maxVUs: 50 });
  assert.equal(o.kind === 'arrival-rate' && arrivalSchedule(o.arrivals).total, 6000);
  assert.equal(o.kind === 'arrival-rate' && o.whenBusy, 'queue');
  const per = normaliseLoad({ rate: 60, timeUnit: '1m', duration: '2m', maxVUs: 5, whenBusy: 'drop' });
  assert.equal(per.kind === 'arrival-rate' && arrivalSchedule(per.arrivals).total, 120);
  const ramp = normaliseLoad({ stages: [{ to: 100, over: '10s' }], by: 'rate', maxVUs: 20 });
  assert.equal(ramp.kind === 'arrival-rate' && arrivalSchedule(ramp.arrivals).total, 500);
});

test('bare numbers in a load are seconds: duration, stage over, gracefulStop, timeUnit, maxDuration, --duration', () => {
  assert.deepEqual(normaliseLoad({ vus: 5, duration: 30, gracefulStop: 2 }), { model: 'closed', kind: 'constant-vus', vus: 5, durationMs: 30_000, gracefulStopMs: 2000 });
  const r = normaliseLoad({ stages: [{ to: 10, over: 10 }, { to: 0, over: 5 }], by: 'vus' });
  assert.equal(r.kind === 'ramping-vus' && r.durationMs, 15_000);
  const per = normaliseLoad({ rate: 60, timeUnit: 60, duration: 120, maxVUs: 5 });
  assert.equal(per.kind === 'arrival-rate' && arrivalSchedule(per.arrivals).total, 120);
  const s = normaliseLoad({ vus: 2, iterations: 10, maxDuration: 90 });
  assert.equal(s.kind === 'shared-iterations' && s.maxDurationMs, 90_000);
  const ov = normaliseLoad({ vus: 5, duration: '30s' }, { duration: '5' });
  assert.equal(ov.kind === 'constant-vus' && ov.durationMs, 5000);
  assert.equal(planOf('x', { load: { vus: 1, duration: 90 } }).shape, '1 VU for 1m30s');
});

test('overrides: vus, duration, rate, iterations', () => {
  assert.deepEqual(normaliseLoad({ vus: 5, duration: '30s' }, { vus: 2, duration: '3s' }), {
    model: 'closed', kind: 'constant-vus', vus: 2, durationMs: 3000, gracefulStopMs: 30_000,
  });
  const it = normaliseLoad({ vus: 5, duration: '30s' }, { iterations: 7 });
  assert.equal(it.kind, 'shared-iterations');
  const o = normaliseLoad({ rate: 200, duration: '30s', maxVUs: 50 }, { rate: 10, duration: '2s', vus: 3 });
  assert.equal(o.kind === 'arrival-rate' && arrivalSchedule(o.arrivals).total, 20);
  assert.equal(o.kind === 'arrival-rate' && o.maxVUs, 3);
  // A ramp keeps its shape: stretched to the duration, scaled to the peak rate.
  const ramp = normaliseLoad({ stages: [{ to: 100, over: '10s' }, { to: 100, over: '10s' }], by: 'rate', maxVUs: 20 }, { duration: '2s', rate: 10 });
  assert.equal(ramp.kind === 'arrival-rate' && ramp.durationMs, 2000);
  assert.equal(ramp.kind === 'arrival-rate' && arrivalSchedule(ramp.arrivals).total, 15); // 0→10/s over 1 s, then 10/s for 1 s
  optionsError(() => normaliseLoad({ vus: 1, duration: '1s' }, { rate: 5 }), '--rate', /open-model/);
  optionsError(() => normaliseLoad({ rate: 1, duration: '1s', maxVUs: 1 }, { iterations: 5 }), '--iterations', /closed-model/);
  optionsError(() => normaliseLoad({ vus: 1, duration: '1s' }, { duration: 'soon' }), '--duration', /duration/);
});

test('bad load shapes name the field, the value and what is allowed', () => {
  optionsError(() => normaliseLoad(undefined), 'load', /\{ vus, duration \}/);
  optionsError(() => normaliseLoad({ duration: '1s' }), 'load', /\{ rate, duration, maxVUs \}/);
  optionsError(() => normaliseLoad({ vus: 0, duration: '1s' }), 'load.vus', /whole number >= 1/);
  optionsError(() => normaliseLoad({ vus: 2.5, duration: '1s' }), 'load.vus', /whole number/);
  optionsError(() => normaliseLoad({ vus: 2, duration: 'forever' }), 'load.duration', /duration/);
  optionsError(() => normaliseLoad({ vus: 2, duration: '1s', duraton: '2s' } as never), 'load.duraton', /only the fields vus, duration, gracefulStop/);
  optionsError(() => normaliseLoad({ rate: -5, duration: '1s', maxVUs: 1 }), 'load.rate', /rate > 0/);
  optionsError(() => normaliseLoad({ rate: 5, duration: '1s' } as never), 'load.maxVUs', /whole number/);
  optionsError(() => normaliseLoad({ rate: 5, duration: '1s', maxVUs: 1, whenBusy: 'wait' } as never), 'load.whenBusy', /'queue'.*'drop'/);
  optionsError(() => normaliseLoad({ stages: [], by: 'vus' }), 'load.stages', /non-empty array/);
  optionsError(() => normaliseLoad({ stages: [{ to: 5, over: '1s' }] } as never), 'load.by', /'vus'.*'rate'/);
  optionsError(() => normaliseLoad({ stages: [{ to: 5, over: 'x' }], by: 'vus' }), 'load.stages[0].over', /duration/);
  optionsError(() => normaliseLoad({ stages: [{ to: -1, over: '1s' }], by: 'rate', maxVUs: 1 }), 'load.stages[0].to', /rate >= 0/);
  const err = (() => {
    try {
      normaliseLoad({ vus: -3, duration: '1s' });
    } catch (e) {
      return e as Error;
    }
  })();
  assert.equal(err?.message, 'load.vus: got -3; expected a whole number >= 1');
});

test('scenario fields are checked too', () => {
  const ok = { load: { vus: 1, duration: '1s' }, iteration() {}, __loadlensScenario: true };
  validateScenario(ok);
  optionsError(() => validateScenario({ ...ok, iteration: undefined }), 'iteration', /a function/);
  optionsError(() => validateScenario({ ...ok, target: 'localhost:8080' }), 'target', /http:\/\//);
  optionsError(() => validateScenario({ ...ok, http: { connections: 0 } }), 'http.connections', /whole number/);
  optionsError(() => validateScenario({ ...ok, tags: { a: 1 } }), 'tags', /string values/);
});

test('planOf describes the load for lists and live views', () => {
  assert.deepEqual(planOf('browse', { load: { rate: 200, duration: '30s', maxVUs: 500 } }), {
    scenario: 'browse', model: 'open', shape: '200 it/s for 30s (max 500 VUs)', plannedMs: 30_000, maxVUs: 500,
  });
  assert.equal(planOf('a', { load: { vus: 10, duration: '1m' } }).shape, '10 VUs for 1m');
  assert.equal(planOf('a', { load: { stages: [{ to: 50, over: '30s' }, { to: 0, over: '10s' }], by: 'vus' } }).shape, 'VUs 1 → 50 → 0 over 40s');
  assert.equal(planOf('a', { load: { stages: [{ to: 500, over: '30s' }], by: 'rate', maxVUs: 100 } }).shape, '0 → 500 it/s over 30s (max 100 VUs)');
  assert.equal(planOf('a', { load: { vus: 3, iterations: 30 } }).shape, '30 iterations shared by 3 VUs (max 10m)');
});

test('a resolved load is plain data: after JSON (a worker message, a cluster plan) it plans the same iterations', () => {
  const shapes: unknown[] = [
    { vus: 3, duration: '2s' },
    { vus: 2, iterations: 7 },
    { vus: 2, iterationsPerVU: 4 },
    { stages: [{ to: 5, over: '1s' }, { to: 0, over: '1s' }], by: 'vus' },
    { rate: 120, duration: '3s', maxVUs: 10, whenBusy: 'drop' },
    { stages: [{ to: 40, over: '2s' }, { to: 10, over: '1s' }], by: 'rate', startRate: 5, maxVUs: 20, timeUnit: '500ms' },
  ];
  for (const shape of shapes) {
    const load = resolveLoad(shape, { overrides: { duration: '4s' } });
    const copy: unknown = JSON.parse(JSON.stringify(load));
    assert.ok(isNormalLoad(copy), JSON.stringify(shape));
    assert.deepEqual(copy, load);
    if (load.kind === 'arrival-rate' && copy.kind === 'arrival-rate') {
      const a = arrivalSchedule(load.arrivals);
      const b = arrivalSchedule(copy.arrivals);
      assert.equal(b.total, a.total);
      for (let k = 0; k < a.total; k += 7) assert.equal(b.dueAt(k), a.dueAt(k));
    }
  }
  // A debug run's load travels the same way.
  assert.ok(isNormalLoad(JSON.parse(JSON.stringify(resolveLoad({ rate: 5, duration: '1s', maxVUs: 1 }, { debug: { iterations: 2 } })))));
});

test('isNormalLoad refuses a torn or foreign load', () => {
  const open = resolveLoad({ rate: 10, duration: '1s', maxVUs: 2 }, {});
  for (const bad of [
    null, 'load', {}, { model: 'closed', kind: 'constant-vus', vus: 2 },
    { model: 'open', kind: 'constant-vus', vus: 2, durationMs: 1000, gracefulStopMs: 0 },
    { ...open, arrivals: { kind: 'constant', perMs: 'fast', durationMs: 1000 } },
    { ...open, whenBusy: 'sometimes' },
    { ...open, maxVUs: -1 },
    { model: 'closed', kind: 'ramping-vus', peakVUs: 2, durationMs: 1, gracefulStopMs: 0, startVUs: 0, targets: [2], steps: 'x' },
  ]) assert.equal(isNormalLoad(bad), false, JSON.stringify(bad));
});

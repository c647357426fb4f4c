import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executionSegment, equalSegment, parseRational, segmentsOf } from '../../src/engine/segments';
import { constantArrivals } from '../../src/engine/schedule';
import { OptionsError } from '../../src/engine/errors';

const SEQUENCES = ['0,1/3,2/3,1', '0,1/2,3/4,1', '0,3/5,14/15,1', '0,1/4,1/2,3/4,1', '0,1/7,1/2,1', '0,25%,1'];

test('every index of a period is owned by exactly one segment', () => {
  for (const seq of SEQUENCES) {
    const segs = segmentsOf(seq);
    const lcd = segs[0].lcd;
    for (let i = 0; i < 3 * lcd; i++) {
      assert.equal(segs.filter((s) => s.owned(i)).length, 1, `${seq} index ${i}`);
    }
  }
});

test('scaleInt sums to the value, is monotone and matches the owned indexes', () => {
  for (const seq of SEQUENCES) {
    const segs = segmentsOf(seq);
    const prev = segs.map(() => 0);
    for (let v = 0; v <= 2000; v++) {
      let sum = 0;
      segs.forEach((s, i) => {
        const share = s.scaleInt(v);
        assert.ok(share >= prev[i], `${seq} not monotone at ${v}`);
        prev[i] = share;
        sum += share;
      });
      assert.equal(sum, v, `${seq} v=${v}`);
    }
    for (const s of segs) {
      assert.equal([...s.ownedIndexes(500)].length, s.scaleInt(500));
      assert.ok([...s.ownedIndexes(500)].every((g) => s.owned(g)));
    }
  }
});

test('the known striping and shares', () => {
  const [a, b, c] = segmentsOf('0,1/2,3/4,1');
  assert.deepEqual([...a.ownedIndexes(12)], [0, 2, 4, 6, 8, 10]);
  assert.deepEqual([...b.ownedIndexes(12)], [1, 5, 9]);
  assert.deepEqual([...c.ownedIndexes(12)], [3, 7, 11]);
  assert.deepEqual([a, b, c].map((s) => s.scaleInt(10)), [5, 3, 2]);
  assert.deepEqual(segmentsOf('0,1/7,1/2,1').map((s) => s.scaleInt(10)), [1, 4, 5]);
});

test('the union of per-segment arrival schedules is the whole schedule', () => {
  const whole = constantArrivals(0.7, 1000); // 700 arrivals
  for (const seq of SEQUENCES) {
    const due: number[] = [];
    for (const s of segmentsOf(seq)) {
      const own = s.scaleInt(whole.total);
      for (let local = 0; local < own; local++) due.push(whole.dueAt(s.globalIndex(local)));
    }
    due.sort((x, y) => x - y);
    assert.equal(due.length, whole.total);
    due.forEach((t, k) => assert.equal(t, whole.dueAt(k)));
  }
});

test('parsing segments and sequences', () => {
  const s = executionSegment('1/3:2/3', '0,1/3,2/3,1');
  assert.equal(s.index, 1);
  assert.equal(s.toString(), '1/3:2/3');
  assert.equal(s.sequenceString(), '0,1/3,2/3,1');
  assert.equal(executionSegment('25%').toString(), '0:1/4');
  assert.deepEqual(parseRational('0.5'), { num: 1, den: 2 });
  assert.equal(equalSegment(2, 3).toString(), '2/3:1');
  assert.throws(() => executionSegment('2/3:1/3'), OptionsError);
  assert.throws(() => executionSegment('1/4:1/2', '0,1/3,2/3,1'), /consecutive cut points/);
  assert.throws(() => parseRational('3/2'), /fraction between 0 and 1/);
  assert.throws(() => segmentsOf('0,1/2,1/3,1'), /strictly increasing/);
});

test('shared iterations follow the VUs: a segment without VUs gets no iteration', () => {
  const segs = segmentsOf('0,1/3,2/3,1');
  // 2 VUs over 3 segments: one segment owns no VU.
  const vus = segs.map((s) => s.scaleInt(2));
  assert.equal(vus.filter((v) => v === 0).length, 1);
  const iters = segs.map((s) => s.resegmentBy(2)?.scaleInt(101) ?? 0);
  assert.equal(iters.reduce((a, b) => a + b, 0), 101);
  vus.forEach((v, i) => assert.equal(v === 0, iters[i] === 0));
  // The owned global iteration indexes partition 0..100.
  const all = segs.flatMap((s) => {
    const r = s.resegmentBy(2);
    return r ? [...r.ownedIndexes(101)] : [];
  });
  assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: 101 }, (_, i) => i));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { formatCount, formatMs, groupedInteger } from '../../src/presentation/format';

test('groupedInteger groups as Intl.NumberFormat en-US does (the reference), without loading it', () => {
  const intl = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const values = [0, 0.4, 0.5, 1, 9.5, 99.49, 999, 999.5, 1000, 1982.4, 12_345.5, 999_999, 1_000_000, 123_456_789.7, 2 ** 40, -1, -1234.4, -999_999.2];
  for (let k = 0; k < 200; k++) values.push(Math.floor(((k * 7919) % 100_003) ** 1.5) + (k % 10) / 10);
  for (const n of values) assert.equal(groupedInteger(n), intl.format(n), String(n));
  assert.equal(formatCount(1982.4), '1,982');
  assert.equal(formatMs(1204.3), '1,204 ms');
});

test('the presentation module never creates an Intl.NumberFormat (its first use costs 30-40 ms and ~7 MB in every process)', () => {
  const script = `
    let made = 0;
    const Real = Intl.NumberFormat;
    Intl.NumberFormat = function (...args) { made++; return new Real(...args); };
    const format = require(${JSON.stringify(require.resolve('../../src/presentation/format'))});
    require(${JSON.stringify(require.resolve('../../src/presentation/summary-text'))});
    const shown = [format.formatCount(1982.4), format.formatMs(1204.3), format.groupedInteger(-1234567)];
    console.log(JSON.stringify({ made, shown }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { made: 0, shown: ['1,982', '1,204 ms', '-1,234,567'] });
});

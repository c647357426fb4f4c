import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csv, json, withDataFolder, DataFileError, DataExhaustedError } from '../../src/engine/data';
import type { IterationContext } from '../../src/engine/types';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-data-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const ctx = (iterationInScenario: number, id = 1) => ({ vu: { id, iteration: 0, iterationInScenario } }) as IterationContext<unknown>;

test('csv: a header row, quoted fields with separators, quotes and newlines, a BOM; rows are shared read-only', () => {
  const dir = folder({ 'users.csv': '\uFEFFuser,note\nann,"a, b"\nbob,"say ""hi"""\ncid,"two\nlines"\n' });
  try {
    const rows = withDataFolder(dir, () => csv('users.csv'));
    assert.deepEqual([...rows], [
      { user: 'ann', note: 'a, b' },
      { user: 'bob', note: 'say "hi"' },
      { user: 'cid', note: 'two\nlines' },
    ]);
    // Shared read-only: each read is a fresh row, so an iteration that edits one changes nothing shared.
    (rows[0] as Record<string, string>).user = 'changed';
    assert.equal(rows[0].user, 'ann');
    assert.throws(() => ((rows as unknown as { length: number }).length = 0), TypeError);
    // Read once per process: a second load (another module instance) shares the same rows.
    assert.equal(withDataFolder(dir, () => csv('users.csv')), rows);
    assert.equal(withDataFolder(dir, () => csv(join(dir, 'users.csv'))), rows);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('csv: another delimiter', () => {
  const dir = folder({ 'p.tsv': 'id\tname\n1\tx\n' });
  try {
    assert.deepEqual([...withDataFolder(dir, () => csv('p.tsv', { delimiter: '\t' }))], [{ id: '1', name: 'x' }]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a broken CSV row is reported with the file and its line', () => {
  const dir = folder({ 'bad.csv': 'a,b\n1,2\n3,4\n5\n6,7\n', 'quote.csv': 'a,b\n1,"x"y\n' });
  try {
    assert.throws(() => withDataFolder(dir, () => csv('bad.csv')), (e: Error) => {
      assert.ok(e instanceof DataFileError);
      assert.match(e.message, new RegExp(`^${join(dir, 'bad.csv').replace(/[/.]/g, '\\$&')}:4: a row with the wrong number of fields`));
      return true;
    });
    assert.throws(() => withDataFolder(dir, () => csv('quote.csv')), /quote\.csv:2: Invalid Closing Quote/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('json: an array of rows; a syntax error names file and line; a non-array is refused', () => {
  const dir = folder({ 'ok.json': '[{"sku":"a"},{"sku":"b"}]', 'bad.json': '[\n {"a": 1}\n {"a": 2}\n]', 'obj.json': '{"a":1}' });
  try {
    assert.deepEqual([...withDataFolder(dir, () => json<{ sku: string }>('ok.json'))].map((r) => r.sku), ['a', 'b']);
    assert.throws(() => withDataFolder(dir, () => json('bad.json')), /bad\.json:3: not valid JSON/);
    assert.throws(() => withDataFolder(dir, () => json('obj.json')), /obj\.json: expected a JSON array of rows at the top level, got object/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a missing file names the resolved path; reading outside init code is refused', () => {
  const dir = folder({ 'a.csv': 'x\n1\n' });
  try {
    assert.throws(() => withDataFolder(dir, () => csv('nope.csv')), (e: Error) => e instanceof DataFileError && e.message.startsWith(`${join(dir, 'nope.csv')}: no such file`));
    assert.throws(() => csv('a.csv'), /read data files at the top level of the scenario file/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('unique() hands out each row once and then fails the iteration; cycle() wraps; perVU() follows the VU id', () => {
  const dir = folder({ 'ids.csv': 'id\n0\n1\n2\n' });
  try {
    const rows = withDataFolder(dir, () => csv<{ id: string }>('ids.csv'));
    assert.deepEqual([0, 1, 2].map((i) => rows.unique(ctx(i)).id), ['0', '1', '2']);
    assert.throws(() => rows.unique(ctx(3)), (e: Error) => e instanceof DataExhaustedError && /iteration 3 needs a unique row, but the file has 3/.test(e.message));
    assert.deepEqual([3, 4, 7].map((i) => rows.cycle(ctx(i)).id), ['0', '1', '1']);
    assert.deepEqual([1, 2, 3, 4].map((id) => rows.perVU(ctx(0, id)).id), ['0', '1', '2', '0']);
    for (let i = 0; i < 20; i++) assert.ok(['0', '1', '2'].includes(rows.random().id));
    assert.deepEqual([rows[0], rows[2], rows[3], rows.length], [{ id: '0' }, { id: '2' }, undefined, 3]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

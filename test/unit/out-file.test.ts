// The output files' owner: parent folders created level by level, nothing truncated before the
// first write, failures reported instead of thrown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputFile, OutputPathError, Outputs, endOfRunFiles } from '../../src/runner/out-file';

let tmp: string;
before(() => (tmp = mkdtempSync(join(tmpdir(), 'loadlens-outfile-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

const noProblem = (m: string): void => assert.fail(`unexpected problem: ${m}`);

test('opening creates missing folders; the first write replaces the old content', () => {
  const path = join(tmp, 'x', 'y', 'out.txt');
  const f = OutputFile.open({ flag: '--out', path }, noProblem);
  f.write('one\n');
  f.write('two\n');
  f.close();
  assert.equal(readFileSync(path, 'utf8'), 'one\ntwo\n');

  writeFileSync(path, 'a long previous content\n');
  const g = OutputFile.open({ flag: '--out', path }, noProblem);
  assert.equal(readFileSync(path, 'utf8'), 'a long previous content\n', 'not truncated by opening');
  g.write('new\n');
  g.close();
  assert.equal(readFileSync(path, 'utf8'), 'new\n');
});

test('a file the run created and never wrote is removed; an old one is left as it was', () => {
  const fresh = join(tmp, 'fresh.json');
  OutputFile.open({ flag: '--summary-export', path: fresh }, noProblem).close();
  assert.equal(existsSync(fresh), false);
  const old = join(tmp, 'old.json');
  writeFileSync(old, '{"old":true}\n');
  OutputFile.open({ flag: '--summary-export', path: old }, noProblem).close();
  assert.equal(readFileSync(old, 'utf8'), '{"old":true}\n');
});

test('bad paths throw OutputPathError naming the option, the path and why', () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, '');
  assert.throws(() => OutputFile.open({ flag: '--out', path: join(file, 'x.jsonl') }, noProblem), (err: unknown) => {
    assert.ok(err instanceof OutputPathError);
    assert.equal(err.message, `--out ${join(file, 'x.jsonl')}: ${file} is a file, not a folder`);
    return true;
  });
  assert.throws(() => OutputFile.open({ flag: '--out', path: tmp }, noProblem), /it is a folder, not a file/);
  if (process.platform === 'linux') {
    assert.throws(() => OutputFile.open({ flag: '--summary-export', path: '/proc/x/y/s.json' }, noProblem), /cannot create the folder \/proc\/x: this file system does not allow creating folders in \/proc/);
  }
});

test('Outputs: two options on one file are refused, and what was opened is closed again', () => {
  const path = join(tmp, 'same.json');
  assert.throws(() => Outputs.open([{ flag: '--out', path }, { flag: '--summary-export', path }], noProblem), /--summary-export .*same\.json: --out writes the same file/);
  assert.equal(existsSync(path), false);
});

test('a failing write is reported once and never thrown', { skip: !existsSync('/dev/full') && 'needs /dev/full' }, () => {
  const problems: string[] = [];
  const f = OutputFile.open({ flag: '--out', path: '/dev/full' }, (m) => problems.push(m));
  f.write('a\n');
  f.write('b\n');
  f.close();
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^--out \/dev\/full: could not write: no space left on device \(ENOSPC\)/);
});

test('a file deleted while open is reported at close', () => {
  const path = join(tmp, 'gone', 'out.jsonl');
  const problems: string[] = [];
  const f = OutputFile.open({ flag: '--out', path }, (m) => problems.push(m));
  f.write('kept in a deleted file\n');
  rmSync(join(tmp, 'gone'), { recursive: true });
  f.close();
  assert.equal(problems.length, 1);
  assert.match(problems[0], /the file was deleted during the run/);
});

test('an append target ($GITHUB_STEP_SUMMARY) adds to what the file holds; --summary-md naming the same file appends once', () => {
  const path = join(tmp, 'step.md');
  writeFileSync(path, 'earlier step\n');
  const f = OutputFile.open({ flag: '$GITHUB_STEP_SUMMARY', path, append: true }, noProblem);
  f.write('ours\n');
  f.close();
  assert.equal(readFileSync(path, 'utf8'), 'earlier step\nours\n');

  const flags = (r: Parameters<typeof endOfRunFiles>[0]) => endOfRunFiles(r).map((x) => [x.flag, x.append ?? false]);
  assert.deepEqual(flags({ file: 'a', summaryExportPath: 's.json', junitPath: 'j.xml', summaryMdPath: 's.md', stepSummaryPath: path }),
    [['--summary-export', false], ['--junit', false], ['--summary-md', false], ['$GITHUB_STEP_SUMMARY', true]]);
  assert.deepEqual(flags({ file: 'a', summaryMdPath: path, stepSummaryPath: path }), [['--summary-md', true]]);
});

// Command-line parsing: typed commands from argv, and usage errors that name the flag and value.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand, UsageError } from '../../src/cli/args';

test('run: overrides, repeated -e pairs (values may hold =), target and output paths', () => {
  const c = parseCommand(
    ['run', 'a.load.ts', '--vus', '20', '--duration', '1m30s', '-e', 'TOKEN=a=b', '--env', 'EMPTY=', '-e', 'X=1',
      '--target', 'http://127.0.0.1:8080', '--out', 'o.jsonl', '--summary-export', 's.json', '--scenario', 'browse', '--quiet'],
    true,
  );
  assert.deepEqual(c, {
    name: 'run',
    file: 'a.load.ts',
    scenario: 'browse',
    overrides: { vus: 20, duration: '1m30s', rate: undefined, iterations: undefined },
    env: { TOKEN: 'a=b', EMPTY: '', X: '1' },
    target: 'http://127.0.0.1:8080',
    summaryExportPath: 's.json',
    outPath: 'o.jsonl',
    workers: undefined,
    display: { color: !process.env.NO_COLOR, quiet: true },
  });
});

test('--duration takes a bare number of seconds, as k6 users write it', () => {
  const c = parseCommand(['run', 'a.load.ts', '--duration', '5'], false);
  assert.equal(c.name === 'run' && c.overrides.duration, '5');
  assert.throws(() => parseCommand(['run', 'a.load.ts', '--duration', '0'], false), /--duration: got "0"; expected a duration > 0 such as 30s, 2m, 250ms, 1h30m or a number of seconds/);
});

test('colour only on a terminal, and never with --no-color', () => {
  const color = (argv: string[], tty: boolean) => (parseCommand(argv, tty) as { display: { color: boolean } }).display.color;
  const saved = { FORCE_COLOR: process.env.FORCE_COLOR, NO_COLOR: process.env.NO_COLOR };
  try {
    delete process.env.FORCE_COLOR;
    delete process.env.NO_COLOR;
    assert.equal(color(['list', 'a.load.ts'], false), false);
    assert.equal(color(['list', 'a.load.ts', '--no-color'], true), false);
    // FORCE_COLOR turns it on off a terminal (CI logs); --no-color and NO_COLOR still win.
    process.env.FORCE_COLOR = '1';
    assert.equal(color(['list', 'a.load.ts'], false), true);
    assert.equal(color(['list', 'a.load.ts', '--no-color'], false), false);
    process.env.NO_COLOR = '1';
    assert.equal(color(['list', 'a.load.ts'], false), false);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('usage errors name the flag, the value and what is allowed', () => {
  const cases: Array<[string[], RegExp]> = [
    [['run', 'a.load.ts', '--rate', '0'], /--rate: got "0"; expected a number > 0/],
    [['run', 'a.load.ts', '--iterations', '2.5'], /--iterations: got "2.5"; expected a whole number >= 1/],
    [['run', 'a.load.ts', '--duration', '0s'], /--duration: got "0s"; expected a duration > 0/],
    [['run', 'a.load.ts', '-e', 'NOEQUALS'], /-e: got "NOEQUALS"; expected KEY=VALUE/],
    [['run', 'a.load.ts', '--target', 'ftp://x'], /--target: got "ftp:\/\/x"; expected an http:\/\/ or https:\/\/ URL/],
    [['run', 'a.load.ts', '--target', 'not a url'], /--target: got "not a url"; expected an absolute http\(s\) URL/],
    [['run', 'a.load.ts', 'b.load.ts'], /run: expected one FILE, got 2/],
    [['run', 'a.load.ts', '--vuss', '3'], /Unknown option '--vuss'/],
    [['bench'], /unknown command "bench"; expected run, list, report, demo, agent or k8s/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseCommand(argv, false), (err: unknown) => err instanceof UsageError && message.test(err.message), argv.join(' '));
  }
});

test('help and version', () => {
  assert.deepEqual(parseCommand([], false), { name: 'help' });
  assert.deepEqual(parseCommand(['run', '--help'], false), { name: 'help' });
  assert.deepEqual(parseCommand(['--version'], false), { name: 'version' });
});

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
    scenarios: ['browse'],
    overrides: { vus: 20, duration: '1m30s', rate: undefined, iterations: undefined },
    env: { TOKEN: 'a=b', EMPTY: '', X: '1' },
    target: 'http://127.0.0.1:8080',
    summaryExportPath: 's.json',
    outputs: [{ kind: 'json', path: 'o.jsonl' }],
    junitPath: undefined,
    summaryMdPath: undefined,
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
    [['bench'], /unknown command "bench"; expected run, list, report, compare, convert, demo, agent or k8s/],
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

test('--out is repeatable and typed: json=PATH, a bare PATH (JSON lines), prometheus=URL with its testid', () => {
  const saved = process.env.LOADLENS_TESTID;
  delete process.env.LOADLENS_TESTID;
  try {
    const outs = (argv: string[]) => {
      const c = parseCommand(['run', 'api.load.ts', ...argv], false);
      assert.ok(c.name === 'run');
      return c.outputs;
    };
    assert.deepEqual(outs(['--out', 'a.jsonl', '--out', 'json=b=c.jsonl', '--out', 'prometheus=http://127.0.0.1:9090/api/v1/write', '-e', 'LOADLENS_TESTID=nightly-42']), [
      { kind: 'json', path: 'a.jsonl' },
      { kind: 'json', path: 'b=c.jsonl' },
      { kind: 'prometheus', url: 'http://127.0.0.1:9090/api/v1/write', testid: 'nightly-42' },
    ]);
    // Without LOADLENS_TESTID: the file's name and the start time (UTC), so each run is its own.
    const [p] = outs(['--out', 'prometheus=https://prom.example/api/v1/write']);
    assert.ok(p.kind === 'prometheus');
    assert.match(p.testid, /^api-\d{8}-\d{6}$/);
    process.env.LOADLENS_TESTID = 'from-env';
    assert.deepEqual(outs(['--out', 'prometheus=http://h:9090/api/v1/write'])[0], { kind: 'prometheus', url: 'http://h:9090/api/v1/write', testid: 'from-env' });
    assert.throws(() => outs(['--out', 'prometheus=localhost:9090']), /--out: got "prometheus=localhost:9090"; expected prometheus=URL with an http\(s\) URL/);
    assert.throws(() => outs(['--out', 'influxdb=http://h:8086']), /--out: got "influxdb=http:\/\/h:8086"; unknown output "influxdb", expected json=PATH \(or a bare PATH\) or prometheus=URL/);
    assert.throws(() => outs(['--out', 'json=']), /--out: got "json="; expected a path after json=/);
    assert.throws(() => outs(['--out', 'prometheus=http://h/w', '-e', 'LOADLENS_TESTID= ']), /LOADLENS_TESTID: is empty/);
  } finally {
    if (saved === undefined) delete process.env.LOADLENS_TESTID;
    else process.env.LOADLENS_TESTID = saved;
  }
});

test('compare: BASE NEW, repeatable --fail-on, --json, --scenario; run options and a third file are refused', () => {
  const display = { color: false, quiet: false };
  assert.deepEqual(parseCommand(['compare', 'a.json', 'b.json', '--fail-on', 'http_req_duration p(95) +10%', '--fail-on', 'http_reqs rate -5%', '--json', '--no-color'], false), {
    name: 'compare', base: 'a.json', new: 'b.json', failOn: ['http_req_duration p(95) +10%', 'http_reqs rate -5%'], json: true, scenario: undefined, display,
  });
  assert.throws(() => parseCommand(['compare', 'a.json'], false), /compare: expected BASE and NEW \(two --summary-export files or saved runs\), got 1: a\.json/);
  assert.throws(() => parseCommand(['compare', 'a', 'b', 'c'], false), /got 3/);
  assert.throws(() => parseCommand(['compare', 'a', 'b', '--vus', '3'], false), /compare: --vus does not apply/);
  assert.throws(() => parseCommand(['run', 'a.load.ts', '--fail-on', 'x p(95) +1%'], false), /--fail-on: only for the compare command/);
  const run = parseCommand(['run', 'a.load.ts', '--junit', 'j.xml', '--summary-md', 's.md'], false);
  assert.deepEqual(run.name === 'run' && [run.junitPath, run.summaryMdPath], ['j.xml', 's.md']);
  assert.throws(() => parseCommand(['k8s', 'a.load.ts', '--agents', '2', '--image', 'i', '--junit', 'j.xml'], false), /k8s: --junit does not apply/);
});

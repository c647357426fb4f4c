// "Honest endings" through the real CLI: output paths are opened before the first request (a bad
// one is exit 2 and the target sees nothing), a disk problem at the end is reported without
// changing the verdict's exit code, thresholds on unknown metrics are refused before the run, and
// stray promise rejections are printed once and counted by kind. Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTarget, type RunningServer } from '../servers/target';
import { ExitCode } from '../../src/protocol';
import { CLI, ROOT, fixture, type CliResult } from './cli-helpers';

let target: RunningServer;
let tmp: string;

before(async () => {
  target = await startTarget();
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-outputs-'));
});
after(async () => {
  await target.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs the CLI; killed after 60 s, so a hang (the /proc mkdir loop) fails the test instead of blocking it. */
function cli(args: string[], withoutRootOverride = false): Promise<CliResult & { killed: boolean }> {
  // As root, `setpriv` drops the capabilities that let root write into read-only folders, so the
  // CLI meets permissions as a user would (and still reads the build wherever it is).
  const command = withoutRootOverride ? ['setpriv', ['--bounding-set=-dac_override,-dac_read_search', process.execPath, CLI, ...args]] as const : [process.execPath, [CLI, ...args]] as const;
  const child = spawn(command[0], [...command[1]], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, 60_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}

/** Every request the target has received so far. */
function requests(): number {
  let n = 0;
  for (const c of target.counts.values()) n += c;
  return n;
}

/** Runs pass.load.ts (12 iterations) with `extra` options; asserts exit 2 before any request. */
async function refusedBeforeLoad(extra: string[], file = fixture('pass.load.ts'), withoutRootOverride = false): Promise<string> {
  const before = requests();
  const r = await cli(['run', file, '--target', target.url, ...extra], withoutRootOverride);
  assert.equal(r.killed, false, `the CLI hung; stderr:\n${r.stderr}`);
  assert.equal(r.code, ExitCode.badOptions, r.stderr);
  assert.equal(requests() - before, 0, 'no request reaches the target');
  assert.equal(r.stdout, '', 'no summary: nothing ran');
  return r.stderr;
}

const isLinux = process.platform === 'linux';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

test('--summary-export and --out under /proc: exit 2 before any request, naming the path (no mkdir loop)', { skip: !isLinux && 'needs /proc' }, async () => {
  for (const flag of ['--summary-export', '--out']) {
    const stderr = await refusedBeforeLoad([flag, '/proc/x/summary.json']);
    assert.match(stderr, new RegExp(`${flag} /proc/x/summary\\.json: cannot create the folder /proc/x: this file system does not allow creating folders in /proc`));
  }
});

test('an output path whose parent is a file: exit 2 before any request, naming the file', async () => {
  const file = join(tmp, 'plain-file');
  writeFileSync(file, 'not a folder');
  for (const flag of ['--summary-export', '--out']) {
    const path = join(file, 'sub', 'summary.json');
    const stderr = await refusedBeforeLoad([flag, path]);
    assert.ok(stderr.includes(`${flag} ${path}: ${file} is a file, not a folder`), stderr);
  }
});

test('an output path that is a folder: exit 2 before any request', async () => {
  for (const flag of ['--summary-export', '--out']) {
    const stderr = await refusedBeforeLoad([flag, tmp]);
    assert.ok(stderr.includes(`${flag} ${tmp}: it is a folder, not a file`), stderr);
  }
});

// Root writes into read-only folders: as root, the CLI runs without that capability (cli() above).
test('an output file in a read-only folder: exit 2 before any request, permission denied', async () => {
  const dropRoot = isRoot;
  const ro = join(tmp, 'read-only');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  try {
    for (const flag of ['--summary-export', '--out']) {
      const path = join(ro, 'summary.json');
      const stderr = await refusedBeforeLoad([flag, path], fixture('pass.load.ts'), dropRoot);
      assert.ok(stderr.includes(`${flag} ${path}: cannot open it for writing: permission denied (EACCES)`), stderr);
      const nested = join(ro, 'new', 'summary.json');
      const stderr2 = await refusedBeforeLoad([flag, nested], fixture('pass.load.ts'), dropRoot);
      assert.ok(stderr2.includes(`${flag} ${nested}: cannot create the folder ${join(ro, 'new')}: permission denied (EACCES)`), stderr2);
    }
  } finally {
    chmodSync(ro, 0o755);
    chmodSync(tmp, 0o700);
  }
});

test('--out and --summary-export naming one file: exit 2 before any request', async () => {
  const path = join(tmp, 'same.json');
  const stderr = await refusedBeforeLoad(['--out', path, '--summary-export', path]);
  assert.ok(stderr.includes(`--summary-export ${path}: --out writes the same file`), stderr);
  assert.equal(existsSync(path), false, 'the file --out created for nothing is removed');
});

test('missing parent folders are created before the run', async () => {
  const path = join(tmp, 'a', 'b', 'c', 'summary.json');
  const r = await cli(['run', fixture('pass.load.ts'), '--target', target.url, '--summary-export', path, '--quiet']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).metrics.iterations.values.count, 12);
});

test('a disk full at the end: reported on stderr, the exit code stays the verdict’s', { skip: !existsSync('/dev/full') && 'needs /dev/full' }, async () => {
  // /dev/full opens fine and fails every write with ENOSPC: the end-of-run write fails for real.
  for (const flag of ['--summary-export', '--out']) {
    const r = await cli(['run', fixture('pass.load.ts'), '--target', target.url, flag, '/dev/full', '--quiet']);
    assert.equal(r.code, ExitCode.ok, r.stderr);
    assert.match(r.stdout, /iterations\.+: 12\b/, 'the summary is printed');
    assert.ok(r.stderr.includes(`${flag} /dev/full: could not write: no space left on device (ENOSPC)`), r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
  }
  // A failing verdict keeps its own code too.
  const failing = await cli(['run', fixture('fail-threshold.load.ts'), '--target', target.url, '--summary-export', '/dev/full', '--quiet']);
  assert.equal(failing.code, ExitCode.thresholdsFailed, failing.stderr);
  assert.match(failing.stderr, /could not write: no space left on device/);
});

test('the output folder removed during the run: reported, the exit code stays the verdict’s', async () => {
  const doomed = join(tmp, 'doomed');
  const exportPath = join(doomed, 'summary.json');
  const outPath = join(doomed, 'run.jsonl');
  const r = await cli(['run', fixture('doomed-output.load.ts'), '--target', target.url, '-e', `DOOMED_DIR=${doomed}`, '--summary-export', exportPath, '--out', outPath, '--quiet']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.equal(existsSync(doomed), false, 'setup() removed the folder');
  for (const [flag, path] of [['--summary-export', exportPath], ['--out', outPath]]) {
    assert.ok(r.stderr.includes(`${flag} ${path}: the file was deleted during the run`), r.stderr);
  }
  assert.doesNotMatch(r.stderr, /internal error/);
});

test('a threshold on a misspelt metric: exit 2 before any request, with the closest name', async () => {
  const stderr = await refusedBeforeLoad([], fixture('threshold-typo.load.ts'));
  assert.match(stderr, /options error in browse at test\/fixtures\/threshold-typo\.load\.ts:7:/);
  assert.ok(stderr.includes("thresholds: unknown metric 'http_req_duraton' in scenario browse; did you mean 'http_req_duration'?"), stderr);
});

test('a threshold on a custom metric created only inside iteration(): exit 2 before any request', async () => {
  const stderr = await refusedBeforeLoad([], fixture('lazy-metric.load.ts'));
  assert.ok(stderr.includes("thresholds: unknown metric 'orders_placed' in scenario orders: neither a built-in metric nor a custom metric created at the top level"), stderr);
  assert.match(stderr, /must be created when the module loads/);
});

test('a threshold on a custom metric created at the top level is accepted', async () => {
  const r = await cli(['run', fixture('custom-metrics.load.ts'), '--target', target.url, '--quiet']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.match(r.stdout, /✓ .*cart_to_order: p\(95\) < 1000/);
});

for (const workers of [1, 2]) {
  test(`150 iterations each leaving an unhandled rejection (--workers ${workers}): printed once, counted 150 by kind`, async () => {
    const exportPath = join(tmp, `stray-${workers}.json`);
    const r = await cli(['run', fixture('stray-rejection.load.ts'), '--target', target.url, '--workers', String(workers), '--summary-export', exportPath, '--quiet']);
    assert.equal(r.code, ExitCode.ok, r.stderr);
    const printed = r.stderr.split('unhandled promise rejection: audit log unavailable').length - 1;
    assert.equal(printed, 1, r.stderr);
    // With the .load.ts's own lines: thrown in auditLog (line 6), called from line 13.
    assert.match(r.stderr, /iteration error in stray at test\/fixtures\/stray-rejection\.load\.ts:6:21/);
    assert.match(r.stderr, /stray-rejection\.load\.ts:13:10\)/);
    const s = JSON.parse(readFileSync(exportPath, 'utf8'));
    assert.equal(s.metrics.iterations.values.count, 150);
    assert.equal(s.errorsByKind['unhandled rejection: Error: audit log unavailable'], 150);
    assert.match(r.stdout, /unhandled rejection: Error: audit log unavailable\s+150/);
  });
}

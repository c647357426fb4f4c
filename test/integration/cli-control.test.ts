// The CLI stays in control whatever the scenario does (the scenario runs in a worker thread the
// CLI's main thread supervises, src/runner/host.ts; each --workers process supervises its own,
// src/runner/worker.ts): a blocked event loop, process.exit() in scenario code, running out of
// memory, and a CLI killed with SIGKILL. Through the real CLI (`npm run build` first); every run
// is bounded (the fixtures' loops give up after 60 s, loads last at most 30 s).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTarget, type RunningServer } from '../servers/target';
import { ExitCode, type FromRunner } from '../../src/protocol';
import { RunnerProcess } from '../../src/runner/client';
import { ROOT, fixture, runCli, startCli } from './cli-helpers';

let target: RunningServer;
let tmp: string;

before(async () => {
  target = await startTarget();
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-control-'));
});
after(async () => {
  await target.close();
  rmSync(tmp, { recursive: true, force: true });
});

function records(path: string): any[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process as /proc shows it: its state, parent and start time (which tells a reused pid apart). */
function procStat(pid: number): { state: string; ppid: number; start: string } | undefined {
  try {
    // pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), start: f[19] };
  } catch {
    return undefined;
  }
}

interface Proc {
  pid: number;
  start: string;
}

/** The live processes whose parent is `ppid` (Linux /proc). */
function childrenOf(ppid: number): Proc[] {
  const found: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.ppid === ppid && st.state !== 'Z') found.push({ pid: Number(name), start: st.start });
  }
  return found;
}

/** Whether the process still runs (not reaped, not a zombie, its pid not reused). */
function alive(p: Proc): boolean {
  const st = procStat(p.pid);
  return st !== undefined && st.state !== 'Z' && st.start === p.start;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

test('a blocked event loop is reported at its line; SIGTERM still gives the cancelled summary and exit 105', async () => {
  const outPath = join(tmp, 'blocked.jsonl');
  const cli = startCli(['run', fixture('blocked.load.ts'), '--target', target.url, '--workers', '1', '--out', outPath]);
  // The watchdog's report: the thread stopped beating, and its stack points at the loop.
  await cli.waitForStderr(/blocked error in blocked at test\/fixtures\/blocked\.load\.ts:11:5/);
  cli.child.kill('SIGTERM');
  const r = await cli.done;
  assert.equal(r.code, ExitCode.cancelled, r.stderr);
  assert.match(r.stderr, /event loop has been blocked for \d+\.\d s/);
  assert.match(r.stderr, /at Object\.iteration \(.*blocked\.load\.ts:11:5\)/);
  assert.doesNotMatch(r.stderr, /cli-thread\.js/, 'Loadlens’s own frames are left out');
  assert.match(r.stdout, /scenario blocked .* cancelled in/);
  assert.match(r.stdout, /Cancelled before the planned end/);
  // --out is closed by the supervisor: the last record is the summary, marked as such.
  const recs = records(outPath);
  assert.equal(recs[0].type, 'start');
  const last = recs.at(-1);
  assert.equal(last.type, 'summary');
  assert.equal(last.summary.state.status, 'cancelled');
  assert.equal(typeof last.incomplete, 'string');
});

test('a second signal ends a blocked run at once: exit 105', async () => {
  const cli = startCli(['run', fixture('blocked.load.ts'), '--target', target.url, '--workers', '1']);
  await cli.waitForStderr(/▶ blocked/);
  cli.child.kill('SIGTERM');
  await cli.waitForStderr(/press Ctrl-C again/);
  cli.child.kill('SIGTERM');
  const r = await cli.done;
  assert.equal(r.code, ExitCode.cancelled, r.stderr);
  assert.match(r.stderr, /killed/);
});

test('a run still blocked past its planned end plus gracefulStop is stopped: summary, exit 109', async () => {
  const r = await runCli(['run', fixture('blocked.load.ts'), '--target', target.url, '--workers', '1', '--duration', '1s']);
  assert.equal(r.code, ExitCode.blocked, r.stderr);
  assert.match(r.stderr, /still blocked after the planned duration and gracefulStop/);
  assert.match(r.stdout, /scenario blocked .* incomplete in/);
});

test('--workers 2: segments still blocked past the planned end plus gracefulStop are stopped: summary, exit 109', async () => {
  const r = await runCli(['run', fixture('blocked.load.ts'), '--target', target.url, '--workers', '2', '--vus', '2', '--duration', '1s']);
  assert.equal(r.code, ExitCode.blocked, r.stderr);
  assert.match(r.stderr, /worker \d\/2: the scenario's event loop was still blocked after the planned duration and gracefulStop/);
  assert.match(r.stdout, /scenario blocked .* incomplete in/);
});

test('--workers 2: each worker reports its blocked loop; SIGTERM gives the cancelled summary', async () => {
  const cli = startCli(['run', fixture('blocked.load.ts'), '--target', target.url, '--workers', '2', '--vus', '2']);
  await cli.waitForStderr(/worker 1\/2: the scenario's event loop has been blocked/);
  await cli.waitForStderr(/worker 2\/2: the scenario's event loop has been blocked/);
  assert.match(cli.stderr(), /blocked error in blocked at test\/fixtures\/blocked\.load\.ts:11:5/);
  cli.child.kill('SIGTERM');
  const r = await cli.done;
  assert.equal(r.code, ExitCode.cancelled, r.stderr);
  assert.match(r.stdout, /scenario blocked .* cancelled in/);
});

test('--workers 2, blocked: after SIGKILL of the CLI no process of the run remains (workers, esbuild)', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const cli = startCli(['run', fixture('blocked.load.ts'), '--target', target.url, '--workers', '2', '--vus', '2']);
  // Both workers are blocked in the loop (each reported it), so neither can run a JS handler.
  await cli.waitForStderr(/worker 1\/2: the scenario's event loop has been blocked/);
  await cli.waitForStderr(/worker 2\/2: the scenario's event loop has been blocked/);
  // Every child of the CLI: the two worker processes, and esbuild's service.
  const children = childrenOf(cli.child.pid!);
  assert.equal(children.filter((c) => cmdline(c.pid).includes('worker.js')).length, 2, 'two worker processes run');
  cli.child.kill('SIGKILL');
  const r = await cli.done;
  assert.equal(r.signal, 'SIGKILL');
  // Bounded polling: a few seconds at most.
  for (let i = 0; i < 50 && children.some(alive); i++) await sleep(100);
  assert.deepEqual(children.filter(alive).map((c) => cmdline(c.pid)), [], 'no process of the run outlives the CLI');
});

test('process.exit(3) in an iteration is an error at its line; the run ends with a summary and exit 106', async () => {
  const exportPath = join(tmp, 'exits.json');
  const r = await runCli(['run', fixture('exits.load.ts'), '--target', target.url, '--workers', '1', '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.scenarioExit, r.stderr);
  assert.match(r.stderr, /exit error in exits at test\/fixtures\/exits\.load\.ts:11:37/);
  assert.match(r.stderr, /the scenario called process\.exit\(3\)/);
  assert.match(r.stdout, /scenario exits .* incomplete in/);
  const s = JSON.parse(readFileSync(exportPath, 'utf8'));
  assert.equal(s.metrics.iterations.values.count, 3, 'the iterations before the call, and the one that called it');
});

test('process.exit() in a worker process is reported the same way: exit 106', async () => {
  const r = await runCli(['run', fixture('exits.load.ts'), '--target', target.url, '--workers', '2', '--vus', '2']);
  assert.equal(r.code, ExitCode.scenarioExit, r.stderr);
  assert.match(r.stderr, /exit error in exits at test\/fixtures\/exits\.load\.ts:11:37/);
  assert.match(r.stderr, /worker \d\/2: the scenario called process\.exit\(3\)/);
  assert.match(r.stdout, /scenario exits .* incomplete in/);
});

test('running out of memory is reported as such, with the summary, and --out ends with an incomplete summary record: exit 107', async () => {
  const outPath = join(tmp, 'hoards.jsonl');
  const r = await runCli(['run', fixture('hoards.load.ts'), '--target', target.url, '--workers', '1', '--out', outPath], {
    env: { LOADLENS_MAX_HEAP_MB: '32' },
  });
  assert.equal(r.code, ExitCode.outOfMemory, r.stderr);
  assert.match(r.stderr, /memory error in hoards/);
  assert.match(r.stderr, /the scenario's process ran out of memory \(heap limit \d+ MB\) in iteration/);
  assert.match(r.stdout, /scenario hoards .* incomplete in/);
  const recs = records(outPath);
  const last = recs.at(-1);
  assert.equal(last.type, 'summary');
  assert.equal(last.summary.state.status, 'incomplete');
  assert.equal(last.incomplete, 'out of memory');
});

test('a worker process running out of memory is reported as such: exit 107', async () => {
  const r = await runCli(['run', fixture('hoards.load.ts'), '--target', target.url, '--workers', '2', '--vus', '2'], {
    env: { LOADLENS_MAX_HEAP_MB: '32' },
  });
  assert.equal(r.code, ExitCode.outOfMemory, r.stderr);
  assert.match(r.stderr, /worker \d\/2: the scenario's process ran out of memory/);
  assert.match(r.stdout, /scenario hoards .* incomplete in/);
});

test('the forked runner (the extension’s) supervises its thread too: blocked, reported at its line, cancel gives the summary and 105', async () => {
  const runner = new RunnerProcess({ runnerPath: join(ROOT, 'dist', 'runner.js'), output: 'inherit' });
  const messages: FromRunner[] = [];
  runner.onMessage((m) => {
    messages.push(m);
    if (m.type === 'error' && m.kind === 'blocked') runner.cancel('test');
  });
  runner.run({ file: fixture('blocked.load.ts'), target: target.url, workers: 1 });
  const exit = await runner.exited;
  assert.equal(exit.code, ExitCode.cancelled);
  const blocked = messages.find((m): m is Extract<FromRunner, { type: 'error' }> => m.type === 'error' && m.kind === 'blocked');
  assert.deepEqual(blocked?.location, { file: fixture('blocked.load.ts'), line: 11, column: 5 });
  const finished = messages.find((m): m is Extract<FromRunner, { type: 'finished' }> => m.type === 'finished');
  assert.equal(finished?.summary.state.status, 'cancelled');
  assert.deepEqual(messages.at(-1), { type: 'done', exitCode: ExitCode.cancelled });
});

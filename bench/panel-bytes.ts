// Bytes per second the runner sends to its parent (the CLI, the extension host and, forwarded,
// the panel): a recorded 10 s run of examples/browse.load.ts against the embedded demo API,
// counting the JSON of every message by type (as it crosses the IPC channel), beside the interval
// data that stays in the runner (measured as the --out file's interval records). Not a timed test.
//   npm run build && node --import tsx bench/panel-bytes.ts [--seconds 10]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer } from '../src/demo/server';
import { RunnerProcess } from '../src/runner/client';
import type { FromRunner } from '../src/protocol';
import { initialState, reduce, type PanelState } from '../src/view-model/reducers';

const root = join(__dirname, '..');
const argv = process.argv.slice(2);
const i = argv.indexOf('--seconds');
const seconds = i >= 0 ? Number(argv[i + 1]) : 10;

async function main(): Promise<void> {
  const demo = await startDemoServer();
  const runner = new RunnerProcess({ runnerPath: join(root, 'dist/runner.js'), output: 'pipe' });
  runner.child.stdout?.resume();
  runner.child.stderr?.resume();
  const bytes: Record<string, { count: number; bytes: number }> = {};
  let exitCode = -1;
  // What the extension host keeps for a re-opened panel: the reduced state, not the messages.
  let state: PanelState = initialState();
  runner.onMessage((m: FromRunner) => {
    state = reduce(state, { type: 'runner', message: m });
    const b = bytes[m.type] ?? (bytes[m.type] = { count: 0, bytes: 0 });
    b.count++;
    b.bytes += Buffer.byteLength(JSON.stringify(m));
    if (m.type === 'done') exitCode = m.exitCode;
  });
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-bytes-'));
  const out = join(dir, 'out.jsonl');
  runner.run({
    file: join(root, 'examples/browse.load.ts'),
    target: demo.url,
    overrides: { duration: `${seconds}s` },
    outputs: [{ kind: 'json', path: out }],
  });
  await runner.exited;
  await demo.close();
  const intervals = readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('"type":"interval"'));
  const intervalBytes = intervals.reduce((a, l) => a + Buffer.byteLength(l), 0);
  rmSync(dir, { recursive: true, force: true });
  const total = Object.values(bytes).reduce((a, b) => a + b.bytes, 0);
  const perSecond = Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, { ...v, perMessage: Math.round(v.bytes / v.count) }]));
  console.log(JSON.stringify({ seconds, exitCode, toViews: { totalBytes: total, bytesPerSecond: Math.round(total / seconds), byType: perSecond },
    restoreMessageBytes: Buffer.byteLength(JSON.stringify({ type: 'restore', state })),
    intervalDataInRunner: { count: intervals.length, bytes: intervalBytes, perMessage: Math.round(intervalBytes / Math.max(1, intervals.length)) } }, null, 2));
}

main().catch((e) => { console.error(e); process.exit(1); });

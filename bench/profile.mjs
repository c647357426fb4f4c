// Profiles the engine's hot path: runs a bench scenario against nginx with the V8 CPU profiler
// on (the runner process), then prints the top functions by self time of the runner.
//   node bench/profile.mjs [scenario=get-check] [seconds=5] [--workers N]
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceMap } from 'node:module';
import { build } from 'esbuild';
import { startNginx } from './lib/nginx.mjs';
import { ensureDebianTools } from './lib/proc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name = 'get-check', seconds = '5', ...rest] = process.argv.slice(2);

/** Maps a bundle's (line, column) to its source file, through the bundle's source map. */
function sourceMapper(bundle) {
  try {
    const map = new SourceMap(JSON.parse(readFileSync(bundle + '.map', 'utf8')));
    return (line, col) => map.findEntry(line, col)?.originalSource?.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/') ?? '?';
  } catch { return () => '?'; }
}

/** Self time per function (ms) from a .cpuprofile, largest first; and per source file. */
export function topSelf(profile, limit = 25, bundle) {
  const toSource = bundle ? sourceMapper(bundle) : () => '?';
  const byFile = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const f = n.callFrame;
    const inBundle = bundle && f.url.endsWith(bundle.split('/').pop());
    const file = inBundle ? toSource(f.lineNumber, f.columnNumber) : f.url ? f.url.replace(/^node:/, 'node:').split('/').slice(-2).join('/') : f.functionName;
    const key = `${f.functionName || '(anonymous)'} ${inBundle ? file : f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const d = (dt[i] ?? 0) / 1000;
    self.set(key, (self.get(key) ?? 0) + d);
    const group = file.startsWith('undici') ? 'undici/' + file.split('/').slice(-1)[0] : file;
    byFile.set(group, (byFile.get(group) ?? 0) + d);
    total += d;
  }
  return { totalMs: total, top: [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit), files: [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit) };
}

async function main() {
  ensureDebianTools();
  const nginx = await startNginx({ cpu: 0 });
  const workers = rest.includes('--workers') ? Number(rest[rest.indexOf('--workers') + 1]) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'llprof-'));
  let requests = 0;
  // A readable bundle of our own (dist/ may be minified, or rebuilt meanwhile).
  const runnerJs = join(root, 'bench/scratch/prof/runner.js');
  // The runner and worker processes run the scenario in a thread whose bundle sits next to theirs.
  const threadJs = join(root, 'bench/scratch/prof/runner-thread.js');
  for (const [entry, outfile] of [['runner/main.ts', 'runner.js'], ['runner/thread.ts', 'runner-thread.js'], ['runner/worker.ts', 'worker.js'], ['runner/worker-thread.ts', 'worker-thread.js']]) {
    await build({ entryPoints: [join(root, 'src', entry)], outfile: join(root, 'bench/scratch/prof', outfile), bundle: true, platform: 'node',
      target: 'node20', format: 'cjs', sourcemap: true, external: ['esbuild'], logLevel: 'warning' });
  }
  try {
    // --cpu-prof is not allowed in NODE_OPTIONS: fork the runner directly and speak its protocol.
    const runner = fork(runnerJs, [], {
      execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json',
    });
    execFileSync('taskset', ['-pc', '1', String(runner.pid)], { stdio: 'ignore' });
    runner.send({ type: 'run', request: {
      file: join(root, 'bench/scenarios', `${name}.load.ts`), target: nginx.url, workers,
      overrides: name.startsWith('open') ? { rate: Number(process.env.RATE ?? 5000), duration: `${seconds}s` } : { vus: 64, duration: `${seconds}s` },
    } });
    runner.on('message', (m) => {
      if (m.type === 'error') console.error(m.message);
      if (m.type === 'finished') requests = m.summary.metrics.http_reqs?.values.count ?? 0;
    });
    await new Promise((r) => runner.once('exit', r));
  } finally { await nginx.stop(); }
  // The runner's (or a worker's) profile is the largest; the CLI's is small.
  const files = readdirSync(dir).map((f) => join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size);
  const { totalMs, top, files: byFile } = topSelf(JSON.parse(readFileSync(files[0], 'utf8')), 30, workers ? join(root, 'bench/scratch/prof/worker-thread.js') : threadJs);
  console.log(`${files[0]} (${(totalMs / 1000).toFixed(1)} s sampled, ${requests} requests)`);
  const busy = totalMs - (top.find(([k]) => k.startsWith('(idle)'))?.[1] ?? 0);
  console.log(`busy ${(busy / 1000).toFixed(2)} s: ${((busy * 1000) / requests).toFixed(1)} µs per request\n\nby function (self):`);
  for (const [k, ms] of top) console.log(`${((100 * ms) / busy).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${k}`);
  console.log('\nby source file (self):');
  for (const [k, ms] of byFile) console.log(`${((100 * ms) / busy).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${k}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main().catch((e) => { console.error(e); process.exit(1); });

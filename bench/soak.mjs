// Soak: a long open-model run at a steady rate against nginx, sampling the generator's RSS, to
// show memory stays flat (the slope of RSS over time after warm-up). Not part of CI.
//   node bench/soak.mjs [--minutes 60] [--rate 2000]
// Writes bench/results/soak.json for runs of 30 minutes or more, else bench/scratch/results/.
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianTools, treeRssKB, sleep } from './lib/proc.mjs';
import { startNginx } from './lib/nginx.mjs';
import { spawnPinned } from './lib/spawn.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : dflt; };
const minutes = flag('minutes', 60);
const rate = flag('rate', 2000);

/** Least-squares slope of y over x. */
export function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

async function main() {
  ensureDebianTools();
  const nginx = await startNginx({ cpu: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'llsoak-'));
  const args = [join(root, 'dist/cli.js'), 'run', join(root, 'bench/scenarios/soak.load.ts'), '--rate', String(rate),
    '--duration', `${minutes}m`, '--target', nginx.url, '--summary-export', join(dir, 'summary.json')];
  const child = spawnPinned(process.execPath, args, { cpu: 1, cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const t0 = Date.now();
  const samples = [];
  const everyMs = minutes >= 10 ? 10_000 : 2_000;
  let exited = false;
  child.once('exit', () => { exited = true; });
  while (!exited) {
    await sleep(everyMs);
    const kb = treeRssKB(child.pid);
    if (kb <= 0 || exited) continue;
    samples.push([(Date.now() - t0) / 60_000, kb]);
    if (samples.length % 6 === 0) console.log(`${samples.at(-1)[0].toFixed(1)} min: RSS ${samples.at(-1)[1]} KB`);
  }
  await nginx.stop();
  // Judge after warm-up: the second half of the run.
  const late = samples.filter(([m]) => m >= minutes / 2);
  const kbPerMin = slope(late.map((s) => s[0]), late.map((s) => s[1]));
  const result = {
    date: new Date().toISOString(), minutes, rate, samples,
    rssStartKB: late[0]?.[1], rssEndKB: late.at(-1)?.[1], peakKB: Math.max(...samples.map((s) => s[1])),
    slopeKBPerMinSecondHalf: kbPerMin, slopeKBPerHourSecondHalf: kbPerMin * 60,
  };
  const out = join(root, minutes >= 30 ? 'bench/results' : 'bench/scratch/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'soak.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(`soak ${minutes} min at ${rate}/s: peak ${result.peakKB} KB, second-half slope ${kbPerMin.toFixed(1)} KB/min (${(kbPerMin * 60).toFixed(0)} KB/h); wrote ${out}/soak.json`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main().catch((e) => { console.error(e); process.exit(1); });

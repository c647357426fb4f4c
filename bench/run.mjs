// The benchmark suite: `npm run bench` (full: 3 runs of 10 s each, writes bench/RESULTS.md and
// bench/results/*.json) or `npm run bench:quick` (CI: one short run each, prints, writes to
// bench/scratch/). It measures and reports; it asserts nothing about absolute times.
//   node bench/run.mjs [--quick] [--only throughput,co,rate,memory,startup,bodies,series] [--runs N] [--seconds S] [--gens autocannon,raw]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync, cpSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianTools, which } from './lib/proc.mjs';
import { startNginx } from './lib/nginx.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const quick = argv.includes('--quick');
const ALL = ['throughput', 'co', 'rate', 'memory', 'startup', 'bodies', 'series'];
/** Sections that bring their own target (no nginx, wrk or hey needed). */
const OWN_TARGET = ['bodies', 'series'];
const only = (flag('only', ALL.join(','))).split(',');
const outDir = quick ? join(root, 'bench/scratch') : join(root, 'bench');
const resultsDir = join(outDir, 'results');

const ctx = {
  root, quick,
  runs: Number(flag('runs', quick ? 1 : 3)),
  seconds: Number(flag('seconds', quick ? 3 : 10)),
  serverCpu: 0, generatorCpu: 1,
  gens: flag('gens', undefined),
  log: (s) => console.log(s),
};

function machine() {
  const v = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0]; } catch { return 'not installed'; } };
  const pkg = (p) => { try { return JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { return '?'; } };
  const dpkg = (p) => v('dpkg-query', ['-W', '-f', '${Version}', p]);
  return {
    date: new Date().toISOString(),
    commit: v('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
    nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', kernel: v('uname', ['-r']),
    node: process.version,
    tools: {
      nginx: dpkg('nginx-light'), wrk: dpkg('wrk'), hey: dpkg('hey'),
      autocannon: pkg('autocannon'), undici: pkg('undici'), 'hdr-histogram-js': pkg('hdr-histogram-js'),
    },
    openFilesLimit: v('sh', ['-c', 'ulimit -n']),
  };
}

async function main() {
  const needsNginx = only.some((n) => !OWN_TARGET.includes(n));
  if (needsNginx) ensureDebianTools();
  if (!existsSync(join(root, 'dist/cli.js'))) {
    try { execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' }); } catch { console.log('build failed: the Loadlens rows are left out'); }
  }
  // Run a snapshot of dist/, so that a rebuild during the bench (which empties dist/) cannot
  // break a run halfway; the runner and worker bundles sit next to the CLI as in dist/.
  const snapshot = join(root, 'bench/scratch/dist');
  rmSync(snapshot, { recursive: true, force: true });
  if (existsSync(join(root, 'dist/cli.js'))) cpSync(join(root, 'dist'), snapshot, { recursive: true });
  ctx.cli = join(snapshot, 'cli.js');
  mkdirSync(resultsDir, { recursive: true });
  const m = machine();
  console.log(`bench ${quick ? '(quick) ' : ''}on ${m.nproc}× ${m.cpu}, node ${m.node}; sections: ${only.join(', ')}`);
  const nginx = needsNginx ? await startNginx({ cpu: ctx.serverCpu }) : null;
  ctx.url = nginx?.url;
  try {
    for (const name of only) {
      if (!ALL.includes(name)) throw new Error(`--only: unknown section '${name}' (allowed: ${ALL.join(', ')})`);
      const section = await import(`./sections/${name}.mjs`);
      console.log(`\n== ${name}`);
      const raw = await section.run(ctx);
      writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify({ machine: m, quick, ...raw }, null, 2) + '\n');
      console.log(section.render(raw));
    }
  } finally {
    await nginx?.stop();
  }
  writeFileSync(join(outDir, 'RESULTS.md'), await renderAll());
  console.log(`\nwrote ${join(outDir, 'RESULTS.md')} and ${resultsDir}/*.json`);
}

/** RESULTS.md from every section's latest raw JSON, so a section can be re-run alone. */
async function renderAll() {
  const parts = [];
  for (const name of ALL) {
    const file = join(resultsDir, `${name}.json`);
    if (!existsSync(file)) continue;
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    const section = await import(`./sections/${name}.mjs`);
    const mm = raw.machine;
    parts.push(`${section.render(raw)}
<sub>Measured ${mm.date} at ${mm.commit}: ${mm.nproc}× ${mm.cpu}, Linux ${mm.kernel}, Node ${mm.node}; ${Object.entries(mm.tools).map(([k, v]) => `${k} ${v}`).join(', ')}; open files ${mm.openFilesLimit}. Raw: \`bench/results/${name}.json\`.</sub>
`);
  }
  const notes = existsSync(join(root, 'bench/NOTES.md')) ? readFileSync(join(root, 'bench/NOTES.md'), 'utf8') : '';
  return `# Loadlens benchmark results

Generated by \`npm run bench\` (\`node bench/run.mjs\`); re-run one section with \`node bench/run.mjs --only NAME\`.
Nothing here is asserted by tests: speed and memory are measured, not gated.

${parts.join('\n')}
${notes}`;
}

main().catch((e) => { console.error(e.stack ?? e); process.exit(1); });

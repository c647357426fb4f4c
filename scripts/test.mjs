// The whole test suite in one node:test run (unit, integration, webview in Chromium, e2e in a
// real VS Code), then the HTTP suites again under Node 22 and Node 24 (CI covers 20, 22, 24;
// installed once by scripts/node-versions.sh into .e2e/), so CI reads one closing summary line.
// Pass paths or globs to run a subset (the HTTP suites among them also run on 22 and 24):
//   node scripts/test.mjs test/unit
// LOADLENS_NODE_MATRIX=0 skips the extra Node versions (e.g. offline).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

function collect(path, out) {
  if (!existsSync(path)) return out;
  if (statSync(path).isFile()) { if (/\.test\.(ts|mjs|js)$/.test(path)) out.push(path); return out; }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    collect(join(path, name), out);
  }
  return out;
}

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit', 'test/integration', 'test/webview', 'test/e2e'];
const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) { console.error('no test files found under', roots.join(' ')); process.exit(1); }

// The cluster suites start a real nats-server (and `ip netns`), the Prometheus suite a real
// prometheus: install them once (idempotent).
if (files.some((f) => /cluster|integration[\\/]prometheus/.test(f))) {
  const deps = spawnSync('bash', ['scripts/system-deps.sh'], { stdio: 'inherit' });
  if (deps.status !== 0) { console.error('system-deps failed'); process.exit(deps.status ?? 1); }
}

// The e2e suite needs Chromium, Node 24 and code-server: install them once (idempotent).
if (files.some((f) => f.startsWith('test/e2e') || f.startsWith('test/webview')) && existsSync('test/e2e/setup.sh')) {
  const setup = spawnSync('bash', ['test/e2e/setup.sh'], { stdio: 'inherit' });
  if (setup.status !== 0) { console.error('e2e setup failed'); process.exit(setup.status ?? 1); }
}

// One fuzzer seed for every Node version's run (printed by the fuzzer; set it to replay).
process.env.LOADLENS_FUZZ_SEED ??= String(Math.floor(Math.random() * 2 ** 32));

const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
const runs = [{ what: `node ${process.version}: ${files.length} test files`, ok: r.status === 0 }];

// The HTTP client suites on every supported Node major (their parsers and sockets differ).
const HTTP_SUITES = [
  'test/integration/engine-http.test.ts',
  'test/integration/h1-pool.test.ts',
  'test/integration/http-conformance.test.ts',
  'test/integration/http-fuzz.test.ts',
];
const httpFiles = files.filter((f) => HTTP_SUITES.includes(relative('.', f).split(sep).join('/')));
if (httpFiles.length > 0 && process.env.LOADLENS_NODE_MATRIX !== '0') {
  const nv = spawnSync('bash', ['scripts/node-versions.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const bins = nv.status === 0 ? nv.stdout.split('\n').filter(Boolean) : [];
  if (nv.status !== 0) runs.push({ what: 'installing Node 22 and 24 (scripts/node-versions.sh; LOADLENS_NODE_MATRIX=0 skips)', ok: false });
  for (const bin of bins) {
    const version = spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout.trim();
    console.log(`\n# HTTP suites on node ${version} (${bin})`);
    const v = spawnSync(bin, ['--import', 'tsx', '--test', '--test-reporter=spec', ...httpFiles], { stdio: 'inherit' });
    runs.push({ what: `node ${version}: ${httpFiles.length} HTTP suites`, ok: v.status === 0 });
  }
}

const failed = runs.filter((x) => !x.ok);
if (runs.length > 1) for (const x of runs) console.log(`# ${x.ok ? 'pass' : 'FAIL'} ${x.what}`);
console.log(failed.length === 0 ? `# all test runs passed (${runs.length})` : `# FAILED: ${failed.map((x) => x.what).join('; ')}`);
process.exit(failed.length === 0 ? 0 : (r.status || 1));

// The whole test suite in one node:test run (unit, integration, webview in Chromium, e2e in a
// real VS Code), so CI reads one closing summary. Pass paths or globs to run a subset:
//   node scripts/test.mjs test/unit
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

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

// The e2e suite needs Chromium, Node 24 and code-server: install them once (idempotent).
if (files.some((f) => f.startsWith('test/e2e') || f.startsWith('test/webview')) && existsSync('test/e2e/setup.sh')) {
  const setup = spawnSync('bash', ['test/e2e/setup.sh'], { stdio: 'inherit' });
  if (setup.status !== 0) { console.error('e2e setup failed'); process.exit(setup.status ?? 1); }
}

const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);

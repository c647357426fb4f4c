// The Dockerfile that builds the image `loadlens k8s` manifests run. No Docker here: it is
// linted with dockerfile-utils (the checks of VS Code's Docker support), and what it copies is
// checked against the repository and the output of `npm run build` (run it first).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { ROOT } from './cli-helpers';

const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Instructions (continuation lines joined, comments dropped), each with its stage's number. */
function instructions(): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({ keyword, args: m[2].trim(), stage });
  }
  return out;
}

test('the Dockerfile lints clean', () => {
  assert.deepEqual(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`), []);
});

test('node:20-slim stages; the image has only runtime dependencies, runs as the node user, and its entrypoint is loadlens', () => {
  const all = instructions();
  const from = all.filter((i) => i.keyword === 'FROM').map((i) => i.args);
  assert.deepEqual(from, ['node:20-slim AS build', 'node:20-slim']);
  const last = all.filter((i) => i.stage === from.length - 1);
  assert.ok(last.some((i) => i.keyword === 'RUN' && /\bnpm ci --omit=dev\b/.test(i.args)), 'npm ci --omit=dev in the final stage');
  assert.deepEqual(last.filter((i) => i.keyword === 'ENTRYPOINT').map((i) => JSON.parse(i.args)), [['loadlens']]);
  assert.deepEqual(last.filter((i) => i.keyword === 'USER').map((i) => i.args), ['node']);
  // The entrypoint is bin/loadlens.js by a symlink: it must be executable as committed.
  assert.ok(last.some((i) => i.keyword === 'RUN' && i.args.includes('ln -s /app/bin/loadlens.js /usr/local/bin/loadlens')));
  const mode = execFileSync('git', ['ls-files', '-s', 'bin/loadlens.js'], { cwd: ROOT, encoding: 'utf8' });
  assert.match(mode, /^100755 /);
});

test('every file the Dockerfile copies exists: from the context (not .dockerignored) and from the build stage', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const copies = instructions().filter((i) => i.keyword === 'COPY');
  assert.ok(copies.length > 0);
  for (const c of copies) {
    const parts = c.args.split(/\s+/);
    const from = parts.find((p) => p.startsWith('--from='));
    const paths = parts.filter((p) => !p.startsWith('--'));
    const sources = paths.slice(0, -1);
    for (const src of sources) {
      if (from) {
        // The build stage's WORKDIR is /app: its files are this checkout's after `npm run build`.
        assert.ok(src.startsWith('/app/'), src);
        const local = join(ROOT, src.slice('/app/'.length));
        assert.ok(existsSync(local), `${src} (run npm run build first)`);
      } else {
        assert.ok(existsSync(join(ROOT, src)), `COPY ${src}: not in the repository`);
        const top = src.replace(/\/$/, '').split('/')[0];
        assert.ok(!ignored.includes(top), `COPY ${src}: excluded by .dockerignore`);
      }
    }
  }
  // What the CLI needs at run time is in dist/ after the build (the package's "files").
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  for (const f of pkg.files.filter((f) => f.startsWith('dist/'))) assert.ok(existsSync(join(ROOT, f)), f);
  // The build stage copies every entry point's folder that scripts/build.mjs builds.
  const build = readFileSync(join(ROOT, 'scripts', 'build.mjs'), 'utf8');
  const copied = copies.filter((c) => !c.args.includes('--from=')).flatMap((c) => c.args.split(/\s+/).slice(0, -1)).map((s) => s.replace(/\/$/, ''));
  for (const [, entry] of build.matchAll(/entryPoints: \['([^']+)'\]/g)) {
    assert.ok(copied.includes(entry.split('/')[0]), `the build stage lacks ${entry.split('/')[0]}/ (for ${entry})`);
  }
  assert.ok(readdirSync(join(ROOT, 'examples')).some((f) => f.endsWith('.load.ts')), 'examples for loadlens demo');
});

// Test data through the CLI: a CSV read once per process in the scenario's init code, each
// iteration takes a row unique across the whole run, also split over --workers processes; bad
// data files stop the run before any load (exit 2) naming the file and line. Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/protocol';
import { runCli } from './cli-helpers';
import { listenLoopback, type Listening } from '../servers/listen';

let tmp: string;
let listening: Listening;
let url: string;
/** The `id` query of every request the server received. */
let ids: string[] = [];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-data-'));
  const server: Server = createServer((req, res) => {
    ids.push(new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '');
    res.end('ok');
  });
  listening = await listenLoopback(server);
  url = listening.url;
  writeFileSync(join(tmp, 'users.csv'), 'id,name\n' + Array.from({ length: 200 }, (_, i) => `u${i},"user, number ${i}"`).join('\n') + '\n');
});
after(async () => {
  await listening.close();
  rmSync(tmp, { recursive: true, force: true });
});

function scenarioFile(name: string, load: string, pick = 'unique', rows = 'users.csv'): string {
  const file = join(tmp, name);
  writeFileSync(file, `import { scenario, csv, check } from 'loadlens';
const users = csv<{ id: string; name: string }>('${rows}');
export const data = scenario({
  load: ${load},
  async iteration(ctx) {
    const user = users.${pick}(ctx);
    check(user, { 'name came with its quotes removed': (u) => u.name === 'user, number ' + u.id.slice(1) });
    await ctx.http.get('/?id=' + user.id);
  },
});
`);
  return file;
}

for (const workers of [1, 2]) {
  test(`each iteration gets a row of its own across the run (shared iterations, --workers ${workers})`, async () => {
    ids = [];
    const r = await runCli(['run', scenarioFile(`shared-${workers}.load.ts`, '{ vus: 6, iterations: 150 }'), '--target', url, '--workers', String(workers)]);
    assert.equal(r.code, ExitCode.ok, r.stderr + r.stdout);
    assert.equal(ids.length, 150);
    assert.equal(new Set(ids).size, 150, 'no row used twice');
    assert.deepEqual([...ids].sort(), Array.from({ length: 150 }, (_, i) => `u${i}`).sort());
    assert.match(r.stdout, /✓ name came with its quotes removed/);
  });
}

test('constant VUs over two worker processes never share a row; running out of rows fails the iteration, not the run', async () => {
  ids = [];
  writeFileSync(join(tmp, 'few.csv'), 'id,name\n' + Array.from({ length: 20 }, (_, i) => `u${i},"user, number ${i}"`).join('\n') + '\n');
  const r = await runCli(['run', scenarioFile('vus.load.ts', "{ vus: 4, duration: '1s' }", 'unique', 'few.csv'), '--target', url, '--workers', '2']);
  // 4 VUs for a second on loopback use the 20 rows up: every row once, then failing iterations.
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.deepEqual([...ids].sort(), Array.from({ length: 20 }, (_, i) => `u${i}`).sort());
  assert.match(r.stdout + r.stderr, /iteration \d+ needs a unique row, but the file has 20; use cycle\(\)/);
});

test('perVU() gives every iteration of a VU the same row', async () => {
  ids = [];
  const r = await runCli(['run', scenarioFile('pervu.load.ts', '{ vus: 3, iterations: 30 }', 'perVU'), '--target', url, '--workers', '2']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.equal(ids.length, 30);
  assert.deepEqual([...new Set(ids)].sort(), ['u0', 'u1', 'u2']);
});

test('a broken CSV row, a missing file: exit 2 before any request, naming the data file and line and the scenario line', async () => {
  ids = [];
  writeFileSync(join(tmp, 'broken.csv'), 'id,name\nu0,a\nu1\nu2,c\n');
  const broken = join(tmp, 'broken.load.ts');
  writeFileSync(broken, `import { scenario, csv } from 'loadlens';\n\nconst rows = csv('broken.csv');\nexport const s = scenario({ load: { vus: 1, iterations: 1 }, async iteration({ http }) { await http.get('/?id=' + rows.length); } });\n`);
  let r = await runCli(['run', broken, '--target', url]);
  assert.equal(r.code, ExitCode.badOptions, r.stderr);
  assert.match(r.stderr, new RegExp(`broken\\.load\\.ts:3:\\d+: .*${join(tmp, 'broken.csv').replace(/[/.]/g, '\\$&')}:3: a row with the wrong number of fields`));

  const missing = join(tmp, 'missing.load.ts');
  writeFileSync(missing, `import { scenario, json } from 'loadlens';\nconst rows = json('nope.json');\nexport const s = scenario({ load: { vus: 1, iterations: 1 }, async iteration({ http }) { await http.get('/?id=' + rows.length); } });\n`);
  r = await runCli(['run', missing, '--target', url]);
  assert.equal(r.code, ExitCode.badOptions, r.stderr);
  assert.match(r.stderr, /missing\.load\.ts:2:\d+: .*nope\.json: no such file/);
  assert.equal(ids.length, 0, 'no request was sent');
});

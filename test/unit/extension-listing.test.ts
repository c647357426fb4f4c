// What the index shows when the runner's listing of a file meets static discovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { discoverScenarios } from '../../src/discovery';
import { mayHideScenarios, withListed } from '../../src/extension/workspace';
import { listScenarios } from '../../src/extension/runManager';
import type { PlanInfo } from '../../src/protocol';

const plan = (scenario: string, shape: string): PlanInfo => ({ scenario, model: 'closed', shape, plannedMs: 1000, maxVUs: 1 });

test('listed scenarios static discovery missed are added at their export line; a non-literal load takes the runner\'s shape', () => {
  const text = [
    "import { scenario } from 'loadlens';",
    "import { make, load } from './lib';",
    'export const seen = scenario({ load, async iteration() {} });',
    "export default make('/a');",
    "export * from './more';",
  ].join('\n');
  const result = withListed(discoverScenarios(text), [plan('seen', '2 VUs for 5s'), plan('default', '1 VU for 1s'), plan('fromStar', '3 VUs for 1s')], text);
  assert.deepEqual(result.scenarios.map((s) => [s.name, s.span.start.line, s.shape]), [
    ['seen', 2, '2 VUs for 5s'],
    ['default', 3, '1 VU for 1s'],
    // Re-exported with `export *`: the name is nowhere in the file; the lens goes on that line.
    ['fromStar', 4, '3 VUs for 1s'],
  ]);
  assert.deepEqual(result.scenarios[1].thresholds, []);
});

test('a file the runner could not list keeps what static discovery found', () => {
  const text = "import { scenario } from 'loadlens';\nexport const a = scenario({ load: { vus: 1, duration: '1s' }, async iteration() {} });\n";
  assert.deepEqual(withListed(discoverScenarios(text), undefined, text), discoverScenarios(text));
});

test('the runner is asked only about files whose exports static discovery did not all read', () => {
  const hides = (text: string) => mayHideScenarios(text, discoverScenarios(text));
  const head = "import { scenario } from 'loadlens';\n";
  const literal = "scenario({ load: { vus: 1, duration: '1s' }, async iteration() {} })";
  assert.equal(hides(`${head}export const a = ${literal};\nexport type T = string;\n`), false, 'plain scenarios: static discovery is enough');
  assert.equal(hides(`${head}const a = ${literal};\nconst b = ${literal};\nexport { a, b };\n`), false);
  assert.equal(hides(`${head}import { make } from './lib';\nexport const a = ${literal};\nexport const b = make();\n`), true, 'built by a helper');
  assert.equal(hides(`export * from './lib';\n`), true, 're-exported');
  assert.equal(hides(`${head}import { make } from './lib';\nconst a = ${literal};\nconst b = make();\nexport { a, b };\n`), true, 'a helper-built scenario in one export list with a plain one');
  assert.equal(hides(`${head}const a = ${literal};\nexport { a, type T };\ntype T = string;\n`), false, 'a type in the list declares nothing');
  assert.equal(hides(`${head}import { load } from './lib';\nexport const a = scenario({ load, async iteration() {} });\n`), true, 'a load static discovery cannot describe');
});

test('listing through the runner: helper-built scenarios are named; a file that never finishes loading is given up on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-list-'));
  try {
    const config = { runnerPath: resolve('dist/runner.js'), nodePath: () => undefined, resultsFolder: () => undefined };
    const built = join(dir, 'built.load.ts');
    writeFileSync(built, "import { scenario } from 'loadlens';\nconst make = () => scenario({ load: { vus: 2, iterations: 4 }, async iteration() {} });\nexport const a = make();\n");
    assert.deepEqual((await listScenarios(config, built))?.map((p) => [p.scenario, p.shape]), [['a', '4 iterations shared by 2 VUs (max 10m)']]);
    const stuck = join(dir, 'stuck.load.ts');
    writeFileSync(stuck, "import { scenario } from 'loadlens';\nfor (;;) {}\nexport const a = scenario({ async iteration() {} });\n");
    assert.equal(await listScenarios(config, stuck, 3000), undefined);
    const broken = join(dir, 'broken.load.ts');
    writeFileSync(broken, "export const a = ;\n");
    assert.equal(await listScenarios(config, broken), undefined, 'a file that does not compile lists nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

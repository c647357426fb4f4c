// The extension's exports, the test-hook API the code-server e2e suite reads through its probe
// extension (test/e2e/probe): activation as VS Code does it (activateWithTestHooks, what main.ts
// calls) on the fake VS Code API, with listeners attaching as another extension can, after
// activate() returned.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { activateWithTestHooks } from '../../src/extension/extension';
import type { RecordedEvent } from '../../src/extension/test-hooks';
import { UNTRUSTED_MESSAGE } from '../../src/extension/testing';
import { FakeVSCode, until } from './helpers/fake-vscode';

const dirs: string[] = [];
const disposeAll: Array<() => void> = [];
after(() => {
  for (const d of disposeAll) d();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SCENARIO = "import { scenario } from 'loadlens';\nexport const smoke = scenario({ load: { vus: 1, iterations: 1 }, async iteration() {} });\n";

test('the exports replay activation to a late listener, then report each event to each listener, as its own copy', async () => {
  const root = mkdtempSync(join(tmpdir(), 'loadlens-hooks-'));
  dirs.push(root);
  const fake = new FakeVSCode(root, resolve('.'));
  fake.writeFile('api.load.ts', SCENARIO);
  // Untrusted: the run command refuses (an event after activation) and nothing runs.
  fake.isTrusted = false;
  const context = fake.context();
  const api = activateWithTestHooks(fake.api, context);
  disposeAll.push(() => { for (const d of context.subscriptions) d.dispose(); });
  // Test hooks only: one method, and the object cannot be changed.
  assert.deepEqual(Object.keys(api), ['onDidRecord']);
  assert.ok(Object.isFrozen(api));

  // The probe's case: it attaches as soon as activate() has returned, before the first discovery ends.
  const first: RecordedEvent[] = [];
  const firstSub = api.onDidRecord((e) => first.push(e));
  const activated = await until('activated', () => first.find((e) => e.event === 'activated'));
  assert.equal(activated.isTrusted, false);
  assert.equal(typeof activated.at, 'number');
  assert.deepEqual(activated.files, [{ file: join(root, 'api.load.ts'), scenarios: ['smoke'] }]);

  // A listener attaching once activation is over still gets it, identical.
  const late: RecordedEvent[] = [];
  const lateSub = api.onDidRecord((e) => late.push(e));
  assert.deepEqual(late, [activated]);

  // Each listener has its own copy: what one changes, the others (and the extension) never see.
  (activated.files as unknown[]).length = 0;
  assert.equal((late[0].files as unknown[]).length, 1);

  // A listener that throws breaks neither the command nor the other listeners.
  disposeAll.push(api.onDidRecord(() => { throw new Error('a broken probe'); }).dispose);
  await fake.executeCommand('loadlens.run');
  assert.ok(fake.shown.some((m) => m.message === UNTRUSTED_MESSAGE), 'the user is told why');
  for (const seen of [first, late]) assert.deepEqual(seen.filter((e) => e.event === 'refused').map((e) => e.reason), ['untrusted']);

  // Events after activation are not kept: a new listener gets activation only. Disposed: no more.
  const after: RecordedEvent[] = [];
  api.onDidRecord((e) => after.push(e));
  assert.deepEqual(after.map((e) => e.event), ['activated']);
  lateSub.dispose();
  await fake.executeCommand('loadlens.run');
  assert.equal(first.filter((e) => e.event === 'refused').length, 2);
  assert.equal(late.filter((e) => e.event === 'refused').length, 1, 'a disposed listener hears nothing more');
  firstSub.dispose();
});

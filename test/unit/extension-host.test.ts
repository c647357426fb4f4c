// The extension's logic under plain Node: the Extension class gets a fake VS Code API
// (helpers/fake-vscode.ts) and forks the real runner (dist/runner.js) against the demo API on
// loopback. What is asserted is what the user sees in the editor: Test Explorer states and
// messages, lenses, the debug session VS Code is asked to start, the panel's content.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDemoServer, type DemoServer } from '../../src/demo/server';
import { Extension } from '../../src/extension/extension';
import { PANEL_VIEW_TYPE } from '../../src/extension/panel';
import { LENS_RUN } from '../../src/extension/lenses';
import { resultLensText } from '../../src/extension/results';
import { SET_CREDENTIALS_COMMAND, clusterSecretKey } from '../../src/extension/cluster';
import { initialState, reduce, type PanelState } from '../../src/view-model/reducers';
import type { ToPanel } from '../../src/view-model/messages';
import { FakeVSCode, TestRunProfileKind, CancellationTokenSource, until, type FakeTestController, type FakeWebviewPanel } from './helpers/fake-vscode';
import { attachAndContinue } from './helpers/cdp';

const extensionRoot = resolve('.');
let server: DemoServer;
const dirs: string[] = [];
const disposeAll: Array<() => void> = [];

before(async () => {
  assert.ok(existsSync(join(extensionRoot, 'dist', 'runner.js')), 'dist/runner.js is missing: run `npm run build` first');
  server = await startDemoServer({ latencyScale: 0, errorRate: 0 });
});
after(async () => {
  for (const d of disposeAll) d();
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Started {
  fake: FakeVSCode;
  controller: FakeTestController;
  events: Array<{ event: string; data: Record<string, unknown> }>;
}

/** A workspace folder with `files`, and the extension activated on it (first discovery done). */
async function activate(files: Record<string, string>, setup: (fake: FakeVSCode) => void = () => {}): Promise<Started> {
  const root = mkdtempSync(join(tmpdir(), 'loadlens-ext-'));
  dirs.push(root);
  const fake = new FakeVSCode(root, extensionRoot);
  for (const [path, text] of Object.entries(files)) fake.writeFile(path, text);
  setup(fake);
  const events: Started['events'] = [];
  const context = fake.context();
  const extension = new Extension(fake.api, context, { record: (event, data = {}) => events.push({ event, data }) });
  extension.activate();
  disposeAll.push(() => { for (const d of context.subscriptions) d.dispose(); });
  await extension.ready;
  return { fake, controller: fake.controllers[0], events };
}

const scenario = (name: string, body: { load: string; thresholds?: string }) => `import { scenario, check } from 'loadlens';

export const ${name} = scenario({
  target: '${server.url}',
  load: ${body.load},
  thresholds: {
    ${body.thresholds ?? "checks: ['rate > 0.99'],"}
  },
  async iteration({ http }) {
    const r = await http.get('/api/items');
    check(r, { 'is 200': (x) => x.status === 200 });
  },
});
`;

/** The panel page's state: every message the host posted, through the page's own reducer. */
function pageState(panel: FakeWebviewPanel): PanelState {
  return (panel.posted as ToPanel[]).reduce(reduce, initialState());
}

test('Test Explorer ▶: the scenario passes, its lens shows the result, the panel shows the finished run', async () => {
  const { fake, controller, events } = await activate({ 'api.load.ts': scenario('items', { load: '{ vus: 2, iterations: 20 }' }) });
  const [item] = controller.scenarios();
  assert.equal(item?.label, 'items');
  await controller.run([item]);
  const run = controller.runs.at(-1)!;
  assert.ok(run.ended, 'the test run ends');
  assert.equal(run.stateOf(item)?.state, 'passed', run.output);
  assert.match(run.output, /items/);
  const ended = events.find((e) => e.event === 'run-ended');
  assert.equal(ended?.data.verdict, 'passed');
  // The result lens above the scenario: the same text as the summary it came from.
  const uri = item.uri!;
  const summary = ended!.data.summary as Parameters<typeof resultLensText>[0];
  assert.ok(fake.lenses(uri).some((l) => l.title === resultLensText(summary)), JSON.stringify(fake.lenses(uri)));
  // The panel opened for the run and, through the page's reducer, shows it finished.
  const panel = fake.panels[0];
  assert.ok(panel, 'the panel opened on run');
  const state = pageState(panel);
  assert.equal(state.mode, 'finished');
  assert.equal(state.runs[0]?.summary?.metrics.http_reqs.values.count, 20);
});

test('a failing threshold fails the scenario with a message at the threshold\'s line', async () => {
  const text = scenario('slow', { load: '{ vus: 1, iterations: 5 }', thresholds: "http_req_duration: ['p(99) < 0.001']," });
  const { fake, controller } = await activate({ 'slow.load.ts': text }, (f) => { f.settings['loadlens.openPanelOnRun'] = false; });
  const [item] = controller.scenarios();
  await controller.run([item]);
  const verdict = controller.runs.at(-1)!.stateOf(item)!;
  assert.equal(verdict.state, 'failed');
  assert.equal(verdict.messages.length, 1);
  const [message] = verdict.messages;
  const line = text.split('\n').findIndex((l) => l.includes("'p(99) < 0.001'"));
  assert.equal(message.location?.range.start.line, line, 'the message points at the threshold');
  assert.equal(message.location?.uri.fsPath, item.uri!.fsPath);
  assert.match(message.message, /http_req_duration/);
  assert.equal(message.expectedOutput, 'p(99) < 0.001');
  assert.match(message.actualOutput ?? '', /\d/, 'the observed value');
  // The threshold's own lens says it failed.
  assert.ok(fake.lenses(item.uri!).some((l) => l.line === line && l.title.startsWith('✗')), JSON.stringify(fake.lenses(item.uri!)));
});

test('Stop in the Test Explorer: the run ends cancelled, not passed', async () => {
  const { controller, events } = await activate({ 'long.load.ts': scenario('long', { load: "{ vus: 2, duration: '2m' }" }) },
    (f) => { f.settings['loadlens.openPanelOnRun'] = false; });
  const [item] = controller.scenarios();
  const cts = new CancellationTokenSource();
  const done = controller.run([item], TestRunProfileKind.Run, cts);
  // Stop once the load is running (its first per-second line is in the output).
  const run = await until('the run to report progress', () => controller.runs.at(-1)?.output.includes('req/s') && controller.runs.at(-1));
  cts.cancel();
  await done;
  assert.ok(run.ended);
  assert.equal(run.stateOf(item)?.state, 'skipped');
  assert.match(run.output, /not counted as passed/);
  const ended = events.find((e) => e.event === 'run-ended')!;
  assert.equal(ended.data.cancelled, true);
  assert.equal(ended.data.ending, 'done', 'a graceful stop: the runner finished with a summary');
  assert.ok(ended.data.summary, 'the measured part is summarised');
});

test('the Debug profile asks VS Code to attach to the runner, which then runs one VU under the debugger', async () => {
  const { fake, controller, events } = await activate({ 'dbg.load.ts': scenario('dbg', { load: '{ vus: 10, iterations: 100 }' }) }, (f) => {
    f.settings['loadlens.openPanelOnRun'] = false;
    f.settings['loadlens.debugIterations'] = 3;
    // VS Code's JavaScript debugger: attach to the port of the request, continue on attach.
    f.onStartDebugging = async (config) => { await attachAndContinue(config.port as number); return true; };
  });
  const [item] = controller.scenarios();
  await controller.run([item], TestRunProfileKind.Debug);
  assert.equal(fake.debugRequests.length, 1);
  const { config, folder } = fake.debugRequests[0];
  assert.equal(config.type, 'node');
  assert.equal(config.request, 'attach');
  assert.equal(config.name, 'Loadlens: debug dbg');
  assert.ok(typeof config.port === 'number' && config.port > 0);
  assert.equal((folder as { uri: { fsPath: string } }).uri.fsPath, fake.root, 'in the scenario\'s workspace folder');
  const run = controller.runs.at(-1)!;
  assert.equal(run.name, 'Loadlens debug');
  assert.equal(run.stateOf(item)?.state, 'passed', run.output);
  const ended = events.find((e) => e.event === 'run-ended')!;
  assert.equal(ended.data.debug, true);
  // A debug run is one VU for loadlens.debugIterations iterations, not the scenario's load.
  assert.equal((ended.data.summary as { metrics: { http_reqs: { values: { count: number } } } }).metrics.http_reqs.values.count, 3);
});

test('lenses appear for the first scenario file created in a workspace that had none, and follow its edits', async () => {
  const { fake, controller } = await activate({}, (f) => { f.isTrusted = false; });
  assert.equal(controller.items.size, 0);
  // Untrusted: static discovery only (nothing of the file runs); the lens says to trust first.
  const changed = fake.nextLensChange();
  const uri = fake.writeFile('first.load.ts', scenario('first', { load: '{ vus: 1, iterations: 1 }' }));
  await changed;
  assert.deepEqual(fake.lenses(uri).map((l) => [l.line, l.command]), [[2, 'workbench.trust.manage']]);
  assert.deepEqual(controller.scenarios().map((i) => i.label), ['first']);
  fake.grantTrust();
  assert.deepEqual(fake.lenses(uri).filter((l) => l.line === 2).map((l) => l.title).slice(0, 2), [LENS_RUN, 'Debug']);
  // An edit on disk adding a scenario: its lenses and Test Explorer item follow.
  const again = fake.nextLensChange();
  fake.writeFile('first.load.ts', scenario('first', { load: '{ vus: 1, iterations: 1 }' }) + scenario('second', { load: '{ vus: 1, iterations: 1 }' }).replace(/^import.*\n/, ''));
  await again;
  const runLines = fake.lenses(uri).filter((l) => l.title === LENS_RUN).map((l) => l.line);
  assert.equal(runLines.length, 2, JSON.stringify(fake.lenses(uri)));
  assert.deepEqual(controller.scenarios().map((i) => i.label), ['first', 'second']);
});

test('the panel: a re-opened panel shows the last run; a panel restored after a reload shows its saved state', async () => {
  const { fake, controller } = await activate({ 'p.load.ts': scenario('shown', { load: '{ vus: 1, iterations: 7 }' }) });
  const [item] = controller.scenarios();
  await controller.run([item]);
  const first = fake.panels[0];
  const shown = pageState(first);
  assert.equal(shown.runs[0]?.summary?.metrics.http_reqs.values.count, 7);
  // The user closes the panel, then opens it again: the new page gets the run, not an empty view.
  first.dispose();
  await fake.executeCommand('loadlens.showPanel');
  const reopened = fake.panels.at(-1)!;
  assert.notEqual(reopened, first);
  await until('the re-opened page to receive the run', () => pageState(reopened).mode === 'finished');
  const again = pageState(reopened);
  assert.equal(again.runs[0]?.scenario, 'shown');
  assert.equal(again.runs[0]?.summary?.metrics.http_reqs.values.count, 7);
  assert.equal(again.history[0]?.scenario, 'shown', 'with the saved run in its history');
  // A window reload: VS Code hands the serializer a new panel and the state the page saved.
  const restored = await fake.restorePanel(PANEL_VIEW_TYPE, shown);
  await until('the restored page to receive its state', () => pageState(restored).mode === 'finished');
  assert.equal(pageState(restored).runs[0]?.summary?.metrics.http_reqs.values.count, 7);
});

test('trusted: scenarios built by a helper or re-exported are found by asking the runner; untrusted: not until trust is granted', async () => {
  const files = {
    'lib/make.ts': `import { scenario } from 'loadlens';
export function make(path: string) {
  return scenario({ target: '${server.url}', load: { vus: 1, iterations: 3 }, async iteration({ http }) { await http.get(path); } });
}
export const shared = make('/api/items');
`,
    'built.load.ts': `import { make } from './lib/make';

export const built = make('/api/items');
export { shared } from './lib/make';
`,
  };
  const { fake, controller } = await activate(files, (f) => { f.isTrusted = false; f.settings['loadlens.openPanelOnRun'] = false; });
  // Static discovery cannot see either scenario, and an untrusted workspace runs none of the file.
  assert.deepEqual(controller.scenarios().map((i) => i.label), []);
  fake.grantTrust();
  await until('the runner\'s listing', () => controller.scenarios().length === 2);
  const uri = controller.items.all()[0].uri!;
  // At their export lines, described as the runner plans them.
  assert.deepEqual(controller.scenarios().map((i) => [i.label, i.range?.start.line]), [['built', 2], ['shared', 3]]);
  assert.deepEqual(controller.scenarios().map((i) => i.description), ['3 iterations shared by 1 VU (max 10m)', '3 iterations shared by 1 VU (max 10m)']);
  assert.deepEqual(fake.lenses(uri).filter((l) => l.title === LENS_RUN).map((l) => l.line), [2, 3]);
  // And such a scenario runs like any other.
  const built = controller.scenarios()[0];
  await controller.run([built]);
  assert.equal(controller.runs.at(-1)!.stateOf(built)?.state, 'passed', controller.runs.at(-1)!.output);
  // A save is listed again: a third helper-built scenario appears.
  fake.writeFile('built.load.ts', `${files['built.load.ts']}export const more = make('/api/items');\n`);
  await until('the listing after the save', () => controller.scenarios().length === 3);
  assert.deepEqual(controller.scenarios().map((i) => [i.label, i.range?.start.line]), [['built', 2], ['shared', 3], ['more', 4]]);
  // Rewritten as plain scenarios only: static discovery is the truth again, the old listing is gone.
  fake.writeFile('built.load.ts', scenario('plain', { load: '{ vus: 1, iterations: 1 }' }));
  await until('the plain file\'s items', () => controller.scenarios().map((i) => i.label).join() === 'plain');
});

test('Set Cluster Credentials keeps the token in secret storage for the configured server, and an empty answer forgets it', async () => {
  const { fake, events } = await activate({}, (f) => { f.settings['loadlens.cluster.natsUrl'] = 'nats://nats.example:4222'; });
  fake.inputAnswers.push('  s3cret  ');
  await fake.executeCommand(SET_CREDENTIALS_COMMAND);
  assert.equal(fake.inputBoxes[0]?.password, true, 'typed into a password box');
  assert.equal(fake.secrets.get(clusterSecretKey('nats://nats.example:4222')), 's3cret');
  assert.ok(!JSON.stringify(fake.settings).includes('s3cret'), 'never in settings');
  assert.deepEqual(events.filter((e) => e.event === 'cluster-credentials').map((e) => e.data.stored), [true]);
  fake.inputAnswers.push('');
  await fake.executeCommand(SET_CREDENTIALS_COMMAND);
  assert.equal(fake.secrets.size, 0);
});

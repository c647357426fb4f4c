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
import { initialState, reduce, type PanelState } from '../../webview/reducers';
import type { ToPanel } from '../../webview/messages';
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

// End to end in a real VS Code: code-server 4.139.1 (VS Code 1.139.1, Node 24 extension host)
// driven through headless Chromium, with the packaged .vsix installed into a fresh profile.
// test/e2e/setup.sh installs the pieces; the recipe is /work/shared/notes/vscode-e2e.md.
//
// Trusted: click `▶ Run` above a scenario that loads a loopback test server, watch the panel's
// numbers change while live, compare its final figures with the runner's summary (which the
// extension writes to LOADLENS_E2E_OUT) and with the server's own request count, then see the
// Test Explorer verdict and the failing threshold reported at its line.
// Untrusted: trust enabled, folder not trusted: the lens says why, and nothing reaches the server.
// First run: a folder with no scenario and no node_modules; the api.load.ts a user creates gets
// its lens without a reload, and TypeScript (through the extension's tsserver plugin) knows
// loadlens's types: no diagnostics, typed hovers and completions, a real mistake reported.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { startTarget, type RunningServer } from '../servers/target';
import { summaryPercentile } from '../../webview/reducers';
import type { SummaryData, ThresholdVerdict } from '../../src/engine/types';

const ROOT = resolve(__dirname, '..', '..');
const E2E = join(ROOT, '.e2e');
const NODE24_BIN = join(E2E, 'node_modules', '.bin');
const NODE24 = join(E2E, 'node_modules', 'node', 'bin', 'node');
const CODE_SERVER = join(E2E, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const SHOTS = join(ROOT, 'test-results', 'screenshots');
const EXT_ID = 'loadlens.loadlens';
const SCENARIO_FILE = 'api.load.ts';

/** PATH with Node 24 first: code-server and vsce 4 need it (recipe P2, P12). */
const env24 = { ...process.env, PATH: `${NODE24_BIN}:${process.env.PATH}` };

interface E2eEvent { event: string; at: number; [k: string]: unknown }

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

let vsix = '';
let browser: Browser;
const started = Date.now();

before(async () => {
  assert.ok(existsSync(CODE_SERVER), `code-server missing at ${CODE_SERVER}: run bash test/e2e/setup.sh`);
  // Build and package the extension exactly as a user would get it (LOADLENS_VSIX: use that one).
  if (!process.env.LOADLENS_VSIX) {
    const pkg = spawnSync('npm', ['run', 'package'], { cwd: ROOT, env: env24, encoding: 'utf8' });
    assert.equal(pkg.status, 0, `npm run package failed:\n${pkg.stdout}\n${pkg.stderr}`);
  }
  const built = readdirSync(ROOT).filter((f) => f.endsWith('.vsix')).map((f) => join(ROOT, f));
  built.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  vsix = process.env.LOADLENS_VSIX ?? built[0];
  assert.ok(vsix && existsSync(vsix), 'npm run package produced no .vsix');
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  console.log(`# e2e total ${((Date.now() - started) / 1000).toFixed(1)} s (vsix ${vsix ? (statSync(vsix).size / 1024).toFixed(0) : '?'} KiB)`);
});

/** One code-server instance with a fresh profile, workspace and extension install. */
class VsCodeServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'loadlens-e2e-'));
  readonly workspace = join(this.dir, 'workspace');
  readonly eventsPath = join(this.dir, 'events.jsonl');
  port = 0;
  private proc: ChildProcess | undefined;

  /** `settings` override the defaults below, `extensions` are more .vsix files to install, `env` reaches the extension host. */
  constructor(private readonly trust: 'disabled' | 'enabled', private readonly opts: { settings?: Record<string, unknown>; extensions?: string[]; env?: NodeJS.ProcessEnv } = {}) {}

  private args(): string[] {
    return [CODE_SERVER, '--config', join(this.dir, 'config.yaml'), '--user-data-dir', join(this.dir, 'user-data'), '--extensions-dir', join(this.dir, 'extensions')];
  }

  async start(files: Record<string, string>): Promise<void> {
    this.port = await freePort();
    writeFileSync(join(this.dir, 'config.yaml'), `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
    mkdirSync(join(this.dir, 'user-data', 'User'), { recursive: true });
    writeFileSync(join(this.dir, 'user-data', 'User', 'settings.json'), JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'editor.codeLens': true,
      'git.enabled': false,
      'chat.disableAIFeatures': true,
      // The scenario is TypeScript: keep tsserver from competing for the 2 cores.
      'typescript.validate.enable': false,
      'typescript.suggest.enabled': false,
      ...(this.trust === 'disabled' ? { 'security.workspace.trust.enabled': false } : {}),
      ...this.opts.settings,
    }, null, 2));
    mkdirSync(this.workspace, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.workspace, name), text);

    for (const ext of [vsix, ...(this.opts.extensions ?? [])]) {
      const install = spawnSync(NODE24, [...this.args(), '--install-extension', ext], { env: env24, encoding: 'utf8' });
      assert.match(install.stdout + install.stderr, /was successfully installed/, `install failed: ${install.stdout}${install.stderr}`);
    }
    const list = spawnSync(NODE24, [...this.args(), '--list-extensions', '--show-versions'], { env: env24, encoding: 'utf8' });
    assert.match(list.stdout, new RegExp(EXT_ID.replace('.', '\\.'), 'i'));

    // Its own process group, so teardown reaches the extension host, runner and tsserver (P14).
    this.proc = spawn(NODE24, [
      ...this.args(), '--disable-telemetry', '--disable-update-check', '--ignore-last-opened',
      ...(this.trust === 'disabled' ? ['--disable-workspace-trust'] : []), this.workspace,
    ], { env: { ...env24, ...this.opts.env, LOADLENS_E2E_OUT: this.eventsPath }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    this.proc.stdout!.on('data', (d) => log.push(String(d)));
    this.proc.stderr!.on('data', (d) => log.push(String(d)));
    // /healthz answers before VS Code can serve; the workbench page must answer too (P5).
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${this.port}/healthz`).then((r) => r.ok, () => false)
        && await fetch(this.url()).then((r) => r.status === 200, () => false);
      if (ok) break;
      assert.ok(i < 300 && this.proc.exitCode === null, `code-server did not come up:\n${log.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  url(): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
  }

  events(): E2eEvent[] {
    if (!existsSync(this.eventsPath)) return [];
    return readFileSync(this.eventsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as E2eEvent);
  }

  async stop(): Promise<void> {
    const pid = this.proc?.pid;
    if (pid) {
      const alive = () => { try { process.kill(-pid, 0); return true; } catch { return false; } };
      try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive()) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    }
    if (!process.env.KEEP_E2E) rmSync(this.dir, { recursive: true, force: true });
  }
}

function scenarioFile(target: string): string {
  // Line numbers matter: the test looks for the failing threshold's report at line 20.
  return [
    "import { scenario, check } from 'loadlens';",                       // 1
    '',                                                                   // 2
    'export const smoke = scenario({',                                    // 3
    `  target: '${target}',`,                                             // 4
    "  load: { rate: 25, duration: '8s', maxVUs: 10 },",                  // 5
    '  thresholds: {',                                                    // 6
    "    http_req_duration: ['p(99) < 5000'],",                           // 7
    "    http_req_failed: ['rate < 0.5'],",                               // 8
    '  },',                                                               // 9
    '  async iteration({ http }) {',                                      // 10
    "    const res = await http.get('/fast');",                           // 11
    "    check(res, { 'status is 200': (r) => r.status === 200 });",     // 12
    '  },',                                                               // 13
    '});',                                                                // 14
    '',                                                                   // 15
    'export const strict = scenario({',                                   // 16
    `  target: '${target}',`,                                             // 17
    "  load: { vus: 2, duration: '2s' },",                                // 18
    '  thresholds: {',                                                    // 19
    "    http_req_duration: ['p(50) < 0.001'],",                          // 20
    '  },',                                                               // 21
    '  async iteration({ http }) {',                                      // 22
    "    await http.get('/json');",                                       // 23
    '  },',                                                               // 24
    '});',                                                                // 25
    '',
  ].join('\n');
}

async function openWorkbench(server: VsCodeServer): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  await page.goto(server.url(), { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  return page;
}

/** Quick Open (Ctrl+P), retried: the file index can lag behind the workbench (P11). */
async function openFile(page: Page, name: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab', { hasText: name });
  for (let attempt = 0; attempt < 20 && !(await tab.isVisible()); attempt++) {
    await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } }).catch(() => {});
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(name);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name });
    if (await row.first().waitFor({ timeout: 3_000 }).then(() => true, () => false)) await page.keyboard.press('Enter');
    else await page.keyboard.press('Escape');
    await tab.waitFor({ timeout: 3_000 }).catch(() => {});
  }
  await tab.waitFor({ timeout: 5_000 });
}

/** Runs a command from the palette (F1), by its full title. */
async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title.replace(/^[^:]*: /, '') }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
}

function lens(page: Page, text: string | RegExp) {
  return page.locator('.monaco-editor .codelens-decoration a', { hasText: text });
}

function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

async function waitForEvent(server: VsCodeServer, pick: (e: E2eEvent) => boolean, what: string, timeoutMs = 120_000): Promise<E2eEvent> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = server.events().find(pick);
    if (found) return found;
    assert.ok(Date.now() < until, `no ${what} event; events so far: ${server.events().map((e) => e.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, name) });
}

describe('Loadlens in a real VS Code (code-server)', () => {
  test('trusted: ▶ Run streams live numbers into the panel, ends at the runner summary, and the Test Explorer shows the verdicts', async () => {
    const target: RunningServer = await startTarget();
    const server = new VsCodeServer('disabled');
    let page: Page | undefined;
    try {
      await server.start({ [SCENARIO_FILE]: scenarioFile(target.url) });
      page = await openWorkbench(server);
      const activated = await waitForEvent(server, (e) => e.event === 'activated', 'activated');
      console.log(`# VS Code ${activated.vscodeVersion}, extension host Node ${activated.node}, trusted ${activated.isTrusted}`);
      assert.equal(activated.isTrusted, true);
      await openFile(page, SCENARIO_FILE);
      const runLenses = lens(page, '▶ Run');
      await runLenses.first().waitFor({ timeout: 60_000 });
      assert.equal(await runLenses.count(), 2, 'one ▶ Run lens per scenario');
      await shot(page, 'e2e-01-lenses.png');

      // The panel open and listening first, as a user who watches runs keeps it: on 2 busy cores
      // a webview can take longer to load than a short run lasts.
      await runCommand(page, 'Loadlens: Show Panel');
      const frame = panelFrame(page);
      await frame.locator('body[data-state="idle"]').waitFor({ timeout: 60_000 });
      await page.locator('.tabs-container .tab', { hasText: SCENARIO_FILE }).click();

      // Record every value the panel shows, from inside the page: polling through two iframes
      // from here can be slower than the one-second updates on a loaded machine.
      await frame.locator('body').evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { __seen: string[] }).__seen = seen;
        const requests = document.getElementById('requests')!;
        new MutationObserver(() => seen.push(`${document.body.dataset.state}:${requests.dataset.value}`))
          .observe(requests, { attributes: true, attributeFilter: ['data-value'] });
      });

      // ▶ Run on `smoke` (the first scenario).
      await runLenses.first().click();
      await frame.locator('body:not([data-state="idle"])').waitFor({ timeout: 60_000 });
      assert.notEqual(await frame.locator('body').evaluate(() => getComputedStyle(document.body).getPropertyValue('--ll-p99').trim()), '', 'the panel stylesheet loaded');
      // A screenshot mid-run, once a few seconds are drawn.
      for (let i = 0; i < 40; i++) {
        const [state, points] = await frame.locator('body').evaluate(() => [document.body.dataset.state, Number(document.body.dataset.points)] as const);
        if (state !== 'live') break;
        if (points >= 3) { await shot(page, 'e2e-02-panel-live.png'); break; }
        await page.waitForTimeout(250);
      }
      await frame.locator('body[data-state="finished"]').waitFor({ timeout: 60_000 });
      const seen = await frame.locator('body').evaluate(() => (window as unknown as { __seen: string[] }).__seen);
      const liveRequests = new Set(seen.filter((v) => v.startsWith('live:') && v !== 'live:').map((v) => v.slice(5)));
      assert.ok(liveRequests.size >= 2, `the panel updated while live: request totals shown ${seen.join(', ')}`);
      const ended = await waitForEvent(server, (e) => e.event === 'run-ended' && e.scenario === 'smoke', 'run-ended (smoke)');
      const summary = ended.summary as SummaryData;
      assert.ok(summary, 'the runner sent a summary');
      const requests = summary.metrics.http_reqs.values.count;
      assert.ok(requests >= 180 && requests <= 210, `25/s for 8 s: ${requests}`);
      assert.equal(target.counts.get('fast'), requests, 'the server received exactly the requests the runner counted');
      assert.equal(await frame.locator('#requests').getAttribute('data-value'), String(requests), 'panel total = runner summary');
      assert.equal(Number(await frame.locator('#p99').getAttribute('data-value')), summaryPercentile(summary, 99), 'panel p99 = runner summary');
      assert.match(await frame.locator('#status').innerText(), /Finished: smoke completed/);
      assert.equal(ended.verdict, 'passed');
      const checkRow = frame.locator('#checks tr[data-check="status is 200"]');
      assert.match(await checkRow.innerText(), new RegExp(`status is 200\\s+${requests.toLocaleString('en-US')}\\s+0\\s+100%`));
      assert.ok(((await frame.locator('#summary-box').boundingBox())?.height ?? 0) > 50, 'summary table shown');
      const rendered = server.events().filter((e) => e.event === 'panel-rendered' && e.mode === 'finished').pop();
      assert.equal(rendered?.paintedCharts, 4, 'the page reported four painted charts');
      assert.equal(rendered?.requests, requests);
      await page.waitForTimeout(300); // let the canvas paint before the screenshot
      await shot(page, 'e2e-03-panel-finished.png');
      await page.locator('iframe.webview.ready').first().screenshot({ path: join(SHOTS, 'e2e-04-panel-only.png') });

      // The result lens and the threshold lenses after the run.
      await lens(page, /thresholds ✓ 2\/2/).first().waitFor({ timeout: 30_000 });

      // ▶ Run on `strict`: its threshold fails, at line 20.
      await page.locator('.tabs-container .tab', { hasText: SCENARIO_FILE }).click();
      await lens(page, '▶ Run').nth(1).click();
      const strictEnded = await waitForEvent(server, (e) => e.event === 'run-ended' && e.scenario === 'strict', 'run-ended (strict)');
      assert.equal(strictEnded.verdict, 'failed');
      const failed = (strictEnded.thresholds as ThresholdVerdict[]).filter((t) => !t.ok);
      assert.deepEqual(failed.map((t) => `${t.metric}: ${t.expression}`), ['http_req_duration: p(50) < 0.001']);
      assert.ok((target.counts.get('json') ?? 0) > 0);
      await frame.locator('body[data-state="finished"][data-scenario="strict"]').waitFor({ timeout: 30_000 });
      assert.equal(await frame.locator('#thresholds li[data-ok="false"]').count(), 1);

      // The Test Explorer: smoke passed, strict failed.
      await page.locator('.tabs-container .tab', { hasText: SCENARIO_FILE }).click();
      await runCommand(page, 'Testing: Focus on Test Explorer View');
      const tree = page.locator('.test-explorer');
      await tree.waitFor({ timeout: 30_000 });
      // Expand the file item to show its scenarios.
      const fileRow = tree.locator('.monaco-list-row', { hasText: SCENARIO_FILE });
      await fileRow.first().waitFor({ timeout: 30_000 });
      if ((await fileRow.first().getAttribute('aria-expanded')) === 'false') await fileRow.first().click();
      const smokeRow = tree.locator('.monaco-list-row', { hasText: /^smoke/ });
      const strictRow = tree.locator('.monaco-list-row', { hasText: /^strict/ });
      await smokeRow.locator('.codicon-testing-passed-icon').waitFor({ timeout: 30_000 });
      await strictRow.locator('.codicon-testing-failed-icon').waitFor({ timeout: 30_000 });

      // The failing threshold is reported at its own line in the editor (line 20): VS Code 1.139
      // draws a failed TestMessage in a widget after the end of the line it is located at.
      const line20 = page.locator('.part.editor .monaco-editor .view-line', { hasText: "http_req_duration: ['p(50) < 0.001']" });
      let inline: { text: string; y: number } | undefined;
      for (let i = 0; i < 60 && !inline; i++) {
        // Wherever this VS Code draws it (injected text, a ::after decoration or a widget): the
        // element in the editor whose own text or pseudo-element content is the message.
        const found = await page.locator('.part.editor .monaco-editor').first().evaluate((root) => {
          const out: Array<{ text: string; y: number; cls: string }> = [];
          for (const e of Array.from(root.querySelectorAll('*'))) {
            const own = Array.from(e.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join('');
            const text = `${own} ${getComputedStyle(e, '::before').content} ${getComputedStyle(e, '::after').content}`.replace(/\u00a0/g, ' ');
            if (!/p\(50\) =/.test(text) || e.closest('.codelens-decoration')) continue; // not the threshold lens
            const r = e.getBoundingClientRect();
            out.push({ text, y: r.y + r.height / 2, cls: String(e.className) });
          }
          return out;
        });
        inline = found.find((m) => m.text.includes('p(50)'));
        if (!inline) await page.waitForTimeout(500);
      }
      assert.ok(inline, 'an inline test message for the failed threshold');
      console.log(`# failed threshold message: ${JSON.stringify(inline)}`);
      assert.match(inline.text, /p\(50\) = [\d.]+ ms/);
      const lineBox = (await line20.boundingBox())!;
      assert.ok(Math.abs(inline.y - (lineBox.y + lineBox.height / 2)) < lineBox.height / 2,
        `the message sits on line 20 (message y ${inline.y}, line 20 y ${lineBox.y})`);
      await shot(page, 'e2e-05-test-explorer.png');

      // Stop from the panel ends a run gracefully, with a summary of what it measured.
      await page.locator('.tabs-container .tab', { hasText: SCENARIO_FILE }).click();
      await lens(page, '▶ Run').first().click();
      await frame.locator('body[data-state="live"][data-scenario="smoke"]').waitFor({ timeout: 60_000 });
      for (let i = 0; i < 120; i++) { // until two seconds are drawn
        if (await frame.locator('body').evaluate(() => Number(document.body.dataset.points) >= 2)) break;
        await page.waitForTimeout(100);
      }
      await frame.locator('#stop').click();
      const stopped = await waitForEvent(server, (e) => e.event === 'run-ended' && e.scenario === 'smoke' && e.cancelled === true, 'run-ended (stopped)');
      const stoppedSummary = stopped.summary as SummaryData;
      assert.equal(stoppedSummary.state.status, 'cancelled');
      assert.ok(stoppedSummary.state.testRunDurationMs < 7000, `stopped before the planned 8 s (${stoppedSummary.state.testRunDurationMs} ms)`);
      await frame.locator('body[data-state="finished"]').waitFor({ timeout: 30_000 });
      assert.match(await frame.locator('#status').innerText(), /smoke cancelled/);
      assert.equal(await frame.locator('#requests').getAttribute('data-value'), String(stoppedSummary.metrics.http_reqs.values.count));
      await shot(page, 'e2e-07-stopped-from-panel.png');
    } catch (err) {
      if (page) {
        await shot(page, 'FAIL-trusted.png').catch(() => {});
        const lines = await page.locator('.part.editor').first().innerHTML().catch(() => '');
        writeFileSync(join(SHOTS, 'FAIL-trusted-editor.html'), lines);
      }
      throw err;
    } finally {
      await page?.context().close();
      await server.stop();
      await target.close();
    }
  });

  test('first run: a new api.load.ts in a folder without npm install gets lenses and loadlens types, no errors', async () => {
    // The probe extension reports what VS Code's TypeScript features say (diagnostics, hovers,
    // completions) through the public API; it is packaged from test/e2e/probe as it is.
    const probeVsix = join(mkdtempSync(join(tmpdir(), 'loadlens-probe-')), 'probe.vsix');
    const pack = spawnSync(join(NODE24_BIN, 'vsce'), ['package', '--allow-missing-repository', '--skip-license', '--out', probeVsix],
      { cwd: join(__dirname, 'probe'), env: env24, encoding: 'utf8' });
    assert.equal(pack.status, 0, `probe packaging failed:\n${pack.stdout}\n${pack.stderr}`);
    const server = new VsCodeServer('disabled', {
      // TypeScript on, as in a user's editor (the other tests turn it off to save CPU).
      settings: { 'typescript.validate.enable': true, 'typescript.suggest.enabled': true },
      extensions: [probeVsix],
      env: { LOADLENS_PROBE_OUT: join(dirname(probeVsix), 'probe.json') },
    });
    let page: Page | undefined;
    try {
      // A folder with no scenario, no package.json, no node_modules: workspaceContains does not fire.
      await server.start({ 'README.md': '# my service\n' });
      page = await openWorkbench(server);
      assert.ok(!existsSync(join(server.workspace, 'node_modules')));
      // The user creates the file (what a user types, as the README shows it) and opens it.
      writeFileSync(join(server.workspace, 'api.load.ts'), [
        "import { scenario, check } from 'loadlens';",
        '',
        'export const api = scenario({',
        "  target: 'http://127.0.0.1:9',",
        "  load: { vus: 1, duration: '1s' },",
        "  thresholds: { http_req_duration: ['p(95) < 500'] },",
        '  async iteration({ http, vu }) {',
        "    const res = await http.get('/items', { tags: { name: 'items' } });",
        "    check(res, { 'status is 200': (r) => r.status === 200 && vu.id > 0 });",
        '  },',
        '});',
        '',
      ].join('\n'));
      await openFile(page, 'api.load.ts');
      // Lenses without a reload: opening a TypeScript file activates the extension.
      await lens(page, '▶ Run').first().waitFor({ timeout: 60_000 });
      assert.equal(await lens(page, '▶ Run').count(), 1);
      await shot(page, 'e2e-08-first-file-lens.png');

      await runCommand(page, 'Loadlens Probe: Check Types');
      const out = join(dirname(probeVsix), 'probe.json');
      for (let i = 0; i < 1200 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 250));
      assert.ok(existsSync(out), 'the probe reported');
      const report = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
      console.log(`# probe: ${JSON.stringify(report)}`);
      assert.equal(report.error, undefined);
      assert.match(String(report.scenarioHover), /scenario<\w+>\(options: ScenarioOptions<\w+>\): ScenarioDefinition/);
      assert.match(String(report.httpHover), /http: HttpClient/, 'the iteration parameters are typed');
      assert.match(String(report.resHover), /res: HttpResponse/);
      for (const m of ['get', 'post', 'put', 'patch', 'del', 'head', 'request']) {
        assert.ok((report.completions as string[]).includes(m), `completion offers http.${m}`);
      }
      // The negative check: one error, the mistake itself, found through loadlens's types.
      assert.deepEqual((report.broken as Array<{ message: string }>).map((d) => d.message), ["Property 'gett' does not exist on type 'HttpClient'. Did you mean 'get'?"]);
      assert.deepEqual(report.fixed, [], 'no diagnostics on the file as the user wrote it');
      await page.locator('.tabs-container .tab', { hasText: 'api.load.ts' }).click();
      await shot(page, 'e2e-09-first-file-types.png');
    } catch (err) {
      if (page) await shot(page, 'FAIL-first-run.png').catch(() => {});
      throw err;
    } finally {
      await page?.context().close();
      await server.stop();
      rmSync(dirname(probeVsix), { recursive: true, force: true });
    }
  });

  test('untrusted: the lens says why and nothing runs', async () => {
    const target: RunningServer = await startTarget();
    const server = new VsCodeServer('enabled');
    let page: Page | undefined;
    try {
      await server.start({ [SCENARIO_FILE]: scenarioFile(target.url) });
      page = await openWorkbench(server);
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: 60_000 });
      const activated = await waitForEvent(server, (e) => e.event === 'activated', 'activated');
      assert.equal(activated.isTrusted, false);
      await openFile(page, SCENARIO_FILE);
      const why = lens(page, 'trust this workspace to run');
      await why.first().waitFor({ timeout: 60_000 });
      assert.equal(await why.count(), 2, 'each scenario says why it cannot run');
      assert.equal(await lens(page, '▶ Run').count(), 0, 'no ▶ Run lens');
      // The command itself refuses too (a command can be called without its lens).
      await runCommand(page, 'Loadlens: Run Scenario');
      await waitForEvent(server, (e) => e.event === 'refused', 'refused', 30_000);
      await shot(page, 'e2e-06-untrusted.png');
      assert.equal(server.events().filter((e) => e.event === 'run-started').length, 0, 'no run started');
      assert.equal([...target.counts.values()].reduce((a, b) => a + b, 0), 0, 'the server received zero requests');
    } catch (err) {
      if (page) await shot(page, 'FAIL-untrusted.png').catch(() => {});
      throw err;
    } finally {
      await page?.context().close();
      await server.stop();
      await target.close();
    }
  });
});

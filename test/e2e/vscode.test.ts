// End to end in a real VS Code: code-server 4.139.1 (VS Code 1.139.1, Node 24 extension host)
// driven through headless Chromium, with the packaged .vsix installed into a fresh profile.
// test/e2e/setup.sh installs the pieces; the recipe is /work/shared/notes/vscode-e2e.md.
//
// Trusted: click `▶ Run` above a scenario that loads a loopback test server, watch the panel's
// numbers change while live, compare its final figures with the runner's summary (which the
// extension reports through its test-hook API, written out by the harness's probe extension) and
// with the server's own request count, then see the Test Explorer verdict and the failing
// threshold reported at its line.
// Untrusted: trust enabled, folder not trusted: the lens says why, and nothing reaches the server.
// First run: a folder with no scenario and no node_modules; the api.load.ts a user creates gets
// its lens without a reload, and TypeScript (through the extension's tsserver plugin) knows
// loadlens's types: no diagnostics, typed hovers and completions, a real mistake reported.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  SHOTS, VsCodeServer, lens, openFile, openWorkbench, panelFrame, runCommand, setUpE2e, shot, tearDownE2e, waitForEvent,
} from './harness';
import { startTarget, type RunningServer } from '../servers/target';
import { summaryPercentile } from '../../src/view-model/reducers';
import type { SummaryData, ThresholdVerdict } from '../../src/engine/types';

const SCENARIO_FILE = 'api.load.ts';

before(setUpE2e);
after(tearDownE2e);

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
    // The harness's probe extension (test/e2e/probe) reports what VS Code's TypeScript features
    // say (diagnostics, hovers, completions) through the public API.
    const server = new VsCodeServer('disabled', {
      // TypeScript on, as in a user's editor (the other tests turn it off to save CPU).
      settings: { 'typescript.validate.enable': true, 'typescript.suggest.enabled': true },
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
      const out = server.probeReportPath;
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

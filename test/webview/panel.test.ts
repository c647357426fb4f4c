// The panel page alone in headless Chromium: the built dist/webview.js and dist/webview.css,
// HTML from renderPanelHtml with a real nonce and CSP, served over http on 127.0.0.1, a stub
// acquireVsCodeApi (the one thing VS Code adds) injected by a nonce'd script, fed protocol
// messages through window.postMessage exactly as the webview host delivers them.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { renderPanelHtml } from '../../src/view-model/html';
import type { FromPanel, SavedRun, ToPanel } from '../../src/view-model/messages';
import type { FromRunner } from '../../src/protocol';
import type { SummaryData } from '../../src/engine/types';
import { launchChromium } from '../e2e/browser';
import { HOSTILE, hostileRun, recordedRun } from './fixture';
import { formatSummary } from '../../src/presentation/summary-text';
import { discoverScenarios } from '../../src/discovery';
import { resultLensText, thresholdFailure, thresholdLensText } from '../../src/extension/results';
import { runListItemOf } from '../../src/report/saved-runs';
import { runDescription } from '../../src/extension/runsView';

const DIST = join(__dirname, '..', '..', 'dist');

// What VS Code provides: acquireVsCodeApi (once per page), with state kept across reloads
// (sessionStorage here), and a record of CSP violations and of the page's posted messages.
const STUB = `
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }));
window.__posted = [];
let acquired = false;
window.acquireVsCodeApi = () => {
  if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
  acquired = true;
  return {
    postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => JSON.parse(sessionStorage.getItem('vscode-state') ?? 'null'),
    setState: (s) => sessionStorage.setItem('vscode-state', JSON.stringify(s)),
  };
};`;

declare global {
  interface Window {
    __csp: Array<{ directive: string; blocked: string; sample: string }>;
    __posted: FromPanel[];
    __pwned?: number;
  }
}

let server: Server;
let base = '';
let browser: Browser;
const unexpectedRequests: string[] = [];

before(async () => {
  for (const f of ['webview.js', 'webview.css']) {
    if (!existsSync(join(DIST, f))) throw new Error(`dist/${f} missing: run \`npm run build\` first`);
  }
  // Read once: a concurrent rebuild cannot pull the files away mid-test.
  const files: Record<string, [string, Buffer]> = {
    '/webview.js': ['text/javascript', readFileSync(join(DIST, 'webview.js'))],
    '/webview.css': ['text/css', readFileSync(join(DIST, 'webview.css'))],
    '/stub.js': ['text/javascript', Buffer.from(STUB)],
  };
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      const nonce = randomBytes(18).toString('base64');
      const html = renderPanelHtml({ cspSource: base, nonce, scriptUri: `${base}/webview.js`, styleUri: `${base}/webview.css`, title: 'orders.load.ts <img src=x onerror="window.__pwned=9">' })
        .replace('<script nonce=', `<script nonce="${nonce}" src="/stub.js"></script>\n<script nonce=`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const file = files[url.pathname];
    if (file) { res.writeHead(200, { 'content-type': file[0] }).end(file[1]); return; }
    if (url.pathname === '/favicon.ico') { res.writeHead(204).end(); return; } // the browser's own request
    unexpectedRequests.push(url.pathname);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

const pageErrors = new WeakMap<Page, string[]>();

async function openPanel(width = 1200, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  pageErrors.set(page, errors);
  await page.goto(base);
  await page.waitForFunction(() => window.__posted?.some((m) => m.type === 'ready'));
  return page;
}

function send(page: Page, messages: ToPanel[]): Promise<void> {
  return page.evaluate((ms) => { for (const m of ms) window.postMessage(m, '*'); }, messages);
}

const runner = (messages: FromRunner[]): ToPanel[] => messages.map((message) => ({ type: 'runner', message }));

async function feedAll(page: Page, messages: FromRunner[]): Promise<void> {
  await send(page, runner(messages));
  await page.waitForFunction(() => document.body.dataset.state === 'finished');
}

/** Pixels of a canvas close to a CSS colour: proof that a dataset's line was drawn. */
function pixelsOfColour(page: Page, canvasId: string, cssVar: string): Promise<number> {
  return page.evaluate(([id, name]) => {
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = getComputedStyle(document.body).getPropertyValue(name).trim();
    const hex = probe.fillStyle as string; // normalised to #rrggbb
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40) n++;
    }
    return n;
  }, [canvasId, cssVar] as const);
}

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
const value = (page: Page, selector: string) => page.locator(selector).first().getAttribute('data-value');

async function assertClean(page: Page): Promise<void> {
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation');
  assert.deepEqual(pageErrors.get(page), [], 'no page errors');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no hostile code ran');
}

describe('panel page in Chromium', () => {
  test('live snapshots update the figures and charts while the run goes on', async () => {
    const page = await openPanel();
    const messages = hostileRun();
    const snapshots = messages.filter((m): m is Extract<FromRunner, { type: 'progress' }> => m.type === 'progress');
    const emptyP99Pixels = await pixelsOfColour(page, 'chart-latency', '--ll-p99');
    await send(page, runner([messages[0]]));
    await page.waitForFunction(() => document.body.dataset.state === 'live');
    assert.equal(await page.locator('#stop').isEnabled(), true, 'Stop is enabled while live');
    const seen: string[] = [];
    for (const snap of snapshots.slice(0, 4)) {
      await send(page, runner([snap]));
      await page.waitForFunction((rps) => document.getElementById('rps')?.dataset.value === String(rps), snap.progress.live.rps);
      seen.push(await text(page, '#rps'));
    }
    assert.deepEqual(seen, ['500', '510', '520', '530']);
    assert.equal(await text(page, '#p99'), '55.0 ms', 'p99 of the 4th second (40 + 5·3)');
    assert.equal(await page.evaluate(() => document.body.dataset.points), '4');
    assert.match(await text(page, '#status'), /^Running hostile · 0:04 \/ 0:10/);
    const p99Pixels = await pixelsOfColour(page, 'chart-latency', '--ll-p99');
    assert.ok(p99Pixels > emptyP99Pixels + 50, `the p99 line is drawn (${emptyP99Pixels} → ${p99Pixels} pixels)`);
    assert.ok(await pixelsOfColour(page, 'chart-throughput', '--ll-rps') > 50, 'the req/s line is drawn');
    assert.ok(await pixelsOfColour(page, 'chart-vus', '--ll-vus') > 50, 'the VUs line is drawn');
    await page.click('#stop');
    assert.ok((await page.evaluate(() => window.__posted)).some((m) => m.type === 'stop'), 'Stop posts a stop message');
    const rendered = (await page.evaluate(() => window.__posted)).filter((m) => m.type === 'rendered').pop();
    assert.equal(rendered?.type === 'rendered' && rendered.paintedCharts, 4, 'the rendered report counts four painted charts');
    await assertClean(page);
    await page.context().close();
  });

  test('a distributed run shows its agents, then the one lost and its segment; a local run shows none', async () => {
    const page = await openPanel();
    const messages = hostileRun(4);
    const snaps = messages.filter((m): m is Extract<FromRunner, { type: 'progress' }> => m.type === 'progress');
    await feedAll(page, messages);
    assert.equal(await page.locator('#agents').isHidden(), true, 'a local run has no agents line');
    const agents = (m: Extract<FromRunner, { type: 'progress' }>, a: { planned: number; joined: number; running: number; lost: number; lostSegments?: string[] }): FromRunner =>
      ({ ...m, progress: { ...m.progress, live: { ...m.progress.live, agents: a } } });
    await send(page, runner([messages[0], agents(snaps[0], { planned: 3, joined: 3, running: 3, lost: 0 })]));
    await page.waitForFunction(() => document.getElementById('agents')?.dataset.running === '3');
    assert.equal(await text(page, '#agents'), 'agents 3/3 joined, 3 running, 0 lost');
    assert.equal(await page.locator('#lost-segments').isHidden(), true);
    await send(page, runner([agents(snaps[1], { planned: 3, joined: 3, running: 2, lost: 1, lostSegments: ['1/3:2/3'] })]));
    await page.waitForFunction(() => document.getElementById('agents')?.dataset.lost === '1');
    assert.equal(await text(page, '#agents'), 'agents 3/3 joined, 2 running, ⚠ 1 lost');
    assert.deepEqual(await page.locator('#lost-segments li').allInnerTexts(), ['segment 1/3:2/3 lost: its remaining load was not run']);
    await feedAll(page, messages.slice(messages.findIndex((m) => m.type === 'finished')));
    assert.equal(await text(page, '#agents'), 'agents 3/3 joined, 0 running, ⚠ 1 lost');
    assert.equal(await page.locator('#lost-segments li').count(), 1);
    await assertClean(page);
    await page.context().close();
  });

  test('a target that stops answering is named while live, and the requests the end cut off once finished', async () => {
    const page = await openPanel();
    const messages = hostileRun(3);
    const snap = messages[1] as Extract<FromRunner, { type: 'progress' }>;
    await send(page, runner(messages.slice(0, 2)));
    await page.waitForFunction(() => document.body.dataset.points === '1');
    assert.equal(await page.locator('#warning').isVisible(), false, 'responses arrive: no warning');
    const silent: FromRunner = { ...snap, progress: { ...snap.progress, second: 1, live: { ...snap.progress.live, inFlight: 50, noResponseMs: 5_400 } } };
    await send(page, runner([silent]));
    await page.waitForFunction(() => !(document.getElementById('warning') as HTMLElement).hidden);
    assert.equal(await text(page, '#warning'), 'no response for 5 s: 50 requests in flight');
    assert.equal(await page.locator('#warning').getAttribute('role'), 'alert');
    const finished = messages.find((m): m is Extract<FromRunner, { type: 'finished' }> => m.type === 'finished')!;
    const cut: FromRunner = { ...finished, summary: { ...finished.summary, unfinished: { requests: 50, oldestMs: 33_200, queuedIterations: 0 } } };
    await feedAll(page, [cut, { type: 'done', exitCode: 99 }]);
    assert.match(await text(page, '#warning'), /^50 requests never completed; the oldest waited 33 s/);
    await assertClean(page);
    await page.context().close();
  });

  test('the finished run shows the summary numbers, thresholds, checks and the percentile curve', async () => {
    const page = await openPanel();
    await feedAll(page, hostileRun());
    assert.equal(await value(page, '#p99'), '98.7');
    assert.equal(await text(page, '#p99'), '98.7 ms');
    assert.equal(await text(page, '#p50'), '12.3 ms');
    assert.equal(await text(page, '#max'), '212 ms');
    assert.equal(await text(page, '#rps'), '550');
    assert.equal(await text(page, '#requests'), '5,500');
    assert.equal(await text(page, '#errors'), '110');
    assert.equal(await page.locator('#summary-box').isVisible(), true);
    assert.equal(await page.locator('#summary span[data-metric="http_reqs"][data-key="count"]').getAttribute('data-value'), '5500');
    assert.equal(await text(page, '#summary span[data-metric="http_req_failed"][data-key="rate"]'), 'rate2.0%');
    assert.equal(await text(page, '#summary span[data-metric="data_received"][data-key="count"]'), 'count1.2 MB');
    const verdicts = await page.locator('#thresholds li').evaluateAll((lis) => lis.map((li) => [(li as HTMLElement).dataset.ok, li.textContent]));
    assert.deepEqual(verdicts.map((v) => v[0]), ['true', 'false', 'false']);
    assert.match(verdicts[0][1]!, /✓http_req_duration: p\(99\) < 250 \(observed 98\.7 ms\)/);
    assert.match(verdicts[2][1]!, /✗http_req_failed: rate < 0.01 \(observed 2\.0%\)/);
    // 10 dropped iterations and no generator figures (a run from before they existed): the
    // generator cannot be ruled out, and the panel says so above the notes.
    assert.deepEqual(await page.locator('#notes li.health').allInnerTexts(), [
      'Generator health: 10 iterations were dropped, so the offered load was not fully sent (no free VU, with a busy or unmeasured generator)',
    ]);
    assert.equal(await page.locator('#scenarios').isVisible(), false, 'no scenario tabs for a one-scenario run');
    assert.match(await text(page, '#status'), /Finished: hostile completed in 0:10 · thresholds ✗ 1\/3 · exit 99/);
    assert.equal(await page.locator('#stop').isEnabled(), false, 'Stop is disabled once finished');
    assert.equal(await page.locator('#export').isEnabled(), true);
    await page.click('#run-again');
    await page.click('#export');
    const posted = (await page.evaluate(() => window.__posted)).map((m) => m.type);
    assert.ok(posted.includes('runAgain') && posted.includes('export'));
    assert.ok(await pixelsOfColour(page, 'chart-curve', '--ll-p99') > 50, 'the percentile curve is drawn');
    await assertClean(page);
    await page.context().close();
  });

  test('strings from servers and scripts are shown as text, never run', async () => {
    const page = await openPanel();
    await feedAll(page, hostileRun());
    const body = await page.locator('body').innerText();
    for (const s of [HOSTILE.check, HOSTILE.error, HOSTILE.url, HOSTILE.kind, HOSTILE.log]) {
      assert.ok(body.includes(s), `visible as text: ${s}`);
    }
    assert.equal(await text(page, '#title'), 'orders.load.ts <img src=x onerror="window.__pwned=9">');
    assert.equal(await page.locator('img, iframe, b').count(), 0, 'no element made from data');
    assert.equal(await page.locator('script').count(), 2, 'only the stub and the panel script');
    await page.locator('#errors-by-kind td').first().hover();
    await assertClean(page);
    assert.deepEqual(unexpectedRequests, [], 'no request for hostile URLs');
    await page.context().close();
  });

  test('setState keeps the view across a reload, and a restore message rebuilds it', async () => {
    const page = await openPanel();
    await feedAll(page, hostileRun());
    const before = { p99: await text(page, '#p99'), status: await text(page, '#status'), checks: await text(page, '#checks tbody') };
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.state === 'finished');
    assert.deepEqual({ p99: await text(page, '#p99'), status: await text(page, '#status'), checks: await text(page, '#checks tbody') }, before);
    assert.equal(await page.evaluate(() => document.body.dataset.points), '10');
    assert.ok(await pixelsOfColour(page, 'chart-latency', '--ll-p99') > 50, 'charts redrawn from saved state');
    const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('vscode-state')!));
    await assertClean(page);
    await page.context().close();

    // A fresh page (new session: no getState) gets the serializer's copy.
    const fresh = await openPanel();
    assert.equal(await fresh.evaluate(() => document.body.dataset.state), 'idle');
    await send(fresh, [{ type: 'restore', state: saved }]);
    await fresh.waitForFunction(() => document.body.dataset.state === 'finished');
    assert.equal(await text(fresh, '#p99'), before.p99);
    await assertClean(fresh);
    await fresh.context().close();
  });

  test('a panel hidden mid-run (page torn down) resumes from setState plus the queued messages', async () => {
    const messages = hostileRun();
    const page = await openPanel();
    await send(page, runner(messages.slice(0, 6)));
    await page.waitForFunction(() => document.body.dataset.points === '4');
    // Hidden: VS Code destroys the page; shown again, the page reloads and says `ready`, and the
    // host flushes what it queued meanwhile.
    await page.reload();
    await page.waitForFunction(() => window.__posted?.some((m) => m.type === 'ready'));
    assert.equal(await page.evaluate(() => [document.body.dataset.state, document.body.dataset.points].join()), 'live,4');
    await feedAll(page, messages.slice(6));
    assert.equal(await page.evaluate(() => document.body.dataset.points), '10', 'no second lost or doubled');
    assert.equal(await page.locator('#data-table tbody tr').count(), 10);
    assert.equal(await text(page, '#requests'), '5,500');
    await assertClean(page);
    await page.context().close();
  });

  test('at side-panel width the layout is one column with no horizontal scrolling', async () => {
    const page = await openPanel(340, 900);
    await feedAll(page, hostileRun());
    const boxes = await page.locator('.charts .chart').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
    assert.equal(boxes.length, 4);
    assert.ok(boxes.every((b) => Math.abs(b.x - boxes[0].x) < 1), 'charts stacked in one column');
    assert.ok(boxes.every((b, i) => i === 0 || b.y > boxes[i - 1].y), 'one below the other');
    assert.ok(boxes.every((b) => b.width > 250 && b.x + b.width <= 340), 'each chart uses the width');
    if (process.env.PANEL_SHOTS) await page.screenshot({ path: 'test-results/screenshots/panel-narrow.png', fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'no horizontal scrolling');
    assert.ok(await pixelsOfColour(page, 'chart-latency', '--ll-p99') > 30, 'charts still drawn');
    await page.context().close();

    const wide = await openPanel(1400, 900);
    await feedAll(wide, hostileRun());
    if (process.env.PANEL_SHOTS) await wide.screenshot({ path: 'test-results/screenshots/panel-wide.png', fullPage: true });
    const xs = await wide.locator('.charts .chart').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().x)));
    assert.equal(new Set(xs).size, 2, 'two columns when wide');
    await wide.context().close();
  });

  test('the table view shows the same per-second numbers as the charts', async () => {
    const page = await openPanel();
    await feedAll(page, hostileRun());
    assert.ok((await page.locator('#data-box').boundingBox())!.width <= 1, 'hidden visually by default');
    assert.equal(await page.locator('#data-table tbody tr').count(), 10, 'but present for screen readers');
    await page.click('#toggle-table');
    assert.equal(await page.locator('#toggle-table').getAttribute('aria-pressed'), 'true');
    assert.ok((await page.locator('#data-box').boundingBox())!.width > 300, 'shown by the toggle');
    const cells = await page.locator('#data-table tbody tr').nth(3).locator('td').allInnerTexts();
    assert.deepEqual(cells, ['0:03', '13.0 ms', '26.0 ms', '55.0 ms', '110 ms', '530', '11', '13', '1', '0']);
    await page.context().close();
  });

  test('compare view overlays two runs and lists the deltas', async () => {
    const page = await openPanel();
    const summaryA = (hostileRun().find((m) => m.type === 'finished') as { summary: SummaryData }).summary;
    const summaryB: SummaryData = structuredClone(summaryA);
    summaryB.metrics.http_req_duration.values['p(99)'] = 120;
    summaryB.metrics.http_reqs.values.rate = 600;
    summaryB.latencyCurve = summaryA.latencyCurve.map(([p, ms]) => [p, ms * 2]);
    const run = (id: string, summary: SummaryData): SavedRun => ({ id, scenario: 'hostile', file: summary.file, startedAt: 1_700_000_000_000, summary, series: [] });
    await send(page, [
      { type: 'history', runs: [{ id: 'a', scenario: 'hostile', file: 'f', startedAt: 1, status: 'completed', p99: 98.7, rps: 550, thresholdsOk: false }, { id: 'b', scenario: 'hostile', file: 'f', startedAt: 2, status: 'completed', p99: 120, rps: 600, thresholdsOk: true }] },
    ]);
    await page.locator('#history-box summary').click();
    await page.locator('#history input[data-run-id="a"]').check();
    await page.locator('#history input[data-run-id="b"]').check();
    await page.click('#compare-selected');
    const compareRequest = (await page.evaluate(() => window.__posted)).find((m) => m.type === 'compareRuns');
    assert.deepEqual(compareRequest, { type: 'compareRuns', a: 'a', b: 'b' });
    await send(page, [{ type: 'compare', a: run('a', summaryA), b: run('b', summaryB) }]);
    await page.waitForFunction(() => document.body.dataset.state === 'compare');
    assert.equal(await page.locator('#live-view').isVisible(), false);
    assert.deepEqual(await page.locator('#compare-table tr[data-key="p99"] td').allInnerTexts(), ['p99', '98.7 ms', '120 ms', '+21.3 ms (+21.6%)']);
    assert.equal(await page.locator('#compare-table tr[data-key="p99"]').getAttribute('data-better'), 'false');
    assert.equal(await page.locator('#compare-table tr[data-key="rps"]').getAttribute('data-better'), 'true');
    assert.ok(await pixelsOfColour(page, 'chart-compare', '--ll-a') > 50, 'run A curve drawn');
    assert.ok(await pixelsOfColour(page, 'chart-compare', '--ll-b') > 50, 'run B curve drawn');
    await page.click('#close-compare');
    await page.waitForFunction(() => document.body.dataset.state === 'idle');
    await assertClean(page);
    await page.context().close();
  });

  test('theme colours come from the --vscode-* variables and follow a theme change', async () => {
    const page = await openPanel();
    await feedAll(page, hostileRun());
    await page.evaluate(() => {
      document.documentElement.style.setProperty('--vscode-charts-orange', '#00ff00');
      document.body.classList.add('vscode-light');
    });
    await page.waitForFunction(() => {
      const c = document.getElementById('chart-latency') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && d[i] < 40 && d[i + 1] > 215 && d[i + 2] < 40) return true;
      return false;
    });
    await assertClean(page);
    await page.context().close();
  });
});

describe('panel page with a recorded runner run', () => {
  test('replays a real run: live figures follow each snapshot, final figures match the runner summary', async () => {
    const messages = recordedRun();
    const snapshots = messages.filter((m): m is Extract<FromRunner, { type: 'progress' }> => m.type === 'progress');
    const finished = messages.filter((m): m is Extract<FromRunner, { type: 'finished' }> => m.type === 'finished');
    assert.ok(snapshots.length >= 3 && finished.length === 1, 'the recording has snapshots and one summary');
    const page = await openPanel();
    const firstFinished = messages.findIndex((m) => m.type === 'finished');
    // Live: message by message up to the summary, checking the headline after each snapshot.
    for (const m of messages.slice(0, firstFinished)) {
      await send(page, runner([m]));
      if (m.type !== 'progress') continue;
      await page.waitForFunction((n) => document.getElementById('requests')?.dataset.value === String(n), m.progress.live.requests);
      assert.equal(await value(page, '#p99'), String(m.progress.live.p99));
      assert.equal(await value(page, '#rps'), String(m.progress.live.rps));
    }
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'live');
    await feedAll(page, messages.slice(firstFinished));
    const s = finished[0].summary;
    assert.equal(await value(page, '#requests'), String(s.metrics.http_reqs.values.count));
    assert.equal(await value(page, '#p99'), String(s.metrics.http_req_duration.values['p(99)']));
    assert.equal(await value(page, '#errors'), String(s.metrics.http_req_failed.values.passes), 'failed requests');
    assert.equal(await value(page, '#vus'), String(s.metrics.vus.values.max), 'peak active VUs');
    assert.equal(await page.evaluate(() => document.body.dataset.points), String(snapshots.length));
    assert.deepEqual(
      await page.locator('#thresholds li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.ok)),
      s.thresholds.map((t) => String(t.ok)),
    );
    for (const c of s.checks) {
      const cells = await page.locator(`#checks tr[data-check="${c.name}"] td`).allInnerTexts();
      assert.deepEqual(cells.slice(1, 3), [c.passes.toLocaleString('en-US'), c.fails.toLocaleString('en-US')]);
    }
    for (const [kind, n] of Object.entries(s.errorsByKind)) {
      assert.equal(await page.locator(`#errors-by-kind tr[data-kind="${kind}"] td`).nth(1).innerText(), n.toLocaleString('en-US'));
    }
    for (const [metric, m] of Object.entries(s.metrics)) {
      for (const [key, v] of Object.entries(m.values)) {
        assert.equal(await page.locator(`#summary span[data-metric="${metric}"][data-key="${key}"]`).getAttribute('data-value'), String(v), `${metric} ${key}`);
      }
    }
    assert.equal(await page.locator('#notes li:not(.health)').count(), s.notes.length);
    for (const id of ['chart-latency', 'chart-throughput', 'chart-vus', 'chart-curve']) {
      assert.ok(await pixelsOfColour(page, id, id === 'chart-throughput' ? '--ll-rps' : id === 'chart-vus' ? '--ll-vus' : '--ll-p99') > 50, `${id} drawn`);
    }
    await assertClean(page);
    await page.context().close();
  });

  test('one recorded run reads the same on every surface: CLI summary, lenses, Test Explorer, Runs view, panel', async () => {
    const messages = recordedRun();
    const started = messages.find((m): m is Extract<FromRunner, { type: 'started' }> => m.type === 'started')!;
    const finished = messages.find((m): m is Extract<FromRunner, { type: 'finished' }> => m.type === 'finished')!;
    // The recording plus a custom counter with `rate > 5`: its rate is per second on every surface
    // (the CLI and the lens once disagreed: 'rate=12/s' against '1200.0%').
    const summary: SummaryData = {
      ...finished.summary,
      metrics: { ...finished.summary.metrics, orders: { type: 'counter', contains: 'default', values: { count: 72, rate: 12 } } },
      thresholds: [...finished.summary.thresholds, { metric: 'orders', expression: 'rate > 5', ok: true, observed: 12, kind: 'counter', abortOnFail: false }],
    };
    const page = await openPanel();
    await feedAll(page, messages.map((m) => (m === finished ? { ...finished, summary } : m)));

    // Observed threshold values, surface by surface, in the summary's order.
    const cliLines = formatSummary(summary).split('\n');
    const cli = summary.thresholds.map((v) => {
      const line = cliLines.find((l) => l.endsWith(`  ${v.metric}: ${v.expression}`));
      assert.ok(line, `CLI line of ${v.metric}: ${v.expression}`);
      return /^ {4}[✓✗] (.+?)\s{2,}\S/.exec(line)![1].replace(/^[^=]+=/, '');
    });
    const lens = summary.thresholds.map((v) => thresholdLensText(v).replace(/^[✓✗] [^=]+ = /, ''));
    const testExplorer = summary.thresholds.map((v) => thresholdFailure(v).actual.replace(/^[^=]+ = /, ''));
    const panel = (await page.locator('#thresholds li .where').allInnerTexts()).map((t) => t.trim().replace(/^\(observed (.*)\)$/, '$1'));
    assert.deepEqual(cli, ['34.1 ms', '1.83 ms', '15.0%', '85.0%', '12/s']);
    assert.deepEqual(lens, cli, 'code lens on the threshold line');
    assert.deepEqual(testExplorer, cli, 'Test Explorer failure message');
    assert.deepEqual(panel, cli, 'panel threshold list');

    // Headline figures: the result lens, the Runs view and the panel's figures.
    const p99 = await text(page, '#p99');
    const rps = await text(page, '#rps');
    assert.ok(resultLensText(summary).startsWith(`p99 ${p99} · ${rps} req/s · `), `${resultLensText(summary)} vs panel ${p99}, ${rps}`);
    const item = runListItemOf({ id: 'r', scenario: summary.scenario, file: summary.file, startedAt: started.startedAt, summary, series: [] });
    assert.match(runDescription(item), new RegExp(` · p99 ${p99} · ${rps} req/s · `));

    // The load shape: static discovery of the scenario's literal `load` and the run's plan agree.
    const source = `export const recorded = scenario({ load: { rate: 60, duration: '6s', maxVUs: 20 }, iteration() {} });`;
    assert.equal(discoverScenarios(source).scenarios[0].shape, started.plan.shape);
    await assertClean(page);
    await page.context().close();
  });
});

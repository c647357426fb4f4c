// The HTML report in headless Chromium, opened from disk as a user opens a CI artifact: a real
// run (three endpoints of test/servers/capacity.ts, passing and failing thresholds, checks)
// through the CLI with --report and --out; the page must make no request beyond its own file,
// log no error, violate no CSP, paint every chart, show the summary's figures, and follow the
// system's light or dark theme.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../e2e/browser';
import { fixture, runCli } from '../integration/cli-helpers';
import { startCapacityServer, type CapacityServer } from '../servers/capacity';
import type { OutRecord } from '../../src/protocol';
import type { SummaryData } from '../../src/engine/types';
import { seriesPointOf, summaryFigures } from '../../src/view-model/reducers';
import { renderReport } from '../../src/report/html';
import { savedRunOf } from '../../src/report/saved-runs';
import { HOSTILE, hostileRun } from './fixture';
import { formatCount, formatMs, formatPercent } from '../../src/presentation/format';

let server: CapacityServer;
let browser: Browser;
let dir: string;
let summary: SummaryData;
let reportUrl: string;
let idleUrl: string;

before(async () => {
  server = await startCapacityServer({ workers: 8, serviceMs: 5 });
  dir = mkdtempSync(join(tmpdir(), 'loadlens-report-page-'));
  const r = await runCli(['run', fixture('report-mix.load.ts'), '--target', server.url, '--quiet', '--no-save', '--report', 'mix.html', '--out', 'mix.jsonl'], { cwd: dir });
  // One threshold fails on purpose (p(99) < 1 ms on /work): exit 99.
  assert.equal(r.code, 99, r.stderr);
  const records = readFileSync(join(dir, 'mix.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OutRecord);
  summary = (records.find((x) => x.type === 'summary') as Extract<OutRecord, { type: 'summary' }>).summary;
  reportUrl = pathToFileURL(join(dir, 'mix.html')).href;
  const idle = await runCli(['run', fixture('no-requests.load.ts'), '--quiet', '--no-save', '--report', 'idle.html'], { cwd: dir });
  assert.equal(idle.code, 0, idle.stderr);
  idleUrl = pathToFileURL(join(dir, 'idle.html')).href;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Opened { page: Page; problems: string[]; requests: string[] }

/** Opens a report offline (the context has no network), recording errors, CSP violations and requests. */
async function open(url: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Opened> {
  const context = await browser.newContext({ offline: true, colorScheme, viewport: { width: 1300, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP: ${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.painted !== undefined);
  return { page, problems, requests };
}

describe('HTML report in Chromium', () => {
  test('offline: no request beyond the file itself, no console error, every chart painted', async () => {
    const { page, problems, requests } = await open(reportUrl);
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [reportUrl]);
    assert.equal(await page.evaluate(() => document.body.dataset.charts), '4');
    assert.equal(await page.evaluate(() => document.body.dataset.painted), '4');
    await page.context().close();
  });

  test('the figures, thresholds, checks, errors and endpoints are the summary\'s', async () => {
    const { page } = await open(reportUrl);
    for (const f of summaryFigures(summary)) {
      const box = page.locator(`.figure[data-key="${f.key}"]`);
      assert.equal(await box.getAttribute('data-value'), f.value === null ? '' : String(f.value), f.key);
      const text = f.unit === 'ms' ? formatMs(f.value) : f.unit === 'percent' ? formatPercent(f.value) : formatCount(f.value);
      assert.equal(await box.locator('.figure-value').innerText(), text, f.key);
    }
    const verdicts = await page.locator('ul.verdicts li').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-metric'), li.getAttribute('data-ok')]));
    assert.deepEqual(verdicts, summary.thresholds.map((v) => [v.metric, String(v.ok)]));
    assert.deepEqual(verdicts.map(([, ok]) => ok).sort(), ['false', 'true', 'true']);
    const checks = await page.locator('table.checks tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    assert.deepEqual(checks, summary.checks.map((c) => [c.name, formatCount(c.passes), formatCount(c.fails)]));
    const errorRows = await page.locator('table.errors-by-kind tbody tr td.empty').count();
    assert.equal(errorRows, Object.keys(summary.errorsByKind).length === 0 ? 1 : 0);
    // Endpoints: one row per name, the requests add up to http_reqs, /fail has every request failed.
    const endpoints = await page.locator('table.endpoints tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.deepEqual(endpoints.map((e) => e[0]).sort(), ['GET big', 'GET fail', 'GET work']);
    const total = endpoints.reduce((a, e) => a + Number(e[1].replace(/,/g, '')), 0);
    assert.equal(total, summary.metrics.http_reqs.values.count);
    assert.equal(endpoints.find((e) => e[0] === 'GET fail')![6], '100%');
    assert.equal(endpoints.find((e) => e[0] === 'GET work')![8].split(' ')[0], 'waiting');
    // Every summary metric is in the table, with its raw value.
    const p95 = await page.locator('table.metrics span[data-metric="http_req_duration"][data-key="p(95)"]').getAttribute('data-value');
    assert.equal(Number(p95), summary.metrics.http_req_duration.values['p(95)']);
    const kinds = await page.locator('ul.findings li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
    for (const k of ['time', 'errors', 'phase', 'errors-start', 'generator']) assert.ok(kinds.includes(k), `finding ${k} in ${kinds.join(', ')}`);
    await page.context().close();
  });

  test('light and dark themes follow the system setting', async () => {
    const colours: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      const { page, problems } = await open(reportUrl, scheme);
      assert.deepEqual(problems, []);
      assert.equal(await page.evaluate(() => document.body.dataset.painted), '4', scheme);
      colours.push(await page.evaluate(() => `${getComputedStyle(document.body).backgroundColor} ${getComputedStyle(document.body).color}`));
      await page.context().close();
    }
    assert.deepEqual(colours, ['rgb(255, 255, 255) rgb(31, 35, 40)', 'rgb(13, 17, 23) rgb(230, 237, 243)']);
  });

  test('the report of a run without requests opens cleanly and says so', async () => {
    const { page, problems, requests } = await open(idleUrl);
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [idleUrl]);
    assert.match(await page.locator('p.banner').innerText(), /^This run made no HTTP requests/);
    await page.context().close();
  });

  test('text from servers and scripts is shown as text, never run, in a two-scenario report', async () => {
    // The panel tests' hostile run, saved as a run, with an endpoint named by a hostile URL; twice.
    const messages = hostileRun();
    const finished = messages.find((m) => m.type === 'finished')!;
    const series = messages.flatMap((m) => (m.type === 'progress' ? [seriesPointOf(m.progress)] : []));
    const phases = { blocked: 0, connecting: 0.2, tls: 0, sending: 0.1, waiting: 9, receiving: 1 };
    const endpoints = [{ method: 'GET', name: HOSTILE.url, requests: 5500, failed: 110, avg: 15.5, p50: 12.25, p95: 41.2, p99: 98.7, max: 212.4, totalMs: 85250, phases }];
    const run = (scenario: string) => savedRunOf({ scenario, file: HOSTILE.log, startedAt: 1_700_000_000_000, summary: { ...finished.summary, scenario }, details: { series, bucket: 1, endpoints } });
    const file = join(dir, 'hostile.html');
    writeFileSync(file, renderReport([run(HOSTILE.check), run('second')]));
    const { page, problems } = await open(pathToFileURL(file).href);
    assert.deepEqual(problems, []);
    assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined, 'no hostile code ran');
    assert.equal(await page.locator('img, iframe, b').count(), 0, 'no element made from data');
    assert.equal(await page.locator('script').count(), 2, 'the data and the page script only');
    const body = await page.locator('body').innerText();
    for (const text of [HOSTILE.check, HOSTILE.error, HOSTILE.url, HOSTILE.kind, HOSTILE.log]) assert.ok(body.includes(text), `visible as text: ${text}`);
    assert.equal(await page.locator('section.run').count(), 2);
    assert.equal(await page.evaluate(() => document.body.dataset.painted), '8', 'four charts per scenario');
    await page.context().close();
  });
});

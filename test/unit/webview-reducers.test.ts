// The panel's reducers and formatting under plain Node: what the page shows for each message.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentsLine, appendPoint, currentRun, curveFrom, curvePoints, curveTicks, curveX, initialState, isPanelState,
  MAX_POINTS, MAX_PROBLEMS, peakVUs, percentileLabel, reduce, runWarning, selectScenario, summaryPercentile,
  type PanelState, type SeriesPoint,
} from '../../src/view-model/reducers';
import { compareRows } from '../../src/report/compare';
import { formatCount, formatDelta, formatMs, formatObserved, formatPercent } from '../../src/presentation/format';
import { escapeHtml, panelCsp, renderPanelHtml } from '../../src/view-model/html';
import type { FromRunner } from '../../src/protocol';
import type { SummaryData } from '../../src/engine/types';
import { hostileRun } from '../webview/fixture';

function feed(messages: FromRunner[], state: PanelState = initialState()): PanelState {
  return messages.reduce((s, message) => reduce(s, { type: 'runner', message }), state);
}

const point = (t: number, p99: number, rps = 100): SeriesPoint => ({ t, n: 1, p50: 1, p90: 2, p99, max: p99 * 2, rps, errorsPerSec: 0, vus: 5, dropped: 0, late: 0 });

describe('panel reducer', () => {
  test('a run goes idle → live → finished, with one series point per snapshot', () => {
    const messages = hostileRun(10);
    let s = initialState();
    assert.equal(s.mode, 'idle');
    s = feed(messages.slice(0, 1), s);
    assert.equal(s.mode, 'live');
    assert.equal(currentRun(s)?.scenario, 'hostile');
    s = feed(messages.slice(1, 4), s);
    const run = currentRun(s)!;
    assert.equal(run.status, 'live');
    assert.deepEqual(run.series.map((p) => p.rps), [500, 510, 520]);
    s = feed(messages.slice(4), s);
    assert.equal(s.mode, 'finished');
    assert.equal(s.exitCode, 99);
    const done = currentRun(s)!;
    assert.equal(done.series.length, 10);
    assert.equal(done.summary?.metrics.http_reqs.values.count, 5500);
    assert.deepEqual(done.thresholds.map((t) => t.ok), [true, false, false]);
    assert.deepEqual(done.series[3], { t: 3, n: 1, p50: 13, p90: 26, p99: 55, max: 110, rps: 530, errorsPerSec: 11, vus: 13, dropped: 1, late: 0 });
  });

  test('a distributed run: the agents line follows live.agents (joined, running, lost, the lost segments); none for a local run', () => {
    const messages = hostileRun(4);
    const snaps = messages.filter((m): m is Extract<FromRunner, { type: 'progress' }> => m.type === 'progress');
    const withAgents = (m: Extract<FromRunner, { type: 'progress' }>, agents: { planned: number; joined: number; running: number; lost: number; lostSegments?: string[] }): FromRunner =>
      ({ ...m, progress: { ...m.progress, live: { ...m.progress.live, agents } } });
    const local = feed(messages);
    assert.equal(currentRun(local)?.agents, null);
    assert.equal(agentsLine(currentRun(local)), null, 'a local run shows no agents');

    let s = feed([messages[0], withAgents(snaps[0], { planned: 2, joined: 2, running: 2, lost: 0 })]);
    assert.equal(agentsLine(currentRun(s)), 'agents 2/2 joined, 2 running, 0 lost');
    // A snapshot without agent counts (they are sent when they change) keeps the last ones.
    s = feed([snaps[1]], s);
    assert.equal(agentsLine(currentRun(s)), 'agents 2/2 joined, 2 running, 0 lost');
    s = feed([withAgents(snaps[2], { planned: 2, joined: 2, running: 1, lost: 1, lostSegments: ['1/2:1'] })], s);
    assert.equal(agentsLine(currentRun(s)), 'agents 2/2 joined, 1 running, ⚠ 1 lost');
    assert.deepEqual(currentRun(s)?.agents?.lostSegments, ['1/2:1']);
    // Finished: no agent runs any more, what was lost stays shown.
    s = feed(messages.slice(messages.findIndex((m) => m.type === 'finished')), s);
    assert.equal(s.mode, 'finished');
    assert.equal(agentsLine(currentRun(s)), 'agents 2/2 joined, 0 running, ⚠ 1 lost');
    assert.deepEqual(currentRun(s)?.agents?.lostSegments, ['1/2:1']);
    // The next run starts without the previous run's agents.
    s = feed([messages[0]], s);
    assert.equal(agentsLine(currentRun(s)), null);
  });

  test('the warning line: live, that the target stopped answering; finished, the requests the end cut off', () => {
    const messages = hostileRun(3);
    const snap = messages[1] as Extract<FromRunner, { type: 'progress' }>;
    const silent = (index: number, noResponseMs: number, inFlight = 50): FromRunner => ({
      ...snap, progress: { ...snap.progress, second: index, live: { ...snap.progress.live, inFlight, noResponseMs } },
    });
    let s = feed(messages.slice(0, 2));
    assert.equal(runWarning(currentRun(s)), null, 'responses arrive: no warning');
    s = feed([silent(1, 4_900)], s);
    assert.equal(runWarning(currentRun(s)), null, 'under 5 s without a response');
    s = feed([silent(2, 5_400)], s);
    assert.equal(runWarning(currentRun(s)), 'no response for 5 s: 50 requests in flight');
    s = feed([silent(3, 9_000, 0)], s);
    assert.equal(runWarning(currentRun(s)), null, 'nothing in flight: nothing is waiting for an answer');
    const finished = messages.find((m): m is Extract<FromRunner, { type: 'finished' }> => m.type === 'finished')!;
    const cut: FromRunner = { ...finished, summary: { ...finished.summary, unfinished: { requests: 50, oldestMs: 33_200, queuedIterations: 0 } } };
    s = feed([cut, { type: 'done', exitCode: 99 }], s);
    assert.equal(runWarning(currentRun(s)), '50 requests never completed; the oldest waited 33 s (counted as failed; their durations are lower bounds)');
    assert.equal(runWarning(currentRun(feed(messages))), null, 'a run that ended with nothing in flight');
  });

  test('errors are de-duplicated with counts, and problems are bounded', () => {
    const err = (message: string, count?: number): FromRunner => ({ type: 'error', kind: 'iteration', message, scenario: 's', count });
    let s = feed([err('boom', 1), err('boom', 7), err('other')]);
    assert.deepEqual(s.problems.map((p) => [p.message, p.count]), [['boom', 7], ['other', 1]]);
    s = feed(Array.from({ length: 50 }, (_, i) => err(`e${i}`)), s);
    assert.equal(s.problems.length, MAX_PROBLEMS);
    assert.equal(s.problems[s.problems.length - 1].message, 'e49');
    assert.equal(feed([{ type: 'log', level: 'info', message: 'hi' }], s), s, 'info logs change nothing');
  });

  test('a new run after a finished one starts from a clean view; several scenarios keep their own views', () => {
    const first = feed(hostileRun(3));
    const started = (scenario: string): FromRunner => ({ type: 'started', scenario, file: '/f.load.ts', startedAt: 5, plan: { scenario, model: 'closed', shape: '2 VUs for 1s', plannedMs: 1000, maxVUs: 2 } });
    let s = feed([started('a')], first);
    assert.deepEqual(s.runs.map((r) => r.scenario), ['a']);
    assert.deepEqual(s.problems, []);
    s = feed([started('b')], s);
    assert.deepEqual(s.runs.map((r) => r.scenario), ['a', 'b']);
    assert.equal(s.current, 'b', 'the newest scenario is shown');
    s = selectScenario(s, 'a');
    assert.equal(currentRun(s)?.scenario, 'a');
    assert.equal(selectScenario(s, 'nope'), s);
    s = feed([{ type: 'done', exitCode: 105 }], s);
    assert.ok(s.runs.every((r) => r.status === 'finished'), 'a stopped run ends its views even without summaries');
  });

  test('progress for a scenario that never started (panel opened mid-run) still shows', () => {
    const snap = hostileRun(2).find((m) => m.type === 'progress')!;
    const s = feed([snap]);
    assert.equal(s.mode, 'live');
    assert.equal(currentRun(s)?.series.length, 1);
  });

  test('restore accepts only a state this page can draw; open and compare show saved runs', () => {
    const finished = feed(hostileRun(3));
    assert.equal(reduce(initialState(), { type: 'restore', state: finished }), finished);
    const junk = { version: 999 } as unknown as PanelState;
    const idle = initialState();
    assert.equal(reduce(idle, { type: 'restore', state: junk }), idle);
    assert.ok(isPanelState(JSON.parse(JSON.stringify(finished))), 'the state survives JSON (setState)');
    const summary = currentRun(finished)!.summary!;
    const saved = { id: 'x', scenario: 'hostile', file: 'f', startedAt: 1, summary, series: [point(0, 10)] };
    const opened = reduce(finished, { type: 'open', run: saved });
    assert.equal(opened.source, 'saved');
    assert.equal(opened.mode, 'finished');
    assert.equal(currentRun(opened)?.series.length, 1);
    const compared = reduce(opened, { type: 'compare', a: saved, b: saved });
    assert.equal(compared.mode, 'compare');
    // A live run replaces a reopened one.
    const live = feed(hostileRun(2).slice(0, 1), opened);
    assert.equal(live.source, 'live');
    assert.equal(live.compare, null);
  });
});

describe('bounded series', () => {
  test('a long run halves its resolution instead of growing', () => {
    let series: SeriesPoint[] = [];
    let bucket = 1;
    for (let t = 0; t < 3 * 3600; t++) ({ series, bucket } = appendPoint(series, bucket, point(t, t === 5000 ? 999 : 10, t % 2 ? 100 : 200)));
    assert.ok(series.length <= MAX_POINTS, `${series.length} points`);
    assert.ok(series.length > MAX_POINTS / 4);
    assert.equal(bucket, 32);
    assert.equal(series.reduce((n, p) => n + p.n, 0), 3 * 3600, 'every second is in some point');
    assert.ok(series.some((p) => p.p99 === 999), 'a spike survives downsampling (latencies keep the worst)');
    assert.ok(series.slice(0, -1).every((p) => Math.abs(p.rps - 150) < 1e-9), 'rates average');
    for (let i = 1; i < series.length; i++) assert.ok(series[i].t > series[i - 1].t);
  });
});

describe('percentile curve', () => {
  test('x is 1/(1-p) and the axis is labelled in percentiles', () => {
    assert.equal(curveX(50), 2);
    assert.ok(Math.abs(curveX(99.9) - 1000) < 1e-6);
    assert.deepEqual([2, 10, 100, 1000, 10000].map(percentileLabel), ['50%', '90%', '99%', '99.9%', '99.99%']);
    assert.deepEqual(curveTicks(1500), [2, 10, 100, 1000, 10000].slice(0, 4));
  });

  test('the 100th percentile sits one decade past the last point; fractions are accepted', () => {
    const pts = curveFrom([[0, 1], [50, 2], [99, 5], [100, 9]]);
    assert.deepEqual(pts.map((p) => p.y), [1, 2, 5, 9]);
    assert.equal(pts[3].x, 1000);
    assert.deepEqual(curveFrom([[0.5, 2], [0.9, 3]]).map((p) => Math.round(p.x)), [2, 10]);
  });

  test('live: from the latest p50/p90/p99; finished: the summary curve', () => {
    const live = feed(hostileRun(3).slice(0, 3));
    assert.deepEqual(curvePoints(currentRun(live)!).map((p) => p.y), [11, 22, 45]);
    const done = feed(hostileRun(3));
    assert.equal(curvePoints(currentRun(done)!).length, 7);
  });
});

describe('summary figures and comparison', () => {
  const summary = (feed(hostileRun(3)).runs[0].summary)!;

  test('percentiles come from the summary values, or are read off the curve', () => {
    assert.equal(summaryPercentile(summary, 99), 98.7);
    assert.equal(summaryPercentile(summary, 50), 12.25);
    const noValues: SummaryData = { ...summary, metrics: {} };
    assert.equal(summaryPercentile(noValues, 99), 98.7);
    assert.ok(Math.abs(summaryPercentile(noValues, 95)! - (30.5 + (98.7 - 30.5) * 5 / 9)) < 1e-9);
  });

  test('the finished VUs figure is the peak of active VUs, not the VUs created', () => {
    const withVus: SummaryData = structuredClone(summary);
    withVus.metrics.vus = { type: 'gauge', contains: 'default', values: { value: 0, min: 0, max: 12 } };
    assert.equal(peakVUs(withVus), 12);
    // Older summaries without the vus gauge: the VUs created.
    assert.equal(peakVUs(summary), 50);
    assert.equal(peakVUs({ ...summary, metrics: {} }), null);
  });

  test('compare rows say which way is better', () => {
    const b: SummaryData = structuredClone(summary);
    b.metrics.http_req_duration.values['p(99)'] = 50;
    b.metrics.http_reqs.values.rate = 400;
    const rows = new Map(compareRows(summary, b).map((r) => [r.key, r]));
    assert.deepEqual([rows.get('p99')!.a, rows.get('p99')!.b, rows.get('p99')!.better], [98.7, 50, 'lower']);
    assert.deepEqual([rows.get('rps')!.a, rows.get('rps')!.b, rows.get('rps')!.better], [550, 400, 'higher']);
  });
});

describe('formatting', () => {
  test('numbers read the same in charts, tables and lenses', () => {
    assert.deepEqual([0.421, 12.34, 212.4, 1204].map(formatMs), ['0.42 ms', '12.3 ms', '212 ms', '1,204 ms']);
    assert.deepEqual([1980, 2.5, 0, null].map(formatCount), ['1,980', '2.5', '0', '–']);
    assert.deepEqual([0.0025, 0.125, 1].map(formatPercent), ['0.25%', '12.5%', '100%']);
    assert.equal(formatDelta(100, 112, formatMs), '+12.0 ms (+12.0%)');
    assert.equal(formatDelta(100, 90, formatCount), '−10 (−10.0%)');
    assert.equal(formatObserved({ metric: 'http_req_failed', expression: 'rate < 0.01', observed: 0.02 }), '2.0%');
    assert.equal(formatObserved({ metric: 'http_req_duration{name:items}', expression: 'p(95) < 200', observed: 212.4 }), '212 ms');
    assert.equal(formatObserved({ metric: 'http_reqs', expression: 'count > 10', observed: 12 }), '12');
    assert.equal(formatObserved({ metric: 'checks', expression: 'rate > 0.99', observed: null }), 'no data');
    assert.equal(formatObserved({ metric: 'data_received', expression: 'count < 1e6', observed: 1_234_567 }), '1.2 MB');
    assert.equal(formatObserved({ metric: 'login_time', expression: 'p(99) < 10', observed: 12, contains: 'time' }), '12.0 ms');
  });
});

describe('panel HTML', () => {
  test('a strict CSP: only the nonce script and the webview stylesheet; text escaped', () => {
    const html = renderPanelHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abcDEF0123456789xyz', scriptUri: 'https://x/w.js?a=1&b="2"', styleUri: 'https://x/w.css', title: '<img src=x onerror=alert(1)>.load.ts' });
    assert.equal(panelCsp('S', 'N'), "default-src 'none'; script-src 'nonce-N'; style-src S; img-src S data:; font-src S");
    assert.ok(html.includes(`content="default-src 'none'; script-src 'nonce-abcDEF0123456789xyz'; style-src https://x.vscode-cdn.net;`.replace(/'/g, '&#39;')));
    assert.ok(!html.includes('<img'), 'the title is escaped');
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;.load.ts'));
    assert.ok(html.includes('src="https://x/w.js?a=1&amp;b=&quot;2&quot;"'));
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(!/style=|<style/.test(html), 'no inline style');
    assert.throws(() => renderPanelHtml({ cspSource: 's', nonce: 'short', scriptUri: '', styleUri: '', title: '' }), /nonce must be at least 16/);
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

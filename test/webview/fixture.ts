// Protocol messages for the panel tests: a recorded real run (test/fixtures/recorded-run.jsonl,
// written by the runner's --out-style message log), and a small synthetic run whose strings are
// hostile, so the tests can check that server/script text is rendered inert.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FromRunner } from '../../src/protocol';
import type { LiveStats, SummaryData } from '../../src/engine/types';

export const RECORDED_RUN = join(__dirname, '..', 'fixtures', 'recorded-run.jsonl');

/** Each string would run code or load an image if it reached innerHTML. */
export const HOSTILE = {
  check: 'status is 200 <img src=x onerror="window.__pwned=1">',
  error: '<script>window.__pwned=2</script> socket hang up',
  url: "http://127.0.0.1:1/<img src=x onerror='window.__pwned=3'>",
  kind: '<b onmouseover=window.__pwned=4>ECONNRESET</b>',
  log: '<iframe src="javascript:window.__pwned=5"></iframe>',
};

/** The messages of the recorded run, one FromRunner per line. */
export function recordedRun(): FromRunner[] {
  if (!existsSync(RECORDED_RUN)) throw new Error(`missing ${RECORDED_RUN}: record it (see test/webview/record-fixture.ts)`);
  return readFileSync(RECORDED_RUN, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as FromRunner);
}

/** A 10-second open-model run with known figures and hostile strings everywhere a server or script supplies text. */
export function hostileRun(seconds = 10): FromRunner[] {
  const scenario = 'hostile';
  const file = '/ws/hostile.load.ts';
  const thresholds = [
    { metric: 'http_req_duration', expression: 'p(99) < 250', ok: true, observed: 98.7, abortOnFail: false },
    { metric: `http_req_duration{url:${HOSTILE.url}}`, expression: 'p(95) < 10', ok: false, observed: 41.2, abortOnFail: false },
    { metric: 'http_req_failed', expression: 'rate < 0.01', ok: false, observed: 0.02, abortOnFail: false },
  ];
  const checks = [{ name: HOSTILE.check, passes: 5390, fails: 110 }];
  const errorsByKind = { [HOSTILE.kind]: 110 };
  const messages: FromRunner[] = [{
    type: 'started', scenario, file, startedAt: 1_700_000_000_000,
    plan: { scenario, model: 'open', shape: '550 it/s for 10s (max 50 VUs)', plannedMs: seconds * 1000, maxVUs: 50 },
  }];
  for (let i = 0; i < seconds; i++) {
    const live: LiveStats = {
      elapsedMs: (i + 1) * 1000, plannedMs: seconds * 1000, vus: 10 + i, vusMax: 50,
      rps: 500 + 10 * i, errorsPerSec: 11, p50: 10 + i, p90: 20 + 2 * i, p99: 40 + 5 * i, max: 80 + 10 * i,
      requests: 550 * (i + 1), errors: 11 * (i + 1), iterations: 550 * (i + 1), dropped: i, backlog: i % 3, lagP99: 1.5,
      checks: [{ name: HOSTILE.check, passes: 539 * (i + 1), fails: 11 * (i + 1) }],
      thresholds: thresholds.map((t) => ({ ...t, observed: t.observed })), errorsByKind: { [HOSTILE.kind]: 11 * (i + 1) },
    };
    messages.push({ type: 'progress', scenario, progress: { second: i, dropped: 1, live } });
    if (i === 2) messages.push({ type: 'error', kind: 'iteration', message: HOSTILE.error, scenario, count: 3, location: { file, line: 12, column: 5 } });
    if (i === 3) messages.push({ type: 'log', level: 'warn', message: HOSTILE.log, scenario });
  }
  const summary: SummaryData = {
    scenario, file, model: 'open',
    state: { testRunDurationMs: seconds * 1000, status: 'completed' },
    metrics: {
      http_req_duration: { type: 'trend', contains: 'time', values: { avg: 15.5, min: 0.8, med: 12.25, max: 212.4, 'p(90)': 30.5, 'p(95)': 41.2, 'p(99)': 98.7 } },
      [`http_req_duration{url:${HOSTILE.url}}`]: { type: 'trend', contains: 'time', values: { avg: 15.5, min: 0.8, med: 12.25, max: 212.4, 'p(90)': 30.5, 'p(95)': 41.2, 'p(99)': 98.7 } },
      http_reqs: { type: 'counter', contains: 'default', values: { count: 5500, rate: 550 } },
      http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0.02, passes: 110, fails: 5390 } },
      checks: { type: 'rate', contains: 'default', values: { rate: 0.98, passes: 5390, fails: 110 } },
      iterations: { type: 'counter', contains: 'default', values: { count: 5500, rate: 550 } },
      dropped_iterations: { type: 'counter', contains: 'default', values: { count: 10, rate: 1 } },
      data_received: { type: 'counter', contains: 'data', values: { count: 1_234_567, rate: 123_456.7 } },
      vus_max: { type: 'gauge', contains: 'default', values: { value: 50, min: 50, max: 50 } },
    },
    thresholds, checks, errorsByKind,
    latencyCurve: [[0, 0.8], [50, 12.25], [75, 18], [90, 30.5], [99, 98.7], [99.9, 180], [100, 212.4]],
    notes: [`Note with markup: ${HOSTILE.error}`],
  };
  messages.push({ type: 'thresholds', scenario, verdicts: thresholds });
  messages.push({ type: 'finished', scenario, summary });
  messages.push({ type: 'done', exitCode: 99 });
  return messages;
}

// The CLI's live line in CI logs (no TTY): one line every 5 s, and at once when the target stops answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminalReporter } from '../../src/cli/terminal';
import type { FromRunner } from '../../src/protocol';
import type { LiveStats } from '../../src/engine/types';

function stream(): NodeJS.WriteStream & { text: string } {
  const s = { text: '', isTTY: false, write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

const live: LiveStats = {
  elapsedMs: 1000, plannedMs: 30_000, vus: 10, vusMax: 10, rps: 30, errorsPerSec: 0, p50: 1, p90: 2, p99: 3, max: 4,
  requests: 30, errors: 0, iterations: 30, dropped: 0, backlog: 0, lagP99: 0, checks: [], thresholds: [], errorsByKind: {},
};

function snapshot(index: number, extra: Partial<LiveStats>): FromRunner {
  return {
    type: 'progress', scenario: 's', progress: { second: index, dropped: 0, live: { ...live, elapsedMs: (index + 1) * 1000, ...extra } },
  };
}

test('CI mode: the "no response" warning is printed when it begins, not at the next 5 s line', (t) => {
  // The clock stands still: every line after the first is there because the warning began.
  // (Date mocking is newer than this project's @types/node.)
  (t.mock.timers.enable as unknown as (o: { apis: string[]; now: number }) => void)({ apis: ['Date'], now: 1_000_000 });
  const err = stream();
  const r = new TerminalReporter({ color: false, quiet: false } as never, stream(), err);
  r.handle(snapshot(0, { inFlight: 10, noResponseMs: 900 }));
  r.handle(snapshot(1, { inFlight: 10, noResponseMs: 1900 }));
  assert.equal(err.text.split('\n').filter(Boolean).length, 1, 'one line per 5 s while responses come');
  r.handle(snapshot(5, { inFlight: 10, noResponseMs: 5900 }));
  r.handle(snapshot(6, { inFlight: 10, noResponseMs: 6900 }));
  const lines = err.text.split('\n').filter(Boolean);
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[1], /^ {2}6s\/30s .* ⚠ no response for 5 s: 10 requests in flight$/);
});

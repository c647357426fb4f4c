// Escaping untrusted text for terminals (src/text.ts) and its use in the summary text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeControl, escapeControlLines } from '../../src/text';
import { formatSummary } from '../../src/presentation/summary-text';
import type { SummaryData } from '../../src/engine/types';

test('escapeControl shows every control character as a visible escape, newline included', () => {
  assert.equal(escapeControl('plain text, ünïcödé, emoji 🚀'), 'plain text, ünïcödé, emoji 🚀');
  assert.equal(escapeControl('\x1b]0;title\x07'), '\\x1b]0;title\\x07');
  assert.equal(escapeControl('a\nb\r\tc\x00\x7f'), 'a\\nb\\r\\tc\\x00\\x7f');
  assert.equal(escapeControl('csi \u009b31m nel \u0085'), 'csi \\u009b31m nel \\u0085');
  assert.equal(escapeControl('lone \ud800 and \udc00, pair \ud83d\ude80'), 'lone \\ud800 and \\udc00, pair 🚀');
  assert.equal(escapeControl('bidi \u202eevil\u2066 sep\u2028'), 'bidi \\u202eevil\\u2066 sep\\u2028');
  // Backslashes are left alone (Windows paths).
  assert.equal(escapeControl('C:\\scenarios\\a.load.ts'), 'C:\\scenarios\\a.load.ts');
});

test('escapeControlLines keeps newlines, tabs and CRLF line ends; escapes the rest', () => {
  assert.equal(escapeControlLines('line 1\n\tline 2\r\nline 3'), 'line 1\n\tline 2\r\nline 3');
  assert.equal(escapeControlLines('over\rwrite \x1b[2J\n'), 'over\\rwrite \\x1b[2J\n');
});

test('formatSummary escapes names, tags, threshold keys and error kinds, then adds its own colours', () => {
  const evil = '\x1b]0;pwned\x07';
  const s: SummaryData = {
    scenario: `s${evil}`,
    file: `/tmp/f${evil}.load.ts`,
    model: 'closed',
    state: { testRunDurationMs: 1000, status: 'completed' },
    metrics: {
      checks: { type: 'rate', contains: 'default', values: { rate: 0.5, passes: 1, fails: 1 } },
      [`http_reqs{name:${evil}}`]: { type: 'counter', contains: 'default', values: { count: 2, rate: 2 } },
      http_reqs: { type: 'counter', contains: 'default', values: { count: 2, rate: 2 } },
    },
    thresholds: [{ metric: `http_reqs{name:${evil}}`, expression: 'count > 1', ok: true, observed: 2, abortOnFail: false }],
    checks: [{ name: `ok${evil}\u009b2J`, passes: 1, fails: 1 }],
    errorsByKind: { [`Error: boom${evil}\nnext`]: 1 },
    latencyCurve: [],
    notes: [],
  };
  for (const color of [false, true]) {
    const text = formatSummary(s, { color });
    const data = text.replace(/\x1b\[[0-9;]*m/g, '');
    assert.doesNotMatch(data, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, `color ${color}`);
    assert.equal(/\x1b\[/.test(text), color);
    for (const shown of ['s\\x1b]0;pwned\\x07', 'ok\\x1b]0;pwned\\x07\\u009b2J', '{name:\\x1b]0;pwned\\x07}', 'Error: boom\\x1b]0;pwned\\x07 next']) {
      assert.ok(data.includes(shown), `${shown} in\n${data}`);
    }
  }
});

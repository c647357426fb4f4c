// `loadlens demo` (what `npm run demo` runs after the build): the embedded demo API on loopback
// and every example in examples/ against it, each passing its thresholds. About 20 s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/protocol';
import { ROOT, runCli } from './cli-helpers';

test('the demo runs every example against the demo API and all thresholds pass', async () => {
  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.load.ts'));
  assert.ok(examples.length >= 3);
  const r = await runCli(['demo']);
  assert.equal(r.code, ExitCode.ok, r.stdout + r.stderr);
  assert.match(r.stderr, /demo shop API on http:\/\/127\.0\.0\.1:\d+/);
  for (const name of ['browse', 'checkout', 'ramp']) {
    assert.match(r.stdout, new RegExp(`scenario ${name} .* completed in`), `${name} ran to its end`);
  }
  assert.doesNotMatch(r.stdout, /✗ .*: .*[<>]/, 'no threshold failed');
  // The checkout example's custom metrics and cookies: orders were placed after logging in.
  assert.match(r.stdout, /✓ count=\d+\s+orders: count > 5/);
  assert.match(r.stdout, /logged in\s+(\d+)\/\1/);
});

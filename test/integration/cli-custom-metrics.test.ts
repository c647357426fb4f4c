// Custom metrics through the whole CLI path (scenario API → recorder → runner → aggregate →
// terminal summary and --summary-export): isTime decides whether values print as times.
// Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTarget, type RunningServer } from '../servers/target';
import { ExitCode } from '../../src/protocol';
import { fixture, runCli } from './cli-helpers';

let target: RunningServer;
let tmp: string;

before(async () => {
  target = await startTarget();
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-custom-metrics-'));
});
after(async () => {
  await target.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('a Trend declared with isTime prints as a time and exports contains "time"; a plain one as numbers', async () => {
  const exportPath = join(tmp, 'custom.json');
  const r = await runCli(['run', fixture('custom-metrics.load.ts'), '--target', target.url, '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.ok, r.stderr);

  assert.match(r.stdout, /^ {2}cart_to_order\.+: avg=2ms min=2ms med=2ms max=2ms p\(90\)=2ms/m);
  assert.match(r.stdout, /^ {2}items_per_order\.+: avg=3 min=3 med=3 max=3 /m);
  assert.match(r.stdout, /^ {2}wait_ms\.+: 1\.5s /m);
  assert.match(r.stdout, /✓ p\(95\)=2\.\d\d ms +cart_to_order: p\(95\) < 1000/);

  const s = JSON.parse(readFileSync(exportPath, 'utf8'));
  assert.deepEqual(
    [s.metrics.cart_to_order.contains, s.metrics.items_per_order.contains, s.metrics.wait_ms.contains],
    ['time', 'default', 'time'],
  );
  assert.equal(s.metrics.cart_to_order.values.count, 3);
  assert.equal(s.metrics.cart_to_order.values.med, 2);
  assert.equal(s.metrics.wait_ms.values.count, 1500);
  assert.deepEqual(
    s.thresholds.map((t: { metric: string; observed: number; contains: string }) => [t.metric, t.observed, t.contains]),
    [['cart_to_order', 2, 'time']],
  );
});

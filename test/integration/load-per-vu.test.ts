// { vus, iterationsPerVU } (k6's per-vu-iterations): each VU runs exactly its count, and a run
// split into segments (--workers, agents) runs exactly the whole run's iterations, each VU's
// iterations in the segment that owns the VU.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTarget, type RunningServer } from '../servers/target';
import { runCollect } from '../servers/collect';
import { segmentsOf } from '../../src/engine/segments';
import { planOf } from '../../src/engine/load';
import { createServer } from 'node:http';
import { runCli, fixture } from './cli-helpers';

let srv: RunningServer;
before(async () => {
  srv = await startTarget();
});
after(() => srv.close());

test('{ vus, iterationsPerVU } runs exactly that many iterations on every VU, with distinct scenario indexes', async () => {
  const perVu = new Map<number, number>();
  const indexes: number[] = [];
  const before = srv.counts.get('fast') ?? 0;
  const { result, totals } = await runCollect({
    target: srv.url,
    load: { vus: 4, iterationsPerVU: 5 },
    async iteration({ http, vu }) {
      perVu.set(vu.id, (perVu.get(vu.id) ?? 0) + 1);
      indexes.push(vu.iterationInScenario);
      // One VU is slow: the others must not take over its iterations (unlike shared iterations).
      await http.get(vu.id === 1 ? '/slow' : '/fast');
    },
  });
  assert.equal(result.status, 'completed');
  assert.equal(totals.count('iterations'), 20);
  assert.deepEqual([...perVu.entries()].sort(), [[1, 5], [2, 5], [3, 5], [4, 5]]);
  assert.deepEqual(indexes.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  assert.equal((srv.counts.get('fast') ?? 0) - before, 15);
});

test('segments: each VU and all its iterations belong to one segment; together exactly vus × iterationsPerVU', async () => {
  const segs = segmentsOf('0,1/3,2/3,1');
  const byVu = new Map<number, Set<number>>();
  const indexes: number[] = [];
  const runs = await Promise.all(
    segs.map((segment, s) =>
      runCollect(
        {
          load: { vus: 5, iterationsPerVU: 3 },
          iteration({ vu }) {
            (byVu.get(vu.id) ?? byVu.set(vu.id, new Set()).get(vu.id)!).add(s);
            indexes.push(vu.iterationInScenario);
          },
        },
        { segment },
      ),
    ),
  );
  assert.equal(runs.reduce((n, r) => n + r.totals.count('iterations'), 0), 15);
  assert.deepEqual([...byVu.keys()].sort(), [1, 2, 3, 4, 5]);
  for (const [id, owners] of byVu) assert.equal(owners.size, 1, `VU ${id} ran in more than one segment`);
  assert.deepEqual(indexes.sort((a, b) => a - b), Array.from({ length: 15 }, (_, i) => i));
});

test('the shape is described for `loadlens list`, and bad values name the field', () => {
  assert.equal(planOf('x', { load: { vus: 10, iterationsPerVU: 20 } }).shape, '20 iterations per VU × 10 VUs = 200 (max 10m)');
  assert.throws(() => planOf('x', { load: { vus: 10, iterationsPerVU: 0 } }), /load\.iterationsPerVU/);
  assert.throws(() => planOf('x', { load: { vus: 10, iterationsPerVU: 2, iterations: 5 } as never }), /either iterations/);
  // --iterations N makes any closed shape N iterations shared by its VUs, as for the other closed shapes.
  assert.equal(planOf('x', { load: { vus: 2, iterationsPerVU: 3 } }, { iterations: 7 }).shape, '7 iterations shared by 2 VUs (max 10m)');
});

test('--workers 2 through the CLI: every VU runs its iterations exactly once across the worker processes', async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url!);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const r = await runCli(['run', fixture('per-vu.load.ts'), '--target', `http://127.0.0.1:${(server.address() as { port: number }).port}`, '--workers', '2', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const perVu = new Map<string, number>();
    for (const u of seen) perVu.set(u.split('/')[2], (perVu.get(u.split('/')[2]) ?? 0) + 1);
    assert.deepEqual([...perVu.entries()].sort(), [['1', 4], ['2', 4], ['3', 4]]);
    assert.deepEqual(seen.map((u) => Number(u.split('/')[3])).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i));
    assert.match(r.stdout, /iterations\.*: 12\b|iterations[^\n]*\b12\b/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

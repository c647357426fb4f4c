// Each load shape issues the right number of iterations against a real loopback server;
// the open model's accounting (due = started + dropped) holds; cancel and gracefulStop work;
// segments split a run exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTarget, type RunningServer } from '../servers/target';
import { runCollect, type Totals } from '../servers/collect';
import { resolveLoad } from '../../src/engine/run';
import { RunAggregate } from '../../src/engine/aggregate';
import { check, sleep } from '../../src/engine/api';
import { segmentsOf } from '../../src/engine/segments';
import { ScenarioSetupError } from '../../src/engine/errors';

let srv: RunningServer;
before(async () => {
  srv = await startTarget();
});
after(() => srv.close());

function fastCount(): number {
  return srv.counts.get('fast') ?? 0;
}

test('{ vus, iterations } runs exactly the iterations, shared by the VUs', async () => {
  const before = fastCount();
  const ids = new Set<number>();
  const { result, totals } = await runCollect({
    target: srv.url,
    load: { vus: 3, iterations: 31 },
    async iteration({ http, vu }) {
      ids.add(vu.id);
      await http.get('/fast');
    },
  });
  assert.equal(result.status, 'completed');
  assert.equal(totals.count('iterations'), 31);
  assert.equal(totals.count('http_reqs'), 31);
  assert.equal(fastCount() - before, 31);
  assert.deepEqual([...ids].sort(), [1, 2, 3]);
});

test('{ vus, duration } loops every VU until the duration ends', async () => {
  const before = fastCount();
  const perVu = new Map<number, number>();
  const { result, totals } = await runCollect({
    target: srv.url,
    load: { vus: 2, duration: '600ms' },
    async iteration({ http, vu }) {
      perVu.set(vu.id, (perVu.get(vu.id) ?? 0) + 1);
      await http.get('/fast');
      await sleep('10ms');
    },
  });
  assert.equal(result.status, 'completed');
  assert.ok(result.durationMs >= 600);
  assert.deepEqual([...perVu.keys()].sort(), [1, 2]);
  const iterations = totals.count('iterations');
  assert.ok(iterations >= 4, `only ${iterations} iterations`);
  assert.equal(totals.count('http_reqs'), fastCount() - before);
  assert.equal(totals.started, iterations);
});

test('{ rate, duration }: exactly rate × duration iterations, all started on time', async () => {
  const before = fastCount();
  const { totals } = await runCollect({
    target: srv.url,
    load: { rate: 50, duration: '1s', maxVUs: 10 },
    async iteration({ http }) {
      await http.get('/fast');
    },
  });
  assert.equal(totals.due, 50);
  assert.equal(totals.started, 50);
  assert.equal(totals.dropped, 0);
  assert.equal(totals.count('iterations'), 50);
  assert.equal(fastCount() - before, 50);
  assert.equal(totals.intervals.at(-1)!.backlog, 0);
});

test('{ stages, by: rate }: the total is the integral of the ramp', async () => {
  const { totals } = await runCollect({
    target: srv.url,
    load: { stages: [{ to: 80, over: '1s' }, { to: 80, over: '250ms' }], by: 'rate', maxVUs: 10 },
    async iteration({ http }) {
      await http.get('/fast');
    },
  });
  // 80/2 × 1 s + 80 × 0.25 s
  assert.equal(totals.started, 60);
  assert.equal(totals.due, 60);
});

test('{ stages, by: vus }: VUs ramp up to the peak and back down', async () => {
  let running = 0;
  let peak = 0;
  const ids = new Set<number>();
  const { totals } = await runCollect({
    target: srv.url,
    load: { stages: [{ to: 3, over: '600ms' }, { to: 3, over: '200ms' }, { to: 0, over: '600ms' }], by: 'vus', startVUs: 0 },
    async iteration({ http, vu }) {
      ids.add(vu.id);
      running++;
      peak = Math.max(peak, running);
      await http.get('/fast');
      await sleep(0.02);
      running--;
    },
  });
  assert.equal(peak, 3);
  assert.deepEqual([...ids].sort(), [1, 2, 3]);
  assert.ok(totals.count('iterations') > 10);
});

test("whenBusy 'drop': due iterations without a free VU are counted as dropped, never lost", async () => {
  const { totals } = await runCollect({
    target: srv.url,
    load: { rate: 100, duration: '1s', maxVUs: 1, whenBusy: 'drop' },
    async iteration({ http }) {
      await http.get('/slow?ms=45');
    },
  });
  assert.equal(totals.due, 100);
  assert.equal(totals.started + totals.dropped, 100);
  assert.ok(totals.dropped >= 50, `dropped ${totals.dropped}`);
  assert.equal(totals.count('dropped_iterations'), totals.dropped);
  assert.equal(totals.count('iterations'), totals.started);
});

test('{ rate, duration }: every planned iteration is due even when timers fire early against the clock', async () => {
  // Node's timers may fire up to a millisecond early against performance.now(); a clock running
  // at 90% makes every timer early, so the end of the load must wait until the clock says so.
  const base = performance.now();
  const { totals } = await runCollect(
    { load: { rate: 50, duration: '1s', maxVUs: 5 }, iteration() {} },
    { now: () => base + (performance.now() - base) * 0.9 },
  );
  assert.equal(totals.due, 50);
  assert.equal(totals.started, 50);
  assert.equal(totals.dropped, 0);
});

/** The summary's vus gauge of a run, as the CLI and the panel show it. */
function vusSummary(totals: Totals): Record<string, number> {
  const agg = new RunAggregate({ scenario: 'test', file: 'test.load.ts', model: 'closed', plannedMs: 0 });
  for (const interval of totals.intervals) agg.add(interval);
  return agg.summary('completed', totals.intervals.at(-1)!.endMs).metrics.vus.values;
}

test('the vus gauge shows the peak of VUs that ran within an interval, not only at its end', async () => {
  // Shorter than a second: the only interval ends after every VU stopped.
  const closed = await runCollect({
    target: srv.url,
    load: { vus: 3, iterations: 3 },
    async iteration({ http }) {
      await http.get('/fast');
    },
  });
  assert.deepEqual(vusSummary(closed.totals), { value: 0, min: 0, max: 3 });

  // Open model: 10 iterations due within 180 ms, each busy 600 ms, so all 10 overlap.
  const open = await runCollect({
    load: { rate: 50, duration: '200ms', maxVUs: 10 },
    async iteration() {
      await sleep(0.6);
    },
  });
  assert.equal(open.totals.started, 10);
  assert.equal(vusSummary(open.totals).max, 10);
});

test("whenBusy 'queue': the backlog starts late and its lateness is added to the latency", async () => {
  const { totals } = await runCollect({
    target: srv.url,
    load: { rate: 40, duration: '1s', maxVUs: 1 },
    async iteration({ http }) {
      await http.get('/slow?ms=40');
    },
  });
  // One VU at ~40 ms per iteration cannot keep up with one due every 25 ms.
  assert.equal(totals.due, 40);
  assert.equal(totals.started + totals.dropped, 40);
  assert.ok(totals.dropped > 0, 'the backlog left at the end is counted as dropped');
  const lagMax = totals.ms('iteration_lag', 100);
  assert.ok(lagMax > 100, `lag max ${lagMax}`);
  // The latency includes the lag; the service time does not.
  const p99 = totals.ms('http_req_duration', 99);
  const serviceP99 = totals.ms('http_req_service_duration', 99);
  assert.ok(p99 > serviceP99 + 100, `duration p99 ${p99} vs service ${serviceP99}`);
});

test('checks: each predicate is a rate sample; a throwing predicate fails; check never throws', async () => {
  const results: boolean[] = [];
  const { totals, iterationErrors } = await runCollect({
    target: srv.url,
    load: { vus: 1, iterations: 4 },
    async iteration({ http }) {
      const res = await http.get('/json');
      results.push(
        check(res, {
          'status is 200': (r) => r.status === 200,
          'has items': (r) => r.json().items.length === 3,
          'throws': () => {
            throw new Error('boom');
          },
          'async is not a verdict': async () => true,
        }),
      );
    },
  });
  assert.deepEqual(results, [false, false, false, false]);
  assert.deepEqual(totals.rate('checks', { check: 'status is 200' }), { passes: 4, fails: 0 });
  assert.deepEqual(totals.rate('checks', { check: 'has items' }), { passes: 4, fails: 0 });
  assert.deepEqual(totals.rate('checks', { check: 'throws' }), { passes: 0, fails: 4 });
  assert.deepEqual(totals.rate('checks', { check: 'async is not a verdict' }), { passes: 0, fails: 4 });
  assert.equal(iterationErrors.length, 0);
});

test('custom metrics record into the running scenario', async () => {
  const { Counter, Gauge, Rate, Trend } = await import('../../src/engine/api');
  const orders = new Counter('orders');
  const depth = new Gauge('queue_depth');
  const hits = new Rate('cache_hit');
  const parse = new Trend('parse_ms', true);
  const { totals } = await runCollect({
    load: { vus: 1, iterations: 5 },
    iteration({ vu }) {
      orders.add(2);
      orders.add(1, { kind: 'gift' });
      depth.add(vu.iteration);
      hits.add(vu.iteration % 2 === 0);
      parse.add(1.5);
    },
  });
  assert.equal(totals.count('orders'), 15);
  assert.equal(totals.count('orders', { kind: 'gift' }), 5);
  assert.deepEqual(totals.rate('cache_hit'), { passes: 3, fails: 2 });
  assert.equal(totals.ms('parse_ms', 50), 1.5);
  const g = totals.intervals.flatMap((i) => i.series).find((s) => s.metric === 'queue_depth');
  assert.ok(g && g.kind === 'gauge' && g.max === 4 && g.min === 0);
  // isTime travels with the series: the summary prints parse_ms as a time, orders as a number.
  const unit = (metric: string) => (totals.intervals.flatMap((i) => i.series).find((s) => s.metric === metric) as { contains?: string }).contains;
  assert.deepEqual([unit('parse_ms'), unit('orders'), unit('queue_depth')], ['time', undefined, undefined]);
});

test('an iteration that throws is counted per message and the run goes on', async () => {
  const { result, totals, iterationErrors } = await runCollect({
    load: { vus: 1, iterations: 6 },
    iteration({ vu }) {
      if (vu.iteration % 2 === 1) throw new TypeError('bad item');
    },
  });
  assert.equal(result.status, 'completed');
  assert.equal(totals.count('iterations'), 6);
  assert.deepEqual(iterationErrors.map((e) => e.count), [1, 2, 3]);
  assert.deepEqual(totals.errors, { 'TypeError: bad item': 3 });
});

test('setup data reaches every iteration and teardown; setup throwing stops before any load', async () => {
  const seen: unknown[] = [];
  let torn: unknown;
  const { result } = await runCollect({
    target: srv.url,
    load: { vus: 1, iterations: 2 },
    async setup({ http }) {
      const r = await http.get('/json');
      return { token: r.json().items.length };
    },
    iteration({ data }) {
      seen.push(data);
    },
    teardown({ data }) {
      torn = data;
    },
  });
  assert.deepEqual(seen, [{ token: 3 }, { token: 3 }]);
  assert.deepEqual(torn, { token: 3 });
  assert.deepEqual(result.setupData, { token: 3 });

  const before = fastCount();
  await assert.rejects(
    runCollect({
      target: srv.url,
      load: { vus: 2, duration: '1s' },
      setup() {
        throw new Error('no token');
      },
      async iteration({ http }) {
        await http.get('/fast');
      },
    }),
    (err: unknown) => err instanceof ScenarioSetupError && /setup\(\) threw: no token/.test(err.message),
  );
  assert.equal(fastCount(), before);
});

test('cancel: stops starting iterations, waits gracefulStop, then abandons in-flight ones', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  let started = 0;
  const outcomes: string[] = [];
  const { result, totals } = await runCollect(
    {
      target: srv.url,
      load: { vus: 2, duration: '30s', gracefulStop: '200ms' },
      async iteration({ http }) {
        started++;
        const res = await http.get('/slow?ms=5000');
        outcomes.push(`${res.status} ${res.error}`);
      },
    },
    { signal: ac.signal },
  );
  assert.equal(result.status, 'cancelled');
  assert.equal(result.interrupted, 2);
  assert.equal(started, 2);
  assert.equal(totals.count('iterations'), 0);
  // It did not wait for the 5 s responses: the requests in flight are recorded as interrupted
  // (failed, their time so far as lower bounds), and the abandoned iterations are not resumed
  // (as k6 interrupts them): no code of theirs runs after the run has ended.
  assert.deepEqual(totals.errors, { EINTERRUPTED: 2 });
  assert.equal(totals.count('http_reqs'), 2);
  await sleep('50ms');
  assert.deepEqual(outcomes, []);

  // With a long enough grace period, in-flight iterations finish and count.
  const ac2 = new AbortController();
  setTimeout(() => ac2.abort(), 100);
  const second = await runCollect(
    {
      target: srv.url,
      load: { rate: 20, duration: '30s', maxVUs: 5, gracefulStop: '5s' },
      async iteration({ http }) {
        await http.get('/slow?ms=300');
      },
    },
    { signal: ac2.signal },
  );
  assert.equal(second.result.status, 'cancelled');
  assert.equal(second.result.interrupted, 0);
  assert.ok(second.totals.started >= 1);
  assert.equal(second.totals.count('iterations'), second.totals.started);
  assert.equal(second.totals.due, second.totals.started + second.totals.dropped);
});

test('segments: the processes of a split run together issue exactly the whole run', async () => {
  const segs = segmentsOf('0,1/3,2/3,1');
  const indexes: number[] = [];
  const vuIds = new Set<number>();
  const runs = await Promise.all(
    segs.map((segment) =>
      runCollect(
        {
          target: srv.url,
          load: { rate: 60, duration: '1s', maxVUs: 6 },
          async iteration({ http, vu }) {
            indexes.push(vu.iterationInScenario);
            vuIds.add(vu.id);
            await http.get('/fast');
          },
        },
        { segment },
      ),
    ),
  );
  assert.deepEqual(runs.map((r) => r.totals.started), [20, 20, 20]);
  assert.deepEqual(indexes.sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i));
  // Shared iterations follow the owned VUs.
  const shared = await Promise.all(
    segs.map((segment) => runCollect({ load: { vus: 2, iterations: 25 }, iteration() {} }, { segment })),
  );
  assert.equal(shared.reduce((n, r) => n + r.totals.count('iterations'), 0), 25);
  assert.ok(shared.some((r) => r.totals.count('iterations') === 0));
});

test('debug mode: one VU, the given number of iterations, whatever the load shape', async () => {
  const ids: number[] = [];
  const load = { rate: 500, duration: '1m', maxVUs: 100 };
  const { result, totals } = await runCollect(
    { target: srv.url, load, iteration: ({ vu }) => void ids.push(vu.id) },
    { load: resolveLoad(load, { debug: { iterations: 3 } }) },
  );
  assert.equal(result.status, 'completed');
  assert.deepEqual(ids, [1, 1, 1]);
  assert.equal(totals.count('iterations'), 3);
  assert.equal(result.plan.model, 'closed');
});

test('preAllocatedVUs: the VUs and their connections are ready before the first iteration is due', async () => {
  const { createServer } = await import('node:http');
  let connections = 0;
  let connectionsAtFirstRequest = -1;
  const server = createServer((_req, res) => {
    if (connectionsAtFirstRequest < 0) connectionsAtFirstRequest = connections;
    res.end('ok');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const ids = new Set<number>();
    const { totals } = await runCollect({
      target: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      load: { rate: 20, duration: '500ms', maxVUs: 8, preAllocatedVUs: 4 },
      async iteration({ http, vu }) {
        ids.add(vu.id);
        await http.get('/');
      },
    });
    assert.equal(connectionsAtFirstRequest, 4, 'all warm-up connections were open before the first request');
    assert.equal(totals.ms('http_req_connecting', 100), 0, 'no request waited for a connection');
    assert.equal(totals.started, 10);
    assert.equal(totals.count('http_reqs'), 10);
    assert.ok(ids.has(1));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('preAllocatedVUs above maxVUs is a clear error', async () => {
  await assert.rejects(
    runCollect({ load: { rate: 10, duration: '1s', maxVUs: 2, preAllocatedVUs: 3 }, iteration() {} }),
    /load\.preAllocatedVUs.*3.*at most load\.maxVUs \(2\)/s,
  );
});

test('a sleep() nobody awaited is reported once per call site at the run end; await, then, catch, finally and Promise.all count as awaiting', async () => {
  const stacks: string[] = [];
  const { result } = await runCollect(
    {
      load: { vus: 2, iterations: 6 },
      async iteration() {
        await sleep(0.001);
        await Promise.all([sleep('1ms'), sleep('1ms')]);
        await sleep('1ms').then(() => undefined);
        await sleep('1ms').catch(() => undefined);
        await sleep('1ms').finally(() => undefined);
        const pace = sleep('1ms');
        await sleep('2ms');
        await pace;
        sleep('5ms'); // forgotten: the only one to report
      },
    },
    { onUnawaitedSleep: (stack) => stacks.push(stack) },
  );
  assert.equal(result.status, 'completed');
  assert.equal(stacks.length, 1, stacks.join('\n---\n'));
  assert.match(stacks[0], /engine-load\.test\.ts:\d+:\d+/);
  assert.match(stacks[0], /^Error: sleep\(\) not awaited\n\s+at /);
});

// The end of a run, in the engine, on both HTTP clients: every request that was sent is in the
// results. Requests in flight when the run ends (cancel, gracefulStop expired, or nobody awaited
// them) are recorded as EINTERRUPTED with their time so far, in the run's last interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCollect } from '../servers/collect';
import { startStallAfter, type StallAfterServer } from '../servers/stall-after';
import type { HttpClientChoice } from '../../src/engine/http/transport';

const CLIENTS: HttpClientChoice[] = ['auto', 'undici'];

/** Resolves once `srv` holds `n` requests (or after 10 s: the assertions then say what happened). */
async function held(srv: StallAfterServer, n: number): Promise<void> {
  for (let i = 0; i < 1000 && srv.held < n; i++) await new Promise((r) => setTimeout(r, 10));
}

for (const client of CLIENTS) {
  test(`${client}: cancelled while the target stalls: the requests in flight are counted as failed (EINTERRUPTED), in the last interval`, async () => {
    const srv = await startStallAfter(5);
    try {
      const ac = new AbortController();
      const running = runCollect(
        { target: srv.url, load: { vus: 3, duration: '30s', gracefulStop: '200ms' }, async iteration({ http }) { await http.get('/'); } },
        { signal: ac.signal, httpClient: client },
      );
      await held(srv, 3);
      ac.abort();
      const { result, totals } = await running;
      assert.equal(result.status, 'cancelled');
      assert.equal(result.interrupted, 3);
      assert.equal(srv.received, 8);
      assert.equal(totals.count('http_reqs'), 8, 'every request that was sent');
      assert.deepEqual(totals.rate('http_req_failed'), { passes: 3, fails: 5 });
      assert.deepEqual(totals.errors, { EINTERRUPTED: 3 });
      assert.equal(totals.count('http_reqs', { status: '0' }), 3);
      const last = totals.intervals[totals.intervals.length - 1];
      assert.equal(last.unfinished?.requests, 3);
      assert.equal(last.unfinished?.queuedIterations, 0);
      assert.ok((last.unfinished?.oldestMs ?? 0) > 0);
      assert.equal(totals.hist('http_req_duration').totalCount, 8);
      assert.ok(totals.hist('http_req_duration').maxValue / 1000 >= last.unfinished!.oldestMs - 1, 'the lower bounds are in the trend');
      assert.equal(last.inFlight, 0, 'nothing is left in flight after the end');
    } finally {
      await srv.close();
    }
  });

  test(`${client}: a request nobody awaited, still in flight when the run ends, is recorded too`, async () => {
    const srv = await startStallAfter(0);
    try {
      const { result, totals } = await runCollect(
        { target: srv.url, load: { vus: 1, iterations: 1 }, async iteration({ http }) { void http.get('/'); } },
        { httpClient: client },
      );
      assert.equal(result.status, 'completed');
      assert.equal(result.interrupted, 0, 'no iteration was abandoned');
      assert.equal(totals.count('http_reqs'), 1);
      assert.deepEqual(totals.errors, { EINTERRUPTED: 1 });
      assert.equal(totals.intervals[totals.intervals.length - 1].unfinished?.requests, 1);
    } finally {
      await srv.close();
    }
  });

  test(`${client}: a request past its total timeout fails with ETIMEDOUT and is not counted again at the end`, async () => {
    const srv = await startStallAfter(0);
    try {
      const { totals } = await runCollect(
        { target: srv.url, http: { timeout: '200ms' }, load: { vus: 1, iterations: 2 }, async iteration({ http }) { await http.get('/'); } },
        { httpClient: client },
      );
      assert.equal(totals.count('http_reqs'), 2);
      assert.deepEqual(totals.errors, { ETIMEDOUT: 2 });
      assert.equal(totals.intervals[totals.intervals.length - 1].unfinished, undefined);
    } finally {
      await srv.close();
    }
  });
}

test('undici with a connection cap: requests still queued for the one connection time out too (from their send)', async () => {
  const srv = await startStallAfter(0);
  try {
    const { totals } = await runCollect(
      { target: srv.url, http: { timeout: '200ms', connections: 1 }, load: { vus: 3, iterations: 3 }, async iteration({ http }) { await http.get('/'); } },
    );
    assert.equal(totals.count('http_reqs'), 3);
    assert.deepEqual(totals.errors, { ETIMEDOUT: 3 });
    assert.ok(srv.received >= 1 && srv.received <= 3);
  } finally {
    await srv.close();
  }
});

// Series cardinality against a real loopback server: the url`` template tag names requests by
// their template, and a run with more distinct request names than the series limit keeps at
// most limit + 1 series per metric, notes the overflow once and counts every request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTarget, type RunningServer } from '../servers/target';
import { runCollect } from '../servers/collect';
import { url } from '../../src/engine/api';
import { MAX_SERIES_PER_METRIC, OVERFLOW_TAG_VALUE } from '../../src/engine/metrics';

let srv: RunningServer;
before(async () => {
  srv = await startTarget();
});
after(() => srv.close());

test('url`…` sends the interpolated URL and tags the request by its template', async () => {
  const sent: string[] = [];
  const { totals } = await runCollect({
    target: srv.url,
    load: { vus: 1, iterations: 1 },
    async iteration({ http }) {
      for (let id = 0; id < 5; id++) {
        const r = await http.get(url`/echo/items/${id}?v=${id * 2}`);
        sent.push((r.json() as { url: string }).url);
      }
      await http.post(url`${srv.url}/echo/orders/${'a b'}`, { body: 'x' });
      // An explicit name still wins over the template.
      await http.get(url`/echo/items/${99}`, { tags: { name: 'item' } });
    },
  });
  assert.deepEqual(sent, [0, 1, 2, 3, 4].map((id) => `/echo/items/${id}?v=${id * 2}`));
  assert.deepEqual(
    totals.tagSets('http_reqs').map((t) => `${t.method} ${t.name}`).sort(),
    // Every interpolation is a ${}, the origin too when it is interpolated (as k6's http.url).
    ['GET /echo/items/${}?v=${}', 'GET item', 'POST ${}/echo/orders/${}'],
  );
  assert.equal(totals.count('http_reqs', { name: '/echo/items/${}?v=${}' }), 5);
  assert.equal(url`/items/${42}`.url, '/items/42');
  assert.equal(url`/items/${42}`.name, '/items/${}');
  assert.equal(String(url`/a/${1}/b/${'c'}`), '/a/1/b/c');
});

test('more distinct request names than the limit: at most limit + 1 series per metric, one note, exact totals', async () => {
  const n = MAX_SERIES_PER_METRIC + 150;
  const { totals } = await runCollect({
    target: srv.url,
    load: { vus: 10, iterations: n },
    async iteration({ http, vu }) {
      const r = await http.get(`/fast/${vu.iterationInScenario}`);
      if (r.status !== 200) throw new Error(`status ${r.status}`);
    },
  });
  assert.equal(totals.count('http_reqs'), n);
  assert.equal(totals.hist('http_req_duration').totalCount, n);
  assert.deepEqual(totals.rate('http_req_failed'), { passes: 0, fails: n });
  for (const metric of ['http_reqs', 'http_req_duration', 'http_req_waiting', 'http_req_failed', 'data_received']) {
    const sets = totals.tagSets(metric);
    assert.ok(sets.length <= MAX_SERIES_PER_METRIC + 1, `${metric}: ${sets.length} tag sets`);
    assert.ok(sets.some((t) => t.name === OVERFLOW_TAG_VALUE), metric);
  }
  const folded = totals.count('http_reqs', { name: OVERFLOW_TAG_VALUE });
  assert.equal(folded, n - MAX_SERIES_PER_METRIC);
  const notes = totals.intervals.flatMap((i) => (i.seriesLimit ? [i.seriesLimit] : []));
  assert.equal(notes.length, 1);
  assert.equal(notes[0].metric, 'http_reqs');
  assert.equal(notes[0].tag, 'name');
  assert.equal(notes[0].distinct, MAX_SERIES_PER_METRIC);
  assert.equal(notes[0].top.length, 5);
  for (const [value] of notes[0].top) assert.match(value, /^\/fast\/\d+$/);
});

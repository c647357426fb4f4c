// Visitors browsing the shop, as an open model: new visitors arrive at a fixed rate whether or
// not the server keeps up, so a slow server shows up as latency (measured from when each visit
// was due), not as fewer visits.
//
// No `target` here: `loadlens demo` points it at the embedded demo API. Against your own
// service: loadlens run examples/browse.load.ts --target http://127.0.0.1:8080
import { scenario, check, sleep } from 'loadlens';

interface ItemPage {
  page: number;
  items: Array<{ id: number; name: string; priceCents: number }>;
}

export const browse = scenario({
  load: { rate: 40, duration: '5s', maxVUs: 40 },
  tags: { journey: 'browse' },
  thresholds: {
    http_req_duration: ['p(95) < 200'],
    'http_req_duration{name:item}': ['p(99) < 300'],
    http_req_failed: ['rate < 0.05'],
    checks: ['rate > 0.95'],
  },
  async iteration({ http, vu }) {
    const page = 1 + (vu.iterationInScenario % 5);
    const list = await http.get('/api/items', { query: { page }, tags: { name: 'items' } });
    check(list, {
      'items: status 200': (r) => r.status === 200,
      'items: a full page': (r) => r.status !== 200 || r.json<ItemPage>().items.length === 20,
    });
    if (list.status !== 200) return;

    await sleep('50ms'); // the visitor reads the list
    const { items } = list.json<ItemPage>();
    const pick = items[vu.iteration % items.length];
    const item = await http.get(`/api/items/${pick.id}`, { tags: { name: 'item' } });
    check(item, { 'item: has a price': (r) => r.status === 200 && r.json().priceCents > 0 });
  },
});

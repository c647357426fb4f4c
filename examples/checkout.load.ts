// Shoppers who log in, fill a cart and check out, as a closed model: a fixed number of VUs, each
// starting its next visit when the last one ends. Closed-model latency is measured from the
// actual send, so it hides any queueing (the summary says so); see browse.load.ts for the open model.
import { scenario, check, sleep, Trend, Counter } from 'loadlens';

/** Time from the first "add to cart" to the order confirmation, as a shopper feels it. */
const cartToOrder = new Trend('cart_to_order', true);
const orders = new Counter('orders');

export const checkout = scenario({
  load: { vus: 4, duration: '5s' },
  tags: { journey: 'checkout' },
  thresholds: {
    'http_req_duration{name:checkout}': ['p(95) < 1000'],
    'http_req_duration{name:cart}': ['p(95) < 150'],
    cart_to_order: ['p(95) < 1500'],
    orders: ['count > 5'],
    // Stop early if the API is clearly broken.
    http_req_failed: [{ threshold: 'rate < 0.1', abortOnFail: true }],
  },

  // Once, before any VU starts: the catalogue the shoppers pick from.
  async setup({ http }) {
    for (let attempt = 1; ; attempt++) {
      const res = await http.get('/api/items', { query: { category: 'books' } });
      if (res.status === 200) return { itemIds: res.json<{ items: Array<{ id: number }> }>().items.map((i) => i.id) };
      if (attempt === 3) throw new Error(`cannot load the catalogue: HTTP ${res.status} ${res.error ?? ''}`);
    }
  },

  async iteration({ http, data, vu }) {
    // Each iteration starts with an empty cookie jar (k6's default): the session cookie from login rides on the next requests.
    const login = await http.post('/api/login', { json: { user: `shopper-${vu.id}`, password: 'secret' }, tags: { name: 'login' } });
    if (!check(login, { 'logged in': (r) => r.status === 200 })) return;

    const started = Date.now();
    for (let n = 0; n < 2; n++) {
      const itemId = data.itemIds[(vu.id * 7 + vu.iteration + n) % data.itemIds.length];
      const add = await http.post('/api/cart', { json: { itemId, qty: 1 }, tags: { name: 'cart' } });
      check(add, { 'added to cart': (r) => r.status === 201 });
      await sleep('20ms');
    }

    const order = await http.post('/api/checkout', { tags: { name: 'checkout' } });
    if (check(order, { 'order placed': (r) => r.status === 200 && typeof r.json().orderId === 'string' })) {
      cartToOrder.add(Date.now() - started);
      orders.add(1);
    }
  },
});

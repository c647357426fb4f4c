// A traffic ramp, in the open model: the arrival rate climbs to 150 visits/s, holds, and falls
// back, the way a launch or a marketing e-mail hits a service. Watch p99 and the active VUs
// follow the rate in the live line.
import { scenario, check } from 'loadlens';

export const ramp = scenario({
  load: {
    by: 'rate',
    stages: [
      { to: 150, over: '2s' },
      { to: 150, over: '2s' },
      { to: 0, over: '1s' },
    ],
    maxVUs: 60,
  },
  thresholds: {
    http_req_duration: ['p(99) < 100', 'med < 30'],
    http_req_failed: ['rate < 0.05'],
    iterations: ['count > 400'],
  },
  async iteration({ http, vu }) {
    const id = 1 + ((vu.iterationInScenario * 37) % 500);
    const res = await http.get(`/api/items/${id}`, { tags: { name: 'item' } });
    check(res, { 'status 200': (r) => r.status === 200 });
  },
});

// A traffic ramp, in the open model: the arrival rate climbs to 100 visits/s, holds, and falls
// back, the way a launch or a marketing e-mail hits a service. Watch p99 and the active VUs
// follow the rate in the live line.
import { scenario, check } from 'loadlens';

export const ramp = scenario({
  load: {
    by: 'rate',
    stages: [
      { to: 100, over: '2s' },
      { to: 100, over: '2s' },
      { to: 0, over: '1s' },
    ],
    maxVUs: 60,
  },
  thresholds: {
    http_req_duration: ['p(99) < 250', 'med < 50'],
    http_req_failed: ['rate < 0.05'],
    iterations: ['count > 300'], // 350 are due: 100/s ramps up for 2 s, holds 2 s, ramps down 1 s
  },
  async iteration({ http, vu }) {
    const id = 1 + ((vu.iterationInScenario * 37) % 500);
    const res = await http.get(`/api/items/${id}`, { tags: { name: 'item' } });
    check(res, { 'status 200': (r) => r.status === 200 });
  },
});

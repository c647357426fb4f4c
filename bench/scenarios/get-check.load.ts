// Bench case 2: what a scripted scenario looks like: GET with a name tag, then a check.
import { scenario, check } from 'loadlens';

export const getCheck = scenario({
  target: 'http://127.0.0.1:8080',
  load: { vus: 64, duration: '10s' },
  async iteration({ http }) {
    const res = await http.get('/', { tags: { name: 'home' } });
    check(res, { 'status is 200': (r) => r.status === 200 });
  },
});

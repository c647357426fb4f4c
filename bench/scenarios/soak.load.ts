// Soak bench: a steady open-model rate for a long time; the rate and duration come from the CLI.
import { scenario, check } from 'loadlens';

export const soak = scenario({
  target: 'http://127.0.0.1:8080',
  load: { rate: 2000, duration: '1h', maxVUs: 500 },
  async iteration({ http }) {
    const res = await http.get('/', { tags: { name: 'home' } });
    check(res, { 'status is 200': (r) => r.status === 200 });
  },
});

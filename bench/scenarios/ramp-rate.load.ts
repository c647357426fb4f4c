// Rate accuracy bench: arrivals ramp from 0 to 5,000 iterations/s over 20 s, then hold 10 s.
// Planned total: 5,000 × 20 / 2 + 5,000 × 10 = 100,000 iterations.
import { scenario } from 'loadlens';

export const ramp = scenario({
  target: 'http://127.0.0.1:8080',
  load: { stages: [{ to: 5000, over: '20s' }, { to: 5000, over: '10s' }], by: 'rate', maxVUs: 500 },
  async iteration({ http }) {
    await http.get('/');
  },
});

// CO bench: a fixed open-model rate (the rate and duration come from --rate / --duration).
import { scenario } from 'loadlens';

export const openRate = scenario({
  target: 'http://127.0.0.1:8080',
  // A 500 ms stall at 5,000/s holds ~2,500 requests at once: VUs and connections for them are
  // made before the schedule starts (a cold connect burst inflated p95 by +25 to +70 %).
  load: { rate: 1000, duration: '20s', maxVUs: 5000, preAllocatedVUs: 3000 },
  async iteration({ http }) {
    await http.get('/');
  },
});

// CO bench: a fixed open-model rate (the rate and duration come from --rate / --duration).
import { scenario } from 'loadlens';

export const openRate = scenario({
  target: 'http://127.0.0.1:8080',
  load: { rate: 1000, duration: '20s', maxVUs: 5000 },
  async iteration({ http }) {
    await http.get('/');
  },
});

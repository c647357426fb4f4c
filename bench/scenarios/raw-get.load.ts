// Bench case 1: a bare GET, no check (the target comes from --target).
import { scenario } from 'loadlens';

export const rawGet = scenario({
  target: 'http://127.0.0.1:8080',
  load: { vus: 64, duration: '10s' },
  async iteration({ http }) {
    await http.get('/');
  },
});

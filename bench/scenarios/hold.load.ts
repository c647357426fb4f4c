// Memory bench: every VU keeps one request in flight against a server that holds it 1 s.
import { scenario } from 'loadlens';

export const hold = scenario({
  target: 'http://127.0.0.1:8080',
  load: { vus: 1000, duration: '10s' },
  async iteration({ http }) {
    await http.get('/');
  },
});

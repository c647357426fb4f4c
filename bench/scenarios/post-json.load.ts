// Bench case 3: POST a JSON body and parse the JSON answer.
import { scenario, check } from 'loadlens';

export const postJson = scenario({
  target: 'http://127.0.0.1:8080',
  load: { vus: 64, duration: '10s' },
  async iteration({ http, vu }) {
    const res = await http.post('/json', { json: { vu: vu.id, iteration: vu.iteration, item: 'widget' } });
    const body = res.json<{ ok: boolean }>();
    check(body, { 'ok is true': (b) => b.ok === true });
  },
});

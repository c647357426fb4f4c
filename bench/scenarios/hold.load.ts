// Memory bench: every VU keeps one request in flight against a server that holds it 1 s.
// The VUs ramp up over 3 s (BENCH_VUS of them, from the bench's environment), so the kernel's
// SYN backlog does not drop connection attempts, then hold for BENCH_HOLD_S seconds.
import { scenario } from 'loadlens';

const vus = Number(process.env.BENCH_VUS ?? 1000);
const holdS = Number(process.env.BENCH_HOLD_S ?? 7);

export const hold = scenario({
  target: 'http://127.0.0.1:8080',
  load: { stages: [{ to: vus, over: '3s' }, { to: vus, over: `${holdS}s` }], by: 'vus', startVUs: 0 },
  async iteration({ http }) {
    await http.get('/');
  },
});

// Body memory bench: BENCH_REQUESTS requests for bodies of BENCH_BODY_BYTES each, by BENCH_VUS VUs
// at once; BENCH_DISCARD=1 sets http.discardResponseBodies, BENCH_MAX_BODY sets
// http.maxResponseBodyBytes (default: the engine's 10 MiB cap). The check reads the kept body.
import { scenario, check } from 'loadlens';

const env = process.env;
const requests = Number(env.BENCH_REQUESTS ?? 5);
const bytes = Number(env.BENCH_BODY_BYTES ?? 200 * 1024 * 1024);
const discard = env.BENCH_DISCARD === '1';

export const bodies = scenario({
  target: 'http://127.0.0.1:8080',
  load: { vus: Number(env.BENCH_VUS ?? 1), iterations: requests, maxDuration: '5m' },
  http: {
    discardResponseBodies: discard,
    ...(env.BENCH_MAX_BODY ? { maxResponseBodyBytes: Number(env.BENCH_MAX_BODY) } : {}),
  },
  thresholds: { checks: ['rate == 1'] },
  async iteration({ http }) {
    const res = await http.get(`/?bytes=${bytes}`);
    check(res, {
      'whole body received': (r) => r.status === 200 && r.bodySize === bytes,
      'kept as configured': (r) => (discard ? r.bodyDiscarded : r.text().length === Math.min(bytes, Number(env.BENCH_MAX_BODY ?? 10 * 1024 * 1024))),
    });
  },
});

// The cost of `--out prometheus` per write (one a second, on the runner's thread): turning an
// interval into every series so far (native histograms from HDR) plus protobuf and snappy, in CPU
// time, for a
// scenario with 10, 100 and 1,000 request names (9 trends + 3 counter/rate series each), and the
// size of the write. Run: node --import tsx bench/prometheus-encode.ts
import { TrendCounts } from '../src/engine/metrics/hdr';
import type { EncodedSeries, IntervalData } from '../src/engine/types';
import { PrometheusSeries, encodeWriteRequest } from '../src/runner/prometheus';
import { header, latencies } from '../test/unit/helpers/metrics-data';

const TRENDS = ['http_req_duration', 'http_req_service_duration', 'http_req_blocked', 'http_req_connecting', 'http_req_tls_handshaking',
  'http_req_sending', 'http_req_waiting', 'http_req_receiving', 'iteration_duration'];

function interval(index: number, names: number, perName: number): IntervalData {
  const series: EncodedSeries[] = [];
  for (let n = 0; n < names; n++) {
    const tags = { name: `/items/${n}`, method: 'GET', status: '200' };
    const values = latencies(perName, index * 7919 + n + 1);
    for (const metric of TRENDS) {
      const t = new TrendCounts();
      for (const v of values) t.record(v);
      series.push({ kind: 'trend', metric, tags, hist: t.encode() });
    }
    series.push({ kind: 'counter', metric: 'http_reqs', tags, value: perName });
    series.push({ kind: 'rate', metric: 'http_req_failed', tags, passes: 0, fails: perName });
  }
  return { ...header(index), series, errors: {} };
}

for (const names of [10, 100, 1000]) {
  const perName = Math.max(5, Math.round(5000 / names));
  const intervals = Array.from({ length: 11 }, (_, i) => interval(i, names, perName));
  const s = new PrometheusSeries('bench');
  s.start('bench', Date.now());
  const series: number[] = [];
  const encoding: number[] = [];
  let bytes = 0;
  // CPU time, not wall time: the machine may be shared.
  const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  for (const iv of intervals) {
    const t0 = process.cpuUsage();
    const request = s.interval('bench', iv);
    const t1 = process.cpuUsage();
    bytes = encodeWriteRequest(request).length;
    encoding.push(ms(process.cpuUsage(t1)));
    series.push(ms(process.cpuUsage(t0)) - encoding.at(-1)!);
  }
  const median = (xs: number[]) => xs.slice(1).sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)].toFixed(1);
  console.log(`${names} names (${names * 12} series, ${perName} requests/name/s): ${median(series)} ms CPU to add the interval and build the write, ${median(encoding)} ms to encode (protobuf + snappy), ${(bytes / 1024).toFixed(0)} KiB (medians of 10 writes after the first)`);
}

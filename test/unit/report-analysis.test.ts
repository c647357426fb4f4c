// The bottleneck analysis on runs recorded through the engine's own recorder and aggregate:
// a ramp past a known capacity, endpoints with different dominant phases, errors from a given
// second, and the generator's health (its own limits vs a VU pool the target held).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunAggregate } from '../../src/engine/aggregate';
import { MetricsRecorder } from '../../src/engine/metrics';
import { formatSummary } from '../../src/presentation/summary-text';
import { generatorHealth } from '../../src/engine/health';
import { DetailsCollector } from '../../src/report/collect';
import { analyse, dominantPhase, findSaturation } from '../../src/report/analysis';

const CAPACITY = 200;

interface Second {
  due: number;
  served: number;
  /** ms of every request of this second. */
  latencyMs: number;
  failed?: number;
  vus?: number;
  vusMax?: number;
  cpu?: number;
  eventLoopDelayMs?: number;
  lagMs?: number;
  dropped?: number;
}

/** Records `seconds` as a run would: per request its duration and phases, per second the header. */
function record(model: 'open' | 'closed', seconds: Second[]) {
  const agg = new RunAggregate({ scenario: 'ramp', file: 'ramp.load.ts', model, plannedMs: seconds.length * 1000 });
  const details = new DetailsCollector();
  seconds.forEach((s, t) => {
    const rec = new MetricsRecorder();
    for (let i = 0; i < s.served; i++) {
      // 3 of 4 requests to /work (server time), 1 of 4 to /big (payload).
      const big = i % 4 === 3;
      const tags = { name: big ? 'big' : 'work', method: 'GET', status: '200' };
      const us = Math.round(s.latencyMs * 1000);
      rec.trend('http_req_duration', tags, us);
      rec.trend('http_req_waiting', tags, big ? 1000 : us - 200);
      rec.trend('http_req_receiving', tags, big ? us - 1000 : 100);
      rec.trend('http_req_connecting', tags, 50);
      rec.count('http_reqs', tags, 1);
      rec.rate('http_req_failed', tags, i < (s.failed ?? 0));
      rec.count('iterations', {}, 1);
      if (s.lagMs !== undefined) rec.trend('iteration_lag', {}, s.lagMs * 1000);
    }
    if (s.failed) rec.error('ECONNRESET', s.failed);
    rec.trend('generator_cpu', {}, Math.round((s.cpu ?? 20) * 1000));
    rec.trend('generator_event_loop_delay', {}, Math.round((s.eventLoopDelayMs ?? 2) * 1000));
    const vus = s.vus ?? 10;
    const interval = rec.flush({
      index: t, startMs: t * 1000, endMs: (t + 1) * 1000, vus, vusMax: s.vusMax ?? 100, vusPeak: vus,
      iterationsDue: s.due, iterationsStarted: s.due - (s.dropped ?? 0), iterationsDropped: s.dropped ?? 0, backlog: 0,
    });
    agg.add(interval);
    details.add(interval, agg.live());
  });
  return { summary: agg.summary('completed', seconds.length * 1000), details: details.details() };
}

/** An arrival-rate ramp from 20 to 400 requests/s against a server that serves CAPACITY: queueing past it. */
function rampPastCapacity(): Second[] {
  const seconds: Second[] = [];
  let backlog = 0;
  for (let t = 0; t < 20; t++) {
    const due = 20 + 20 * t;
    backlog += Math.max(0, due - CAPACITY);
    const served = Math.min(due, CAPACITY);
    // Latency: 10 ms of service, plus the queue ahead at capacity.
    seconds.push({ due, served, latencyMs: 10 + (backlog / CAPACITY) * 1000, failed: t >= 12 ? 5 : 0 });
  }
  return seconds;
}

test('a ramp past a known capacity: capacity, the knee, the p95 before it, when errors started', () => {
  const { summary, details } = record('open', rampPastCapacity());
  const sat = findSaturation(details.series, summary);
  assert.ok(sat, 'a saturation point');
  assert.equal(sat.capacityRps, CAPACITY);
  // Offered passes capacity after t = 9 (20 + 20 * 9 = 200 is still served); at t = 10, 200 of
  // 220 is within 10 %, so the knee is t = 11 (200 of 240); the p95 quoted is t = 9's, the last
  // second that kept up.
  assert.equal(sat.atSecond, 11);
  assert.ok(Math.abs(sat.offeredRps - 240) < 1, `offered ${sat.offeredRps}`);
  assert.ok(sat.p95Ms >= 9.9 && sat.p95Ms < 10.2, `p95 before the knee ${sat.p95Ms}`);
  assert.ok(sat.peakP95Ms > 1000, `peak p95 ${sat.peakP95Ms}`);

  const { findings } = analyse(summary, details);
  // The conclusions lead.
  assert.deepEqual(findings.slice(0, 3).map((f) => f.kind), ['saturation', 'errors-start', 'generator']);
  const text = (kind: string) => findings.filter((f) => f.kind === kind).map((f) => f.text).join('\n');
  assert.match(text('saturation'), /^Capacity ≈ 200 req\/s at p95 10\.0 ms: from 0:11 \(offered 240 req\/s\)/);
  assert.match(text('errors-start'), /^Errors started at 0:12, at 260 req\/s offered \(200 req\/s served/);
  assert.match(text('errors'), /GET work 32 \(80\.0% of failures.*GET big 8 \(20\.0%/);
  assert.match(text('time'), /^Most of the total request time went to GET work 75\.0%/);
  assert.match(text('phase'), /GET work: waiting \(time to first byte\) is .*server time/);
  assert.match(text('phase'), /GET big: receiving \(the body\) is .*payload size or bandwidth/);
  assert.match(text('generator'), /kept up \(CPU p\(90\) 20% of a core, event-loop delay p\(95\) 2\.00 ms\)/);
});

test('a steady run, or one whose throughput follows its ramp, has no saturation point', () => {
  const steady = record('open', Array.from({ length: 10 }, () => ({ due: 100, served: 100, latencyMs: 10 })));
  assert.equal(findSaturation(steady.details.series, steady.summary), null);
  const following = record('open', Array.from({ length: 10 }, (_, t) => ({ due: 20 + 20 * t, served: 20 + 20 * t, latencyMs: 10 })));
  assert.equal(findSaturation(following.details.series, following.summary), null);
  assert.equal(analyse(following.summary, following.details).findings.some((f) => f.kind === 'saturation'), false);
});

test('a closed-model VU ramp saturates where requests per second stop growing with the VUs', () => {
  // Each VU makes 10 requests/s until the server's 200/s: then latency grows with the VUs.
  const seconds = Array.from({ length: 16 }, (_, t): Second => {
    const vus = 2 * (t + 1);
    const served = Math.min(10 * vus, CAPACITY);
    return { due: 0, served, vus, latencyMs: (vus / served) * 1000 };
  });
  const { summary, details } = record('closed', seconds);
  const sat = findSaturation(details.series, summary);
  assert.ok(sat);
  assert.equal(sat.capacityRps, CAPACITY);
  assert.equal(sat.atSecond, 11); // 24 VUs would make 240/s
});

test('the dominant phase is the largest mean phase; none without phases', () => {
  const phases = { blocked: 0, connecting: 1, tls: 4, sending: 0.1, waiting: 2, receiving: 0.5 };
  const d = dominantPhase({ method: 'GET', name: '/x', requests: 1, failed: 0, avg: 7.6, p50: 1, p95: 1, p99: 1, max: 1, totalMs: 7.6, phases });
  assert.equal(d?.phase, 'tls');
  const none = { blocked: 0, connecting: 0, tls: 0, sending: 0, waiting: 0, receiving: 0 };
  assert.equal(dominantPhase({ method: 'GET', name: '/x', requests: 1, failed: 0, avg: 0, p50: 0, p95: 0, p99: 0, max: 0, totalMs: 0, phases: none }), null);
});

test('generator health: a busy generator limits the test; a VU pool held by the target does not blame it', () => {
  const busy = record('open', Array.from({ length: 10 }, () => ({ due: 100, served: 100, latencyMs: 10, cpu: 97, eventLoopDelayMs: 150, lagMs: 40 })));
  const h = generatorHealth(busy.summary);
  assert.equal(h.ok, false);
  assert.deepEqual(h.issues.map((i) => [i.kind, i.cause]), [['event-loop', 'generator'], ['cpu', 'generator'], ['lag', 'generator']]);
  assert.match(analyse(busy.summary, busy.details).findings.find((f) => f.kind === 'generator')!.text, /^The load generator limited this test.*97% of a core/);
  const text = formatSummary(busy.summary);
  assert.match(text, /⚠ generator health: Loadlens itself limited this test/);
  assert.match(text, /✗ the generator process used 97% of a core/);
  // The per-second generator metrics are not summary rows.
  assert.doesNotMatch(text, /generator_cpu\.+:/);

  // Every VU busy at once (vus peak = VUs created), a calm generator, iterations late and dropped.
  const held = record('open', Array.from({ length: 10 }, () => ({ due: 120, served: 100, latencyMs: 900, vus: 100, vusMax: 100, lagMs: 500, dropped: 20 })));
  const hh = generatorHealth(held.summary);
  assert.equal(hh.ok, true);
  assert.equal(hh.loadApplied, false);
  assert.deepEqual(hh.issues.map((i) => [i.kind, i.cause]), [['lag', 'vus'], ['dropped', 'vus']]);
  assert.match(formatSummary(held.summary), /⚠ load not fully applied: the target held every VU \(the generator itself kept up\)/);
  assert.match(formatSummary(held.summary), /✗ 200 iterations were dropped, so the offered load was not fully sent \(all 100 VUs were busy waiting on the target: raise maxVUs/);
  const findings = analyse(held.summary, held.details).findings.filter((f) => f.kind === 'generator');
  assert.match(findings[0].text, /^The offered load was not fully applied, because of the target, not the generator: .*all 100 VUs were busy/);
  assert.match(findings[1].text, /^The load generator kept up/);

  // Healthy: no block in the terminal summary.
  const calm = record('open', Array.from({ length: 5 }, () => ({ due: 100, served: 100, latencyMs: 10 })));
  assert.doesNotMatch(formatSummary(calm.summary), /generator health|load not fully applied/);
});

test('a run without requests says so', () => {
  const { summary, details } = record('closed', Array.from({ length: 3 }, () => ({ due: 0, served: 0, latencyMs: 0 })));
  const a = analyse(summary, details);
  assert.equal(a.findings[0].kind, 'no-requests');
  assert.equal(a.saturation, null);
  assert.deepEqual(details.endpoints, []);
});

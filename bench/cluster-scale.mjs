// Distributed runs: what one agent sends the coordinator per one-second interval, and what the
// coordinator's merging costs per interval as a function of the number of agents.
// Standalone (not in bench/run.mjs's ALL list): `npm run build && node bench/cluster-scale.mjs`.
//
// 1. Records real intervals once: examples/browse.load.ts (open model, 2 request names, 3 checks,
//    4 thresholds) at 200 iterations/s on one worker against a loopback HTTP server written
//    here, with --out. Each 'interval' line is an IntervalData; its wire size is the deflated JSON
//    of the worker-interval record the agent publishes (agent.ts: packRecord(m)).
// 2. For N = 1, 10, 50, 100, 200 simulated agents, a child pinned to one core (taskset -c 1) does
//    per interval what the coordinator does per record (coordinator-source.ts): unpackRecord
//    (inflate + JSON.parse), validAgentRecord, IntervalMerger.add (one merged interval per index), then
//    RunAggregate.add of the merged interval (what the runner does with it), and reports CPU
//    time per interval (process.cpuUsage) and the share of one core (1 interval = 1000 ms).
// 3. The same end to end: a nats-server -js on loopback (CPU 0, with the publisher), N agents' records
//    published to loadlens.bench.out.<i>, read by an ordered consumer in a child pinned to one core.
//    nats-server's own CPU is not measured.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { deflateRawSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const AGENTS = [1, 10, 50, 100, 200];
const CPU = process.env.BENCH_CPU ?? '1';

if (process.argv[2] === '--merge') await mergeChild(Number(process.argv[3]), process.argv[4], Number(process.argv[5]));
else if (process.argv[2] === '--consume' || process.argv[2] === '--publish') await natsChild(process.argv.slice(2));
else await main();

async function main() {
  // 1. Record.
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    res.setHeader('content-type', 'application/json');
    const m = /^\/api\/items\/(\d+)$/.exec(url.pathname);
    if (m) return res.end(JSON.stringify({ id: Number(m[1]), name: `item ${m[1]}`, priceCents: 100 + Number(m[1]) }));
    const page = Number(url.searchParams.get('page') ?? 1);
    const items = Array.from({ length: 20 }, (_, i) => ({ id: page * 100 + i, name: `item ${page * 100 + i}`, priceCents: 100 + i }));
    res.end(JSON.stringify({ page, items }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'cluster-scale-'));
  const target = `http://127.0.0.1:${server.address().port}`;
  const browse = await record(dir, 'browse', ['examples/browse.load.ts', '--rate', '100'],
    target, 'examples/browse.load.ts at 100 iterations/s (200 requests/s): 2 request names, 3 checks, 4 thresholds');
  const getCheck = await record(dir, 'getCheck', ['bench/scenarios/get-check.load.ts', '--vus', '16'],
    target, 'bench/scenarios/get-check.load.ts with 16 VUs (closed model, thousands of requests/s): 1 request name, 1 check');
  server.close();
  const traffic = [browse.traffic, getCheck.traffic];
  const records = browse.records;
  const recFile = join(dir, 'records.json');
  writeFileSync(recFile, JSON.stringify(records));

  // 2. Merge cost vs N, one core.
  const merge = [];
  for (const n of AGENTS) {
    const intervals = Math.max(20, Math.min(300, Math.round(6000 / n)));
    const r = spawnSync('taskset', ['-c', CPU, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--merge', String(n), recFile, String(intervals)],
      { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`merge child N=${n}: ${r.stderr}`);
    merge.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  // 3. End to end through a real nats-server (loopback): N simulated agents' records published to the
  // stream (server and publisher on another core), consumed by an ordered consumer in a child pinned to
  // one core that does what the coordinator does per record. CPU of that child, from the end of the first
  // interval (warm-up) to the last record.
  const nats = [];
  const port = 14000 + Math.floor(Math.random() * 1000);
  const storeDir = mkdtempSync(join(tmpdir(), 'cluster-scale-js-'));
  const otherCpu = CPU === '0' ? '1' : '0';
  const ns = spawn('taskset', ['-c', otherCpu, 'nats-server', '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    for (const n of AGENTS) {
      const k = Math.max(10, Math.min(60, Math.round(2000 / n)));
      const cons = spawn('taskset', ['-c', CPU, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--consume', String(port), String(n), String(k + 1)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      cons.stdout.on('data', (d) => { text += d; });
      const done = new Promise((r) => cons.once('exit', r));
      while (!text.includes('ready')) await new Promise((r) => setTimeout(r, 50));
      const pub = spawnSync('taskset', ['-c', otherCpu, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--publish', String(port), String(n), String(k + 1), recFile], { cwd: root, encoding: 'utf8' });
      if (pub.status !== 0) throw new Error(`publisher N=${n}: ${pub.stderr}`);
      const code = await Promise.race([done, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
      if (code !== 0) { cons.kill(); throw new Error(`consumer N=${n}: ${code}`); }
      nats.push(JSON.parse(text.trim().split('\n').pop()));
    }
  } finally {
    ns.kill();
  }

  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, shared and noisy; merge child pinned with taskset -c ${CPU}`,
    node: process.version,
    traffic,
    merge,
    nats,
    notMeasured: 'nats-server CPU; records published as fast as possible (not paced one second apart, not from N processes); the runner\'s --out/live-line work per merged interval (independent of N)',
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/cluster-scale.json'), JSON.stringify(result, null, 2) + '\n');

  console.log('\nper-agent traffic: one worker-interval record per one-second interval (deflated JSON, as published)');
  for (const t of traffic) {
    console.log(`  ${t.scenario}`);
    console.log(`    ${t.series} series, ~${Math.round(t.requestsPerInterval)} requests/interval: median ${t.bytesPerInterval.median} B (min ${t.bytesPerInterval.min}, max ${t.bytesPerInterval.max}; ${t.jsonMedian} B as plain JSON) over ${t.intervals} intervals`);
  }
  console.log(`\ncoordinator merge cost per one-second interval, one core (records: ${browse.traffic.scenario.split(' at ')[0]}):`);
  console.log('  agents   CPU ms/interval   % of one core   µs/record   validation ms   headroom');
  for (const m of merge) {
    console.log(`  ${String(m.agents).padStart(6)}   ${m.cpuMsPerInterval.toFixed(2).padStart(15)}   ${m.coreSharePct.toFixed(1).padStart(13)}   ${m.usPerRecord.toFixed(0).padStart(9)}   ${m.validateMsPerInterval.toFixed(2).padStart(13)}   ${(1000 / m.cpuMsPerInterval).toFixed(0).padStart(7)}×`);
  }
  console.log(`\nend to end through nats-server (ordered consumer + the same per-record work, one core):`);
  console.log('  agents   CPU ms/interval   % of one core   headroom');
  for (const m of nats) console.log(`  ${String(m.agents).padStart(6)}   ${m.cpuMsPerInterval.toFixed(2).padStart(15)}   ${(m.cpuMsPerInterval / 10).toFixed(1).padStart(13)}   ${(1000 / m.cpuMsPerInterval).toFixed(0).padStart(7)}×`);
}

async function mergeChild(n, recFile, intervals) {
  const { IntervalMerger } = await import(join(root, 'src/runner/workers.ts'));
  const { RunAggregate } = await import(join(root, 'src/engine/aggregate.ts'));
  const { validAgentRecord } = await import(join(root, 'src/runner/cluster/messages.ts'));
  const { packRecord, unpackRecord } = await import(join(root, 'src/runner/cluster/nats.ts'));
  const base = JSON.parse(readFileSync(recFile, 'utf8')).map((r) => JSON.parse(r));
  // Per agent, per interval, the record as it arrives (its own index and interval index), deflated.
  const texts = (k) => {
    const rec = base[k % base.length];
    const out = [];
    for (let a = 0; a < n; a++) {
      const interval = { ...rec.interval, index: k, startMs: k * 1000, endMs: (k + 1) * 1000 };
      out.push(packRecord({ ...rec, index: a, interval }));
    }
    return out;
  };
  const thresholds = { http_req_duration: ['p(95) < 200'], 'http_req_duration{name:item}': ['p(99) < 300'], http_req_failed: ['rate < 0.05'], checks: ['rate > 0.95'] };
  const run = (count, from) => {
    const agg = new RunAggregate({ scenario: 'browse', file: 'browse.load.ts', model: 'open', plannedMs: count * 1000, thresholds });
    let emitted = 0;
    const merger = new IntervalMerger({ workers: n, emit: (i) => { agg.add(i); emitted++; } });
    let cpu = 0;
    let validNs = 0n;
    for (let k = from; k < from + count; k++) {
      const batch = texts(k); // built outside the timed part: the wire bytes
      const t0 = process.cpuUsage();
      for (let a = 0; a < n; a++) {
        const m = unpackRecord(batch[a]);
        const v0 = process.hrtime.bigint();
        if (!validAgentRecord(m, a)) throw new Error('invalid');
        validNs += process.hrtime.bigint() - v0;
        merger.add(a, m.interval);
      }
      const d = process.cpuUsage(t0);
      cpu += (d.user + d.system) / 1000;
    }
    if (emitted !== count) throw new Error(`emitted ${emitted} of ${count}`);
    return { cpu, validMs: Number(validNs) / 1e6 };
  };
  run(Math.min(intervals, 30), 0); // warm-up (JIT)
  const { cpu: cpuMs, validMs } = run(intervals, 0);
  const per = cpuMs / intervals;
  // validateMsPerInterval: wall time inside validFromWorker (its trial merge of the histograms).
  console.log(JSON.stringify({ agents: n, intervals, cpuMsPerInterval: per, coreSharePct: per / 10, usPerRecord: (per * 1000) / n, validateMsPerInterval: validMs / intervals }));
}

async function natsChild([mode, port, nS, kS, recFile]) {
  const N = Number(nS);
  const K = Number(kS);
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: `127.0.0.1:${port}` });
  const run = 'bench';
  if (mode === '--consume') {
    const jsm = await jetstreamManager(nc);
    try { await jsm.streams.delete('LOADLENS'); } catch { /* none yet */ }
    await jsm.streams.add({ name: 'LOADLENS', subjects: ['loadlens.*.out.*'], storage: 'file', max_age: 3600 * 1e9 });
    const { IntervalMerger } = await import(join(root, 'src/runner/workers.ts'));
    const { RunAggregate } = await import(join(root, 'src/engine/aggregate.ts'));
    const { validAgentRecord } = await import(join(root, 'src/runner/cluster/messages.ts'));
    const { unpackRecord } = await import(join(root, 'src/runner/cluster/nats.ts'));
    const thresholds = { http_req_duration: ['p(95) < 200'], 'http_req_duration{name:item}': ['p(99) < 300'], http_req_failed: ['rate < 0.05'], checks: ['rate > 0.95'] };
    const agg = new RunAggregate({ scenario: 'browse', file: 'browse.load.ts', model: 'open', plannedMs: K * 1000, thresholds });
    let emitted = 0;
    const merger = new IntervalMerger({ workers: N, emit: (i) => { agg.add(i); emitted++; } });
    // As coordinator-source.ts: an ordered consumer on loadlens.<run>.out.*.
    const consumer = await jetstream(nc).consumers.get('LOADLENS', { filter_subjects: `loadlens.${run}.out.*` });
    const records = await consumer.consume();
    console.log('ready');
    let got = 0;
    let c0;
    for await (const m of records) {
      const index = Number(m.subject.slice(m.subject.lastIndexOf('.') + 1));
      const x = unpackRecord(m.data);
      if (!validAgentRecord(x, index)) throw new Error('invalid');
      merger.add(index, x.interval);
      if (++got === N) c0 = process.cpuUsage(); // the first interval is the warm-up
      if (got === N * K) break;
    }
    const d = process.cpuUsage(c0);
    if (emitted !== K) throw new Error(`emitted ${emitted} of ${K}`);
    const per = (d.user + d.system) / 1000 / (K - 1);
    console.log(JSON.stringify({ agents: N, intervals: K - 1, cpuMsPerInterval: per, coreSharePct: per / 10 }));
    process.exit(0);
  }
  const { packRecord } = await import(join(root, 'src/runner/cluster/nats.ts'));
  const base = JSON.parse(readFileSync(recFile, 'utf8')).map((r) => JSON.parse(r));
  const js = jetstream(nc);
  for (let k = 0; k < K; k++) {
    const rec = base[k % base.length];
    const ps = [];
    for (let a = 0; a < N; a++) {
      const interval = { ...rec.interval, index: k, startMs: k * 1000, endMs: (k + 1) * 1000 };
      ps.push(js.publish(`loadlens.${run}.out.${a}`, packRecord({ ...rec, index: a, interval }), { msgID: `${run}.${a}.${k}` }));
    }
    await Promise.all(ps);
  }
  await nc.drain();
}

async function record(dir, name, fileArgs, target, scenario) {
  const out = join(dir, `${name}.jsonl`);
  const args = [join(root, 'dist/cli.js'), 'run', join(root, fileArgs[0]), ...fileArgs.slice(1), '--target', target,
    '--duration', '12s', '--workers', '1', '--quiet', '--out', out];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) console.error(`(${name}: the recording run exited ${code}, e.g. a threshold failed; its intervals are still used)`);
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const all = lines.filter((l) => l.type === 'interval');
  // Steady state: drop the first and the last two (start-up, the graceful end).
  const steady = all.slice(1, -2).map((l) => l.interval);
  if (steady.length < 3) throw new Error(`only ${all.length} interval lines in ${out}`);
  const scen = lines.find((l) => l.type === 'interval').scenario;
  const records = steady.map((interval) => JSON.stringify({ type: 'worker-interval', index: 0, scenario: scen, interval }));
  // On the wire: the deflated JSON (packRecord in src/runner/cluster/nats.ts; this parent runs without tsx).
  const bytes = records.map((r) => deflateRawSync(r).length);
  const sorted = [...bytes].sort((a, b) => a - b);
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const traffic = {
    scenario,
    series: median(steady.map((i) => i.series.length)),
    intervals: bytes.length,
    bytesPerInterval: { min: sorted[0], median: median(bytes), max: sorted[sorted.length - 1] },
    jsonMedian: median(records.map((r) => Buffer.byteLength(r))),
    requestsPerInterval: median(steady.map((i) => i.series.filter((s) => s.metric === 'http_reqs').reduce((a, s) => a + s.value, 0))),
    note: 'payload of the worker-interval record as published (deflated JSON); NATS adds the subject, a Nats-Msg-Id header and the JetStream ack (~100-200 B)',
  };
  return { traffic, records };
}

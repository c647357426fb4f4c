// Distributed runs (`loadlens agent`, `loadlens run --nats --agents N`) against a real nats-server
// with JetStream and a token, started here on a free loopback port; agents are real
// `node dist/cli.js agent` processes. Every run is bounded in count and time; nothing asserts
// wall-clock durations (a wait that never ends fails the test by its own timeout).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect as netConnect, createServer as netServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { PROTOCOL_VERSION } from '../../src/protocol';
import { freePort } from '../servers/nats';
import { fixture } from './cli-helpers';

const CLI = resolve('dist/cli.js');
const TOKEN = 's3cret-token';
const hasNats = spawnSync('nats-server', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'loadlens-cluster-'));
let nats: ChildProcess | undefined;
let natsUrl = '';
let natsPort = 0;
let server: Server;
let target = '';
let served = 0;
const children = new Set<ChildProcess>();

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = netConnect(port, '127.0.0.1', () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nats-server did not listen on ${port}`);
}

before(async () => {
  server = createServer((req, res) => {
    served++;
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // scripts/test.mjs installs nats-server (scripts/system-deps.sh): a missing one fails, never skips.
  assert.ok(hasNats, 'nats-server is not installed: run scripts/system-deps.sh');
  natsPort = await freePort();
  nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '--auth', TOKEN, '-sd', join(dir, 'js')], { stdio: 'ignore' });
  await waitForPort(natsPort);
  natsUrl = `nats://${TOKEN}@127.0.0.1:${natsPort}`;
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  nats?.kill('SIGTERM');
  await new Promise<void>((r) => server.close(() => r()));
});

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves once the output contains `text`. */
  waitFor(text: string | RegExp): Promise<void>;
}

function start(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d;
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (text) =>
      new Promise<void>((res, rej) => {
        const check = () => {
          if (typeof text === 'string' ? out.includes(text) : text.test(out)) {
            waiters.splice(waiters.indexOf(check), 1);
            res();
          }
        };
        waiters.push(check);
        void exited.then(() => setTimeout(() => { if (waiters.includes(check)) rej(new Error(`exited before printing ${text}; output:\n${out}`)); }, 50));
        check();
      }),
  };
}

const agent = (env: Record<string, string> = {}, url = natsUrl) => start(['agent', '--nats', url], env);

function scenarioFile(name: string, load: string, thresholds = `{ checks: ['rate == 1'] }`): string {
  const file = join(dir, `${name}.load.ts`);
  writeFileSync(file, `import { scenario, check } from 'loadlens';
export const ${name} = scenario({
  load: ${load},
  thresholds: ${thresholds},
  async iteration({ http }) {
    const res = await http.get('/item');
    check(res, { 'status is 200': (r) => r.status === 200 });
  },
});
`);
  return file;
}

interface Summary {
  state: { status: string };
  metrics: Record<string, { values: Record<string, number> }>;
}

function coordinator(file: string, agents: number, extra: string[] = [], env: Record<string, string> = {}) {
  const exportPath = join(dir, `summary-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const p = start(['run', file, '--target', target, '--nats', natsUrl, '--agents', String(agents), '--no-color', '--summary-export', exportPath, ...extra], env);
  return { ...p, summary: (): Summary => JSON.parse(readFileSync(exportPath, 'utf8')) };
}



interface ClusterSummaryExport {
  agents: number;
  startSkewMs: { max: number; bySegment: Array<{ segment: string; host: string; ms: number }> };
  lost: string[];
  stopped: string[];
}

/** A scenario whose custom Trend `sample` gets one value per iteration, a function of `key`
 *  (an expression of the iteration context that names the iteration the same on one machine and
 *  across agents): the merged percentiles must equal one machine's single histogram exactly. */
function exactFile(name: string, load: string, key: string, after = '', extraThresholds = ''): string {
  const file = join(dir, `${name}.load.ts`);
  writeFileSync(file, `import { scenario, check, sleep, Trend } from 'loadlens';
const sample = new Trend('sample');
export const ${name} = scenario({
  load: ${load},
  thresholds: { checks: ['rate == 1']${extraThresholds} },
  async iteration({ http, vu }) {
    sample.add(((${key}) * 7919) % 1000 + 1);
    const res = await http.get('/item');
    check(res, { 'status is 200': (r) => r.status === 200 });
    ${after}
  },
});
`);
  return file;
}

// Every load shape: the union of 2-3 agents' segments is the single-machine run, request for
// request; the merged histograms are one machine's. The closed shape also checks the global
// threshold (count == 201 holds only on the merged run) and that there is one summary.
const shapes = [
  { name: 'closedShared', agents: 2, load: `{ vus: 5, iterations: 201 }`, key: 'vu.iterationInScenario', count: 201, extra: `, http_reqs: ['count == 201']` },
  { name: 'openRate', agents: 3, load: `{ rate: 40, duration: '3s', maxVUs: 12 }`, key: 'vu.iterationInScenario', count: 120 },
  // Each VU makes one request, then sleeps past the end: the requests are the VUs the ramp started.
  { name: 'vuRamp', agents: 3, load: `{ stages: [{ to: 7, over: '1s' }, { to: 7, over: '2s' }], by: 'vus', gracefulStop: '0s' }`, key: 'vu.id', count: 7, after: `await sleep('20s');` },
  { name: 'rateRamp', agents: 2, load: `{ stages: [{ to: 60, over: '3s' }], by: 'rate', maxVUs: 12 }`, key: 'vu.iterationInScenario', count: 90 },
];

for (const shape of shapes) {
  test(`${shape.name}: ${shape.agents} agents run exactly what one machine runs (${shape.load}): counts, merged percentiles, start skew, one summary`, { timeout: 90_000 }, async () => {
    const file = exactFile(shape.name, shape.load, shape.key, shape.after, shape.extra);
    const beforeOne = served;
    const exportOne = join(dir, `${shape.name}-one.json`);
    const one = start(['run', file, '--target', target, '--workers', '1', '--no-color', '--summary-export', exportOne]);
    assert.equal(await one.exited, 0, one.output());
    const servedOne = served - beforeOne;

    const beforeCluster = served;
    const agents = Array.from({ length: shape.agents }, () => agent());
    const outPath = join(dir, `${shape.name}-cluster.jsonl`);
    const c = coordinator(file, shape.agents, ['--out', outPath]);
    assert.equal(await c.exited, 0, c.output());
    for (const a of agents) assert.equal(await a.exited, 0, a.output());
    const oneSummary = JSON.parse(readFileSync(exportOne, 'utf8')) as Summary;
    const cluster = c.summary();
    assert.equal(servedOne, shape.count, 'requests the target saw from one machine');
    assert.equal(served - beforeCluster, shape.count, `requests the target saw from the ${shape.agents} agents`);
    for (const s of [oneSummary, cluster]) {
      // vuRamp's iterations never complete (interrupted at the end, after their request).
      assert.equal(s.metrics.iterations?.values.count ?? 0, shape.name === 'vuRamp' ? 0 : shape.count);
      assert.equal(s.metrics.http_reqs.values.count, shape.count);
      assert.equal(s.metrics.checks.values.passes, shape.count);
      assert.equal(s.state.status, 'completed');
    }
    // The same samples in one histogram (one machine) and in the agents' merged ones: identical.
    assert.ok(oneSummary.metrics.sample, JSON.stringify(Object.keys(oneSummary.metrics)));
    assert.deepEqual(cluster.metrics.sample.values, oneSummary.metrics.sample.values);
    assert.equal(c.output().match(new RegExp(`scenario ${shape.name}`, 'g'))?.length, 1, 'one summary');
    const records = readFileSync(outPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(records.filter((r) => r.type === 'summary').length, 1);
    for (let i = 1; i <= shape.agents; i++) assert.match(agents.map((a) => a.output()).join(''), new RegExp(`segment ${i}/${shape.agents} finished`));
    // Every agent reported how late it started after the agreed instant; the summary shows the max.
    const skew = (cluster as Summary & { cluster: ClusterSummaryExport }).cluster;
    assert.equal(skew.agents, shape.agents);
    assert.equal(skew.startSkewMs.bySegment.length, shape.agents);
    assert.equal(new Set(skew.startSkewMs.bySegment.map((b) => b.segment)).size, shape.agents, 'one per segment');
    assert.equal(skew.startSkewMs.max, Math.max(...skew.startSkewMs.bySegment.map((b) => b.ms)), 'max over the agents');
    assert.match(c.output(), new RegExp(`cluster: ${shape.agents} agent\\(s\\), start skew: max \\d[\\d,]* ms over ${shape.agents} agent\\(s\\)`));
    if (shape.extra) assert.match(c.output(), /✓ .*count == 201/);
  });
}

test('too few agents: a clear error after --agents-timeout, exit 110; the agent that came exits', { timeout: 60_000 }, async () => {
  const file = scenarioFile('few', `{ vus: 2, iterations: 10 }`);
  const a = agent();
  const c = coordinator(file, 2, ['--agents-timeout', '2s']);
  assert.equal(await c.exited, 110, c.output());
  assert.match(c.output(), /✗ cluster error in few\s+only 1 of 2 agent\(s\) joined within --agents-timeout 2 s/);
  assert.notEqual(await a.exited, 0, a.output());
});

test('wrong token: the agent fails fast saying authorization failed', { timeout: 30_000 }, async () => {
  const a = agent({}, `nats://wrong-token@127.0.0.1:${natsPort}`);
  assert.equal(await a.exited, 2, a.output());
  assert.match(a.output(), /authorization failed at nats:\/\/127\.0\.0\.1:\d+/);
  assert.doesNotMatch(a.output(), /wrong-token/, 'the token is not echoed');
});

test('protocol version mismatch: refused, naming both versions', { timeout: 60_000 }, async () => {
  const file = scenarioFile('version', `{ vus: 1, iterations: 5 }`);
  const a = agent({ LOADLENS_FAKE_PROTOCOL_VERSION: '99' });
  const c = coordinator(file, 1, ['--agents-timeout', '3s']);
  assert.equal(await a.exited, 2, a.output());
  assert.match(a.output(), new RegExp(`protocol version mismatch: the agent speaks version 99, the coordinator version ${PROTOCOL_VERSION}`));
  assert.equal(await c.exited, 110, c.output());
  assert.match(c.output(), new RegExp(`refused agent .*protocol version 99, the coordinator's is ${PROTOCOL_VERSION}`));
});

test('an agent SIGKILLed mid-run: detected, the run goes on and ends incomplete (exit 1) naming the lost segment', { timeout: 90_000 }, async () => {
  const file = scenarioFile('lost', `{ rate: 40, duration: '6s', maxVUs: 10 }`);
  const a1 = agent();
  await a1.waitFor('waiting for a run');
  const c = coordinator(file, 2);
  await c.waitFor('1/2 joined');
  const a2 = agent();
  await c.waitFor('agents: 2 running');
  await c.waitFor(/\d+ req\/s/);
  // a1 joined first: segment 0:1/2.
  a1.child.kill('SIGKILL');
  assert.equal(await c.exited, 1, c.output());
  assert.match(c.output(), /agent 1\/2 .*lost: no heartbeat/);
  assert.match(c.output(), /incomplete: lost segment\(s\) 0:1\/2/);
  const s = c.summary();
  assert.equal(s.state.status, 'incomplete');
  assert.match(c.output(), /note: Lost segment 0:1\/2 \(agent 1\/2/);
  const reqs = s.metrics.http_reqs.values.count;
  assert.ok(reqs >= 120 && reqs < 240, `the other segment's 120 plus what the lost one reported: ${reqs}`);
  assert.equal(await a2.exited, 0, a2.output());
});

test('the coordinator SIGKILLed: its agents stop and exit non-zero', { timeout: 60_000 }, async () => {
  const file = scenarioFile('orphan', `{ rate: 10, duration: '60s', maxVUs: 4 }`);
  const a1 = agent();
  const a2 = agent();
  const c = coordinator(file, 2);
  await c.waitFor('agents: 2 running');
  c.child.kill('SIGKILL');
  const [e1, e2] = await Promise.all([a1.exited, a2.exited]);
  assert.equal(e1, 1, a1.output());
  assert.equal(e2, 1, a2.output());
  assert.match(a1.output(), /the coordinator of run .* is gone/);
});

test('Ctrl-C on the coordinator: every agent stops, the merged summary, exit 105', { timeout: 60_000 }, async () => {
  const file = scenarioFile('interrupt', `{ rate: 10, duration: '60s', maxVUs: 4 }`);
  const a1 = agent();
  const a2 = agent();
  const c = coordinator(file, 2);
  await c.waitFor('agents: 2 running');
  await c.waitFor(/\d+ req\/s/);
  c.child.kill('SIGINT');
  assert.equal(await c.exited, 105, c.output());
  assert.match(c.output(), /scenario interrupt/);
  assert.equal(c.summary().state.status, 'cancelled');
  assert.ok(c.summary().metrics.http_reqs.values.count > 0);
  await Promise.all([a1.exited, a2.exited]);
});

test('invalid messages on the cluster subjects are dropped and counted; the run is unaffected', { timeout: 60_000 }, async () => {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream } = await import('@nats-io/jetstream');
  const run = `rtest${Date.now().toString(36)}`;
  const file = scenarioFile('invalid', `{ rate: 20, duration: '3s', maxVUs: 4 }`);
  const a1 = agent();
  const a2 = agent();
  const before = served;
  const c = coordinator(file, 2, [], { LOADLENS_RUN_ID: run });
  await c.waitFor('agents: 2 running');
  const nc = await connect({ servers: `127.0.0.1:${natsPort}`, token: TOKEN });
  const js = jetstream(nc);
  await js.publish(`loadlens.${run}.out.0`, 'not json');
  await js.publish(`loadlens.${run}.out.1`, JSON.stringify({ type: 'worker-interval', index: 1, scenario: 'invalid', interval: { index: 0, series: 'x' } }));
  nc.publish(`loadlens.${run}.hb.0`, JSON.stringify({ agent: 'somebody-else', index: 0 }));
  await nc.flush();
  await nc.close();
  assert.equal(await c.exited, 0, c.output());
  assert.match(c.output(), /3 invalid message\(s\) dropped/);
  assert.equal(c.summary().metrics.http_reqs.values.count, 60);
  assert.equal(served - before, 60);
  assert.equal(await a1.exited, 0);
  assert.equal(await a2.exited, 0);
});

test('abortOnFail is evaluated on the merged run and stops every agent: exit 108', { timeout: 60_000 }, async () => {
  const file = join(dir, 'doomed.load.ts');
  writeFileSync(file, `import { scenario, check, sleep } from 'loadlens';
export const doomed = scenario({
  load: { vus: 2, duration: '60s', gracefulStop: '1s' },
  thresholds: { checks: [{ threshold: 'rate > 0.99', abortOnFail: true }] },
  async iteration({ http }) {
    const res = await http.get('/item');
    check(res, { 'status is 418': (r) => r.status === 418 });
    await sleep('50ms');
  },
});
`);
  const a1 = agent();
  const a2 = agent();
  const c = coordinator(file, 2);
  assert.equal(await c.exited, 108, c.output());
  assert.match(c.output(), /aborting: threshold checks: rate > 0\.99 failed/);
  assert.equal(c.summary().state.status, 'aborted');
  await Promise.all([a1.exited, a2.exited]);
  assert.match(a1.output(), /finished/);
});

test('tls:// URLs connect with TLS (a private CA trusted through NODE_EXTRA_CA_CERTS)', { timeout: 60_000 }, async () => {
  const key = join(dir, 'tls-key.pem');
  const cert = join(dir, 'tls-cert.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  assert.equal(made.status, 0, String(made.stderr));
  const port = await freePort();
  const tlsNats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '--auth', TOKEN, '-sd', join(dir, 'js-tls'),
    '--tls', '--tlscert', cert, '--tlskey', key], { stdio: 'ignore' });
  children.add(tlsNats);
  try {
    await waitForPort(port);
    const url = `tls://${TOKEN}@127.0.0.1:${port}`;
    const env = { NODE_EXTRA_CA_CERTS: cert };
    const a = agent(env, url);
    const file = scenarioFile('tls', `{ vus: 2, iterations: 20 }`);
    const before = served;
    const exportPath = join(dir, 'tls-summary.json');
    const c = start(['run', file, '--target', target, '--nats', url, '--agents', '1', '--no-color', '--summary-export', exportPath], env);
    assert.equal(await c.exited, 0, c.output());
    assert.equal(await a.exited, 0, a.output());
    assert.equal(served - before, 20);
    // Without TLS the same server refuses the connection: the agent fails fast.
    const plain = agent({}, `nats://${TOKEN}@127.0.0.1:${port}`);
    assert.notEqual(await plain.exited, 0, plain.output());
  } finally {
    tlsNats.kill('SIGTERM');
  }
});

test('--nats-creds with a file that cannot be read: the agent says so and exits', { timeout: 30_000 }, async () => {
  const a = start(['agent', '--nats', `nats://127.0.0.1:${natsPort}`, '--nats-creds', join(dir, 'missing.creds')]);
  assert.notEqual(await a.exited, 0, a.output());
  assert.match(a.output(), /--nats-creds: cannot read .*missing\.creds/);
});

test('a coordinator cut from NATS for a moment reconnects and loses nothing (the stream replays)', { timeout: 90_000 }, async () => {
  // A TCP proxy between the coordinator and NATS, which the test cuts for about a second.
  const sockets = new Set<import('node:net').Socket>();
  let open = true;
  const proxy = netServer((client) => {
    if (!open) return client.destroy();
    const upstream = netConnect(natsPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyPort = (proxy.address() as AddressInfo).port;
  try {
    const file = scenarioFile('blip', `{ rate: 30, duration: '5s', maxVUs: 6 }`);
    const a1 = agent();
    const a2 = agent();
    const before = served;
    const exportPath = join(dir, 'blip-summary.json');
    const c = start(['run', file, '--target', target, '--nats', `nats://${TOKEN}@127.0.0.1:${proxyPort}`, '--agents', '2', '--no-color', '--summary-export', exportPath]);
    await c.waitFor('agents: 2 running');
    await c.waitFor(/\d+ req\/s/);
    open = false;
    for (const s of sockets) s.destroy();
    sockets.clear();
    await c.waitFor('disconnected from');
    await new Promise((r) => setTimeout(r, 1000));
    open = true;
    await c.waitFor('reconnected to');
    assert.equal(await c.exited, 0, c.output());
    const s = JSON.parse(readFileSync(exportPath, 'utf8')) as Summary;
    assert.equal(s.metrics.http_reqs.values.count, 150, c.output());
    assert.equal(served - before, 150);
    assert.equal(s.state.status, 'completed');
    assert.equal(await a1.exited, 0);
    assert.equal(await a2.exited, 0);
  } finally {
    for (const s of sockets) s.destroy();
    proxy.close();
  }
});

test('agent --serve runs one run after another', { timeout: 60_000 }, async () => {
  const file = scenarioFile('serve', `{ vus: 1, iterations: 7 }`);
  const a = start(['agent', '--nats', natsUrl, '--serve']);
  for (let i = 0; i < 2; i++) {
    const c = coordinator(file, 1);
    assert.equal(await c.exited, 0, c.output());
    assert.equal(c.summary().metrics.iterations.values.count, 7);
  }
  await a.waitFor(/segment 1\/1 finished[\s\S]*segment 1\/1 finished/);
  assert.equal(a.child.exitCode, null, 'still serving');
  a.child.kill('SIGTERM');
  await a.exited;
});

test('check() used where no run is active in the agents only: each agent relays the warning, the coordinator prints it once at its line', { timeout: 60_000 }, async () => {
  const file = fixture('outside-in-workers.load.ts');
  const agents = [agent(), agent()];
  const c = coordinator(file, 2);
  assert.equal(await c.exited, 0, c.output());
  for (const a of agents) assert.equal(await a.exited, 0, a.output());
  const warnings = c.output().split('\n').filter((l) => l.includes('while no scenario runs'));
  assert.equal(warnings.length, 1, c.output());
  assert.ok(warnings[0].includes(`${file}:5:15: check() was called while no scenario runs`), warnings[0]);
  assert.equal(c.summary().metrics.checks.values.passes, 8, 'the top-level check recorded nothing');
});

test('Ctrl-C while the coordinator waits for agents: no load, exit 105, the agent that joined exits', { timeout: 60_000 }, async () => {
  const file = scenarioFile('early', `{ vus: 2, iterations: 10 }`);
  const a = agent();
  const c = coordinator(file, 2);
  await c.waitFor('1/2 joined');
  c.child.kill('SIGINT');
  assert.equal(await c.exited, 105, c.output());
  assert.match(c.output(), /cancelled before the start: 1 of 2 agent\(s\) had joined/);
  assert.notEqual(await a.exited, null);
});

test('agents whose wall clocks are off by +5 s and -3 s: exact counts, aligned intervals, start skew far below the offsets', { timeout: 90_000 }, async () => {
  // LOADLENS_TEST_CLOCK_OFFSET_MS (test-only) shifts an agent's wall clock; the start instant
  // reaches it through the offset it measured at the join, not through its clock.
  const file = scenarioFile('offset', `{ rate: 30, duration: '3s', maxVUs: 8 }`);
  const ahead = agent({ LOADLENS_TEST_CLOCK_OFFSET_MS: '5000' });
  const behind = agent({ LOADLENS_TEST_CLOCK_OFFSET_MS: '-3000' });
  const before = served;
  const outPath = join(dir, 'offset.jsonl');
  const c = coordinator(file, 2, ['--out', outPath]);
  assert.equal(await c.exited, 0, c.output());
  assert.equal(await ahead.exited, 0, ahead.output());
  assert.equal(await behind.exited, 0, behind.output());
  // Each agent measured its offset to the coordinator (the coordinator's clock minus its own).
  const offsetOf = (out: string) => Number(/clock offset to the coordinator ([+-]\d+) ms/.exec(out)?.[1]);
  assert.ok(Math.abs(offsetOf(ahead.output()) + 5000) < 500, ahead.output());
  assert.ok(Math.abs(offsetOf(behind.output()) - 3000) < 500, behind.output());
  const s = c.summary() as Summary & { cluster: ClusterSummaryExport };
  assert.equal(s.metrics.http_reqs.values.count, 90);
  assert.equal(served - before, 90);
  assert.equal(s.state.status, 'completed');
  // Trusting the wall clocks would start one agent ~1.5 s early (at once) and the other 3 s late.
  assert.equal(s.cluster.startSkewMs.bySegment.length, 2);
  for (const b of s.cluster.startSkewMs.bySegment) assert.ok(b.ms > -100 && b.ms < 1000, `start lag of ${b.segment}: ${b.ms} ms`);
  // Intervals line up: each of the 3 merged seconds holds exactly its 30 due arrivals, none late.
  const intervals = readFileSync(outPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; interval?: { index: number; iterationsDue: number } })
    .filter((r) => r.type === 'interval').map((r) => r.interval!);
  // (Exactly 30 but for an arrival on a boundary that an interval's timer, a few ms late, takes in.)
  const due = intervals.slice(0, 3).map((i) => i.iterationsDue);
  assert.ok(due.every((d) => d >= 27 && d <= 33), `arrivals due per merged second: ${due.join(', ')}`);
  assert.doesNotMatch(c.output(), /arrived after their interval closed/);
});

test('an agent sent SIGTERM (a pod evicted) stops its segment gracefully, sends what it measured, exits 1; the run names the stopped segment', { timeout: 90_000 }, async () => {
  const file = scenarioFile('evicted', `{ rate: 20, duration: '8s', maxVUs: 6 }`);
  const a1 = agent();
  await a1.waitFor('waiting for a run');
  const before = served;
  const c = coordinator(file, 2);
  await c.waitFor('1/2 joined');
  const a2 = agent();
  await c.waitFor('agents: 2 running');
  await c.waitFor(/\d+ req\/s/);
  // a1 joined first: segment 0:1/2.
  a1.child.kill('SIGTERM');
  assert.equal(await a1.exited, 1, a1.output());
  assert.match(a1.output(), /stopping \(signal\): segment 1\/2/);
  assert.equal(await c.exited, 1, c.output());
  assert.equal(await a2.exited, 0, a2.output());
  assert.match(c.output(), /agent 1\/2 .* stopped before the end of its segment/);
  assert.match(c.output(), /incomplete: stopped segment\(s\) 0:1\/2/);
  assert.match(c.output(), /note: Stopped segment 0:1\/2 \(agent 1\/2/);
  assert.doesNotMatch(c.output(), /lost: no heartbeat/, 'stopped, not lost');
  const s = c.summary() as Summary & { cluster: ClusterSummaryExport };
  assert.equal(s.state.status, 'incomplete');
  assert.deepEqual(s.cluster.stopped, ['0:1/2']);
  // Everything the stopped agent sent was measured and reached the coordinator.
  const reqs = s.metrics.http_reqs.values.count;
  assert.equal(served - before, reqs);
  assert.ok(reqs >= 80 && reqs < 160, `the other segment's 80 plus what the stopped one ran: ${reqs}`);
});

test('wrong user/password: the agent fails fast saying authorization failed (user/password); the right ones connect', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const userNats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '--user', 'loader', '--pass', 'pa55', '-sd', join(dir, 'js-user')], { stdio: 'ignore' });
  children.add(userNats);
  try {
    await waitForPort(port);
    const bad = agent({}, `nats://loader:wrong@127.0.0.1:${port}`);
    assert.equal(await bad.exited, 2, bad.output());
    assert.match(bad.output(), /authorization failed at nats:\/\/127\.0\.0\.1:\d+: the server refused the user\/password/);
    assert.doesNotMatch(bad.output(), /wrong/, 'the password is not echoed');
    const none = agent({}, `nats://127.0.0.1:${port}`);
    assert.equal(await none.exited, 2, none.output());
    assert.match(none.output(), /authorization failed .*the connection without credentials/);
    const good = agent({}, `nats://loader:pa55@127.0.0.1:${port}`);
    await good.waitFor('waiting for a run');
    good.child.kill('SIGTERM');
    await good.exited;
  } finally {
    userNats.kill('SIGTERM');
  }
});

test('nats-server restarted mid-run (same port and store): agents keep running, everyone reconnects, the stream keeps what it stored', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const store = join(dir, 'js-restart');
  const startNats = () => {
    const p = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '--auth', TOKEN, '-sd', store], { stdio: 'ignore' });
    children.add(p);
    return p;
  };
  let server1 = startNats();
  try {
    await waitForPort(port);
    const url = `nats://${TOKEN}@127.0.0.1:${port}`;
    const file = scenarioFile('restart', `{ rate: 20, duration: '8s', maxVUs: 6 }`);
    const a1 = agent({}, url);
    const a2 = agent({}, url);
    const before = served;
    const exportPath = join(dir, 'restart-summary.json');
    const c = start(['run', file, '--target', target, '--nats', url, '--agents', '2', '--no-color', '--summary-export', exportPath]);
    await c.waitFor('agents: 2 running');
    await c.waitFor(/\d+ req\/s/);
    server1.kill('SIGKILL');
    await new Promise((r) => server1.once('exit', r));
    await c.waitFor('disconnected from');
    await new Promise((r) => setTimeout(r, 1000));
    server1 = startNats();
    await c.waitFor('reconnected to');
    const code = await c.exited;
    const s = JSON.parse(readFileSync(exportPath, 'utf8')) as Summary;
    assert.equal(code, 0, `${c.output()}\n${a1.output()}\n${a2.output()}`);
    assert.equal(s.state.status, 'completed');
    // Every record reached the coordinator: the ones stored before the restart, the ones the
    // agents published again after it (the stream drops a retried duplicate by its message id).
    assert.equal(s.metrics.http_reqs.values.count, 160);
    assert.equal(served - before, 160);
    assert.equal(await a1.exited, 0, a1.output());
    assert.equal(await a2.exited, 0, a2.output());
    assert.match(a1.output(), /disconnected from NATS; reconnecting[\s\S]*reconnected to NATS/);
  } finally {
    server1.kill('SIGTERM');
  }
});

/** A NATS credentials file: a user JWT signed by `account` and the user's nkey seed. */
function natsJwt(issuer: import('@nats-io/nkeys').KeyPair, sub: string, name: string, nats: Record<string, unknown>): string {
  const b64 = (x: string | Uint8Array) => Buffer.from(x).toString('base64url');
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), sub, name, nats: { ...nats, version: 2 } };
  claims.jti = createHash('sha256').update(JSON.stringify(claims)).digest('base64url');
  const body = `${b64(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))}.${b64(JSON.stringify(claims))}`;
  return `${body}.${b64(issuer.sign(new TextEncoder().encode(body)))}`;
}

test('--nats-creds against a nats-server in operator (JWT) mode: a run with credentials files; a user of an unknown account is refused', { timeout: 60_000 }, async () => {
  const { createOperator, createAccount, createUser } = await import('@nats-io/nkeys');
  const operator = createOperator();
  const account = createAccount();
  const system = createAccount();
  const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const credsFor = (acc: import('@nats-io/nkeys').KeyPair, file: string) => {
    const user = createUser();
    const jwt = natsJwt(acc, user.getPublicKey(), 'loadlens', { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
    writeFileSync(file, `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n`);
    return file;
  };
  const port = await freePort();
  const conf = join(dir, 'operator.conf');
  writeFileSync(conf, [
    `listen: 127.0.0.1:${port}`,
    `operator: ${natsJwt(operator, operator.getPublicKey(), 'op', { type: 'operator', system_account: system.getPublicKey() })}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${account.getPublicKey()}: ${natsJwt(operator, account.getPublicKey(), 'loadlens', { type: 'account', limits: { ...unlimited, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } })}`,
    `  ${system.getPublicKey()}: ${natsJwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: unlimited })}`,
    '}',
    `jetstream: { store_dir: "${join(dir, 'js-operator')}" }`,
  ].join('\n'));
  const opNats = spawn('nats-server', ['-c', conf], { stdio: 'ignore' });
  children.add(opNats);
  try {
    await waitForPort(port);
    const url = `nats://127.0.0.1:${port}`;
    const good = credsFor(account, join(dir, 'good.creds'));
    const file = scenarioFile('creds', `{ vus: 2, iterations: 12 }`);
    const before = served;
    const a = start(['agent', '--nats', url, '--nats-creds', good]);
    const exportPath = join(dir, 'creds-summary.json');
    const c = start(['run', file, '--target', target, '--nats', url, '--nats-creds', good, '--agents', '1', '--no-color', '--summary-export', exportPath]);
    assert.equal(await c.exited, 0, c.output());
    assert.equal(await a.exited, 0, a.output());
    assert.equal(served - before, 12);
    // Signed by an account the server does not know.
    const stranger = start(['agent', '--nats', url, '--nats-creds', credsFor(createAccount(), join(dir, 'stranger.creds'))]);
    assert.equal(await stranger.exited, 2, stranger.output());
    assert.match(stranger.output(), /authorization failed at nats:\/\/127\.0\.0\.1:\d+: the server refused the credentials file/);
  } finally {
    opNats.kill('SIGTERM');
  }
});

test('nats-server gone for good mid-run: agents stop after 10 s without NATS (exit 1), the run ends incomplete by its planned end plus the grace (exit 1)', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const gone = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '--auth', TOKEN, '-sd', join(dir, 'js-gone')], { stdio: 'ignore' });
  children.add(gone);
  await waitForPort(port);
  const url = `nats://${TOKEN}@127.0.0.1:${port}`;
  const file = scenarioFile('gone', `{ rate: 10, duration: '20s', maxVUs: 4, gracefulStop: '1s' }`);
  const a1 = agent({}, url);
  const a2 = agent({}, url);
  const exportPath = join(dir, 'gone-summary.json');
  const c = start(['run', file, '--target', target, '--nats', url, '--agents', '2', '--no-color', '--summary-export', exportPath]);
  await c.waitFor('agents: 2 running');
  await c.waitFor(/\d+ req\/s/);
  gone.kill('SIGKILL');
  const [e1, e2] = await Promise.all([a1.exited, a2.exited]);
  assert.equal(e1, 1, a1.output());
  assert.equal(e2, 1, a2.output());
  assert.match(a1.output(), /NATS unreachable for 10 s during run .*: stopping/);
  assert.equal(await c.exited, 1, c.output());
  assert.match(c.output(), /disconnected from nats:\/\/127\.0\.0\.1:\d+; reconnecting/);
  assert.match(c.output(), /incomplete: lost segment\(s\) 0:1\/2 .*1\/2:1/);
  const s = JSON.parse(readFileSync(exportPath, 'utf8')) as Summary;
  assert.equal(s.state.status, 'incomplete');
  assert.ok(s.metrics.http_reqs.values.count > 0 && s.metrics.http_reqs.values.count < 300, 'what reached the coordinator before the server went away');
});

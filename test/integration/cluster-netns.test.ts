// A distributed run across "hosts": network namespaces created (and removed) by this test, one
// each for NATS, the coordinator, the target and two agents, joined by a bridge on a private
// 10.77.x.0/24 subnet. Needs root and `ip`; skipped otherwise. Bounded in count and time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve('dist/cli.js');
const TOKEN = 'netns-token';
// Network namespaces need root (CI runs as root; scripts/system-deps.sh installs ip and nats-server).
const canRun = process.getuid?.() === 0;
const tag = `ll${process.pid % 100000}`;
const subnet = `10.77.${(process.pid % 200) + 20}`;
const hosts = { nats: 2, coord: 3, target: 10, a1: 11, a2: 12 } as const;
type Host = keyof typeof hosts;
const ns = (h: Host | 'hub') => `${tag}-${h}`;
const ipOf = (h: Host) => `${subnet}.${hosts[h]}`;
const dir = mkdtempSync(join(tmpdir(), 'loadlens-netns-'));
const children = new Set<ChildProcess>();
let made = false;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function inNs(h: Host, cmd: string, args: string[]): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns(h), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  return child;
}

function collect(child: ChildProcess): { out: () => string; exited: Promise<number | null> } {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { out: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function waitFor(get: () => string, text: string): Promise<void> {
  for (let i = 0; i < 200 && !get().includes(text); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(get().includes(text), `never printed ${text}:\n${get()}`);
}

before(() => {
  if (!canRun) return;
  made = true;
  ip('netns', 'add', ns('hub'));
  ip('-n', ns('hub'), 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', ns('hub'), 'link', 'set', 'br0', 'up');
  for (const h of Object.keys(hosts) as Host[]) {
    ip('netns', 'add', ns(h));
    const inside = `v${hosts[h]}${tag}`.slice(0, 15);
    const outside = `h${hosts[h]}${tag}`.slice(0, 15);
    ip('link', 'add', inside, 'type', 'veth', 'peer', 'name', outside);
    ip('link', 'set', inside, 'netns', ns(h));
    ip('link', 'set', outside, 'netns', ns('hub'));
    ip('-n', ns('hub'), 'link', 'set', outside, 'master', 'br0', 'up');
    ip('-n', ns(h), 'addr', 'add', `${ipOf(h)}/24`, 'dev', inside);
    ip('-n', ns(h), 'link', 'set', inside, 'up');
    ip('-n', ns(h), 'link', 'set', 'lo', 'up');
  }
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (!made) return;
  for (const h of [...Object.keys(hosts), 'hub'] as Array<Host | 'hub'>) spawnSync('ip', ['netns', 'del', ns(h)]);
});

test('a run across network namespaces: NATS, coordinator, target and 2 agents on 5 "hosts"', { skip: !canRun && 'needs root (ip netns)', timeout: 90_000 }, async () => {
  const nats = inNs('nats', 'nats-server', ['-a', ipOf('nats'), '-p', '4222', '-js', '--auth', TOKEN, '-sd', join(dir, 'js')]);
  const natsOut = collect(nats);
  await waitFor(natsOut.out, 'Server is ready');
  const targetScript = join(dir, 'target.cjs');
  writeFileSync(targetScript, `let n = 0;
require('http').createServer((q, s) => { n++; q.resume(); s.end('ok'); }).listen(8080, '${ipOf('target')}', () => console.log('listening'));
process.on('SIGTERM', () => { console.log('served ' + n); process.exit(0); });
`);
  const target = collect(inNs('target', process.execPath, [targetScript]));
  await waitFor(target.out, 'listening');
  const url = `nats://${TOKEN}@${ipOf('nats')}:4222`;
  const a1 = collect(inNs('a1', process.execPath, [CLI, 'agent', '--nats', url]));
  const a2 = collect(inNs('a2', process.execPath, [CLI, 'agent', '--nats', url]));
  const file = join(dir, 'spread.load.ts');
  writeFileSync(file, `import { scenario, check } from 'loadlens';
export const spread = scenario({
  load: { rate: 50, duration: '4s', maxVUs: 10 },
  thresholds: { http_reqs: ['count == 200'] },
  async iteration({ http }) {
    const res = await http.get('/item');
    check(res, { 'status is 200': (r) => r.status === 200 });
  },
});
`);
  const exportPath = join(dir, 'summary.json');
  const c = collect(inNs('coord', process.execPath, [CLI, 'run', file, '--target', `http://${ipOf('target')}:8080`, '--nats', url, '--agents', '2', '--no-color', '--summary-export', exportPath]));
  assert.equal(await c.exited, 0, c.out());
  assert.equal(await a1.exited, 0, a1.out());
  assert.equal(await a2.exited, 0, a2.out());
  const summary = JSON.parse(readFileSync(exportPath, 'utf8')) as { metrics: Record<string, { values: Record<string, number> }> };
  assert.equal(summary.metrics.http_reqs.values.count, 200);
  for (const ch of children) if (ch.spawnargs.includes(targetScript)) ch.kill('SIGTERM');
  await target.exited;
  assert.match(target.out(), /served 200/);
  nats.kill('SIGTERM');
  await natsOut.exited;
});

test('a network cut between an agent and NATS: the coordinator loses its segment (exit 1), the agent stops (exit 1)', { skip: !canRun && 'needs root (ip netns)', timeout: 90_000 }, async () => {
  const nats = inNs('nats', 'nats-server', ['-a', ipOf('nats'), '-p', '4222', '-js', '--auth', TOKEN, '-sd', join(dir, 'js2')]);
  const natsOut = collect(nats);
  await waitFor(natsOut.out, 'Server is ready');
  const targetScript = join(dir, 'target2.cjs');
  writeFileSync(targetScript, `require('http').createServer((q, s) => { q.resume(); s.end('ok'); }).listen(8080, '${ipOf('target')}', () => console.log('listening'));`);
  const target = inNs('target', process.execPath, [targetScript]);
  await waitFor(collect(target).out, 'listening');
  const url = `nats://${TOKEN}@${ipOf('nats')}:4222`;
  const a1 = collect(inNs('a1', process.execPath, [CLI, 'agent', '--nats', url]));
  await waitFor(a1.out, 'waiting for a run');
  const file = join(dir, 'cut.load.ts');
  writeFileSync(file, `import { scenario } from 'loadlens';
export const cut = scenario({
  load: { rate: 20, duration: '10s', maxVUs: 6 },
  async iteration({ http }) { await http.get('/item'); },
});
`);
  const exportPath = join(dir, 'cut-summary.json');
  const c = collect(inNs('coord', process.execPath, [CLI, 'run', file, '--target', `http://${ipOf('target')}:8080`, '--nats', url, '--agents', '2', '--no-color', '--summary-export', exportPath]));
  await waitFor(c.out, '1/2 joined');
  const a2 = collect(inNs('a2', process.execPath, [CLI, 'agent', '--nats', url]));
  await waitFor(c.out, 'agents: 2 running');
  await waitFor(c.out, 'req/s');
  // Cut a1 (segment 0:1/2) off the network.
  ip('-n', ns('a1'), 'link', 'set', `v${hosts.a1}${tag}`.slice(0, 15), 'down');
  assert.equal(await c.exited, 1, c.out());
  assert.match(c.out(), /incomplete: lost segment\(s\) 0:1\/2/);
  assert.equal(await a1.exited, 1, a1.out());
  assert.match(a1.out(), /coordinator .* is gone/);
  assert.equal(await a2.exited, 0, a2.out());
  const summary = JSON.parse(readFileSync(exportPath, 'utf8')) as { state: { status: string } };
  assert.equal(summary.state.status, 'incomplete');
  target.kill('SIGTERM');
  nats.kill('SIGTERM');
  await natsOut.exited;
});

// What HTTP/2 costs the generator: a bare GET over TLS against a node:http2 server that speaks
// both h2 and HTTP/1.1 (pinned to CPU 0), Loadlens pinned to CPU 1, 64 VUs, once with h2 and
// once with http2: false. Prints requests/s, generator CPU seconds (user+sys, /usr/bin/time) and
// requests per generator CPU-second, and the connections the server saw.
//   node bench/http2.mjs [--seconds 10] [--vus 64]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const seconds = Number(arg('seconds', '10'));
const vus = Number(arg('vus', '64'));

const dir = mkdtempSync(join(tmpdir(), 'loadlens-h2bench-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1'], { cwd: dir, stdio: 'ignore' });

const serverCode = `
const { createSecureServer } = require('node:http2');
const fs = require('node:fs');
let connections = 0;
const s = createSecureServer({ key: fs.readFileSync(${JSON.stringify(join(dir, 'key.pem'))}), cert: fs.readFileSync(${JSON.stringify(join(dir, 'cert.pem'))}), allowHTTP1: true }, (req, res) => res.end('ok'));
s.on('secureConnection', () => connections++);
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
process.on('message', () => process.send(connections));
`;

async function once(h2) {
  const server = spawn('taskset', ['-c', '0', process.execPath, '-e', serverCode], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  const summary = join(dir, `summary-${h2}.json`);
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'taskset', '-c', '1', process.execPath, join(root, 'dist', 'cli.js'), 'run', join(root, 'bench', 'scenarios', 'h2-get.load.ts'),
    '--target', `https://127.0.0.1:${port}`, '--vus', String(vus), '--duration', `${seconds}s`, '--quiet', '--summary-export', summary], { encoding: 'utf8', env: { ...process.env, H2: h2 ? '1' : '0', NO_COLOR: '1' } });
  const [user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  const s = JSON.parse(readFileSync(summary, 'utf8'));
  server.send('connections?');
  const connections = await new Promise((resolve) => server.once('message', resolve));
  server.kill();
  const reqs = s.metrics.http_reqs.values.count;
  const failed = s.metrics.http_req_failed.values.rate;
  const cpu = user + sys;
  return { protocol: h2 ? 'h2' : 'http/1.1', reqs, rps: Math.round(reqs / seconds), cpu: Number(cpu.toFixed(2)), reqsPerCpuSecond: Math.round(reqs / cpu), p50ms: s.metrics.http_req_duration.values.med, p99ms: s.metrics.http_req_duration.values['p(99)'], failed, connections };
}

const results = [];
for (const h2 of [false, true]) results.push(await once(h2));
console.table(results);
rmSync(dir, { recursive: true, force: true });

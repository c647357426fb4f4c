// The fixed fast target: Debian's nginx on loopback, one worker pinned to CPU 0, keep-alive, no
// access log. `/` answers 200 'ok'; `/json` answers a small JSON document for the POST case.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './proc.mjs';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export function nginxConfig(dir, port) {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 19000; }
http {
  access_log off;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} backlog=65535;
    location = /json { default_type application/json; return 200 '{"ok":true,"items":[1,2,3]}'; }
    location / { default_type text/plain; return 200 'ok'; }
  }
}
`;
}

/** Starts nginx pinned to `cpu`; resolves when it answers. */
export async function startNginx({ cpu = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'llbench-nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port));
  const child = spawn('taskset', ['-c', String(cpu), 'nginx', '-c', conf, '-p', dir, '-e', `${dir}/error.log`],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { const r = await fetch(url + '/'); if ((await r.text()) === 'ok') break; } catch { /* not yet */ }
    if (child.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    await sleep(50);
  }
  return {
    url, conf, dir, pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGQUIT');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

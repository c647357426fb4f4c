// A real nats-server with JetStream and token auth on a free loopback port (Debian's package,
// which scripts/system-deps.sh installs; scripts/test.mjs runs it for suites named *cluster*).
// stop() ends it and removes its JetStream folder.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningNats {
  port: number;
  /** nats://127.0.0.1:PORT, without credentials. */
  url: string;
  /** nats://TOKEN@127.0.0.1:PORT */
  urlWithToken: string;
  stop(): Promise<void>;
}

/** A free loopback TCP port (for nats-server, which takes a port, not 0). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startNats(token: string): Promise<RunningNats> {
  if (spawnSync('nats-server', ['--version']).status !== 0) throw new Error('nats-server is not installed: run scripts/system-deps.sh');
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-nats-'));
  const port = await freePort();
  const child: ChildProcess = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '--auth', token, '-sd', dir], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1', () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) break;
    if (i >= 100 || child.exitCode !== null) { await stop(); throw new Error(`nats-server did not listen on ${port}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, url: `nats://127.0.0.1:${port}`, urlWithToken: `nats://${token}@127.0.0.1:${port}`, stop };
}

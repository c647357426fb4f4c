// Long-running helper processes for the bench sections (servers, generators sampled for RSS).
import { spawn } from 'node:child_process';
import { treeRssKB, sleep } from './proc.mjs';

/** Spawns `cmd args` pinned to `cpu` with the open-files limit raised to the hard limit. */
export function spawnPinned(cmd, args, { cpu, env = process.env, cwd, stdio = ['ignore', 'pipe', 'pipe'] } = {}) {
  return spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec taskset -c "$0" "$@"', String(cpu), cmd, ...args], { env, cwd, stdio });
}

/** Resolves with the first stdout match of `re` (e.g. a server's "listening PORT" line). */
export function waitForLine(child, re, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; got: ${buf.slice(-300)}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = re.exec(buf);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited (${code}) before ${re}: ${buf.slice(-300)}`)); });
  });
}

/** Runs a child to its exit while sampling its process tree's RSS; resolves with the peak (KB). */
export async function runSamplingRss(child, intervalMs = 100) {
  let peakKB = 0;
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => { stdout += d; });
  child.stderr?.on('data', (d) => { stderr += d; });
  let done = false;
  const exited = new Promise((resolve) => child.once('exit', (code) => { done = true; resolve(code); }));
  while (!done) {
    const kb = treeRssKB(child.pid);
    if (kb > peakKB) peakKB = kb;
    await Promise.race([sleep(intervalMs), exited]);
  }
  return { code: await exited, peakKB, stdout, stderr };
}

export async function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

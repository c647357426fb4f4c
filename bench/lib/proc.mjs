// Process helpers for the benchmarks: run a command pinned to a CPU and read the CPU time of its
// whole process tree (GNU time reports the wait4() rusage, which includes every reaped descendant).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TIME = '/usr/bin/time';

/** Installs the Debian tools the bench drives, when missing (CI machines are fresh). */
export function ensureDebianTools() {
  const wanted = [
    ['nginx', 'nginx-light'], ['wrk', 'wrk'], ['hey', 'hey'], ['taskset', 'util-linux'], [TIME, 'time'],
  ];
  const missing = wanted.filter(([bin]) => !which(bin)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed (exit ${r.status})`);
}

export function which(bin) {
  if (bin.startsWith('/')) return existsSync(bin) ? bin : null;
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Runs `cmd args` pinned to `cpu` under GNU time and returns its output with the process tree's
 * user+sys CPU seconds, wall seconds and the peak RSS of its largest process.
 */
export function runMeasured(cmd, args, { cpu = 1, env = process.env, cwd, timeoutMs = 600_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'llbench-'));
  const timeFile = join(dir, 'time');
  return new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', timeFile, 'taskset', '-c', String(cpu), cmd, ...args],
      { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = readFileSync(timeFile, 'utf8').trim().split('\n').pop();
      const [wall, user, sys, maxRssKB] = line.split(' ').map(Number);
      resolve({ code, stdout, stderr, wallS: wall, cpuS: user + sys, userS: user, sysS: sys, maxRssKB });
    });
  });
}

/** Sum of VmRSS (KB) over `pid` and all its descendants, read from /proc. */
export function treeRssKB(pid) {
  let total = 0;
  for (const p of descendants(pid)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch { /* exited meanwhile */ }
  }
  return total;
}

export function descendants(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks = [];
    try { tasks = readdirSync(`/proc/${out[i]}/task`); } catch { continue; }
    for (const t of tasks) {
      try {
        const kids = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch { /* gone */ }
    }
  }
  return out;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..') + '/';

/** A command as a copyable shell line, with paths relative to the repository. */
export function cmdline(cmd, args) {
  return [cmd, ...args]
    .map((a) => (a.startsWith(ROOT) ? a.slice(ROOT.length) : a === process.execPath ? 'node' : a))
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

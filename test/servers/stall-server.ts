// The STALL server: answers at once ('ok'), except that every response is held while a stall
// lasts (S ms once every P ms, deterministic from its start time; see stall-sim.ts), then all
// held responses are released in arrival order. A generator that waits for responses before
// sending more (closed model) sends almost nothing during a stall and so hides it; an open-model
// generator keeps sending on schedule and measures what users would see.

import { createServer, type ServerResponse } from 'node:http';
import { listenLoopback } from './listen';
import { holdMs, stallSchedule, type StallSchedule } from './stall-sim';

export interface RunningStallServer {
  url: string;
  port: number;
  /** Epoch ms the stall schedule counts from. */
  startedAtEpoch: number;
  schedule: StallSchedule;
  /** Requests answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startStallServer(opts: Partial<StallSchedule> = {}): Promise<RunningStallServer> {
  const schedule = stallSchedule(opts);
  let held: ServerResponse[] = [];
  let releaseTimer: NodeJS.Timeout | null = null;
  let requests = 0;
  let t0 = 0;
  const answer = (res: ServerResponse): void => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
  };
  const release = (): void => {
    releaseTimer = null;
    const batch = held;
    held = [];
    for (const res of batch) answer(res);
  };
  const server = createServer((req, res) => {
    req.resume();
    const hold = holdMs(schedule, performance.now() - t0);
    if (hold <= 0) return answer(res);
    held.push(res);
    releaseTimer ??= setTimeout(release, hold);
  });
  server.keepAliveTimeout = 60_000;
  server.maxConnections = 20_000;
  const listening = await listenLoopback(server, { backlog: 4096, noDelay: true });
  t0 = performance.now();
  const startedAtEpoch = Date.now();
  return {
    url: listening.url,
    port: listening.port,
    startedAtEpoch,
    schedule,
    get requests() {
      return requests;
    },
    close: () => {
      if (releaseTimer) clearTimeout(releaseTimer);
      return listening.close();
    },
  };
}

export const start = startStallServer;

// As a process of its own (so its event loop does not share the generator's):
// `node --import tsx test/servers/stall-server.ts [stallMs] [periodMs]` prints
// {"url","port","startedAtEpoch"} on one line and serves until killed or stdin closes.
if (require.main === module && /stall-server(\.[jt]s)?$/.test(process.argv[1] ?? '')) {
  const stallMs = process.argv[2] ? Number(process.argv[2]) : undefined;
  const periodMs = process.argv[3] ? Number(process.argv[3]) : undefined;
  void startStallServer({ stallMs, periodMs }).then((s) => {
    console.log(JSON.stringify({ url: s.url, port: s.port, startedAtEpoch: s.startedAtEpoch, schedule: s.schedule }));
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  });
}

// The STALL server: answers at once ('ok'), except that every response is held while a stall
// lasts (S ms once every P ms, deterministic from its start time; see stall-sim.ts), then all
// held responses are released in arrival order. A generator that waits for responses before
// sending more (closed model) sends almost nothing during a stall and so hides it; an open-model
// generator keeps sending on schedule and measures what users would see.

import { createServer, type Socket } from 'node:net';
import { listenLoopback } from './listen';
import { holdMs, stallSchedule, type StallSchedule } from './stall-sim';

interface RequestParser {
  initialize(type: number, resource: object): void;
  execute(chunk: Buffer): number | Error;
  [key: number]: unknown;
}
// Node's own HTTP/1.1 parser (llhttp), the one node:http is built on.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { HTTPParser } = require('_http_common') as {
  HTTPParser: { new (): RequestParser; REQUEST: number; kOnHeadersComplete: number; kOnMessageComplete: number };
};

/** The one response, built once. A burst of held responses is one socket write each. */
const OK = new TextEncoder().encode('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
const OK_CLOSE = new TextEncoder().encode('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');

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

/**
 * Raw sockets and a pre-built response rather than node:http: the simulation releases a stall's
 * held responses all at once, and node:http's ServerResponse took 70-230 ms of this server's CPU
 * to answer the ~2,500 held at 5,000/s, time every generator's measurement then included.
 */
export async function startStallServer(opts: Partial<StallSchedule> = {}): Promise<RunningStallServer> {
  const schedule = stallSchedule(opts);
  let held: Array<{ socket: Socket; keepAlive: boolean }> = [];
  let releaseTimer: NodeJS.Timeout | null = null;
  let requests = 0;
  let t0 = 0;
  const answer = (socket: Socket, keepAlive: boolean): void => {
    if (socket.destroyed) return;
    requests++;
    if (keepAlive) socket.write(OK);
    else socket.end(OK_CLOSE);
  };
  const release = (): void => {
    releaseTimer = null;
    const batch = held;
    held = [];
    for (const h of batch) answer(h.socket, h.keepAlive);
  };
  const server = createServer((socket) => {
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.REQUEST, {});
    let keepAlive = true;
    parser[HTTPParser.kOnHeadersComplete] = (...args: unknown[]) => {
      keepAlive = args[8] as boolean; // shouldKeepAlive
      return 0;
    };
    parser[HTTPParser.kOnMessageComplete] = () => {
      const hold = holdMs(schedule, performance.now() - t0);
      if (hold <= 0) return answer(socket, keepAlive);
      held.push({ socket, keepAlive });
      releaseTimer ??= setTimeout(release, hold);
    };
    socket.on('data', (chunk) => {
      if (typeof parser.execute(chunk) !== 'number') socket.destroy();
    });
    socket.on('error', () => socket.destroy());
  });
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

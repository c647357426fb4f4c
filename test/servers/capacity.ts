// A loopback server of known capacity: `workers` requests are served at once, each for
// `serviceMs`, the rest wait in a FIFO queue, so /work sustains workers / serviceMs * 1000
// requests per second at most (service is a timer, not CPU: the figure holds on a busy machine).
//   /work       'done' after its turn in the queue and serviceMs
//   /fast       'ok' at once
//   /fail       500 at once
//   /big?kb=N   N KiB of body at once

import { createServer, type ServerResponse } from 'node:http';
import { listenLoopback, type Listening } from './listen';

export interface CapacityServer extends Listening {
  /** workers / serviceMs, per second. */
  capacityRps: number;
  served: () => number;
}

export async function startCapacityServer(opts: { workers: number; serviceMs: number }): Promise<CapacityServer> {
  let busy = 0;
  let served = 0;
  const queue: ServerResponse[] = [];
  const next = (): void => {
    while (busy < opts.workers && queue.length > 0) {
      const res = queue.shift()!;
      busy++;
      setTimeout(() => {
        busy--;
        served++;
        if (!res.destroyed) res.end('done');
        next();
      }, opts.serviceMs);
    }
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    req.resume();
    if (url.pathname === '/work') {
      queue.push(res);
      next();
    } else if (url.pathname === '/fast') res.end('ok');
    else if (url.pathname === '/fail') {
      res.statusCode = 500;
      res.end('failed');
    } else if (url.pathname === '/big') res.end(Buffer.alloc(1024 * Number(url.searchParams.get('kb') ?? 1), 120));
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  server.keepAliveTimeout = 60_000;
  const listening = await listenLoopback(server);
  return { ...listening, capacityRps: (opts.workers / opts.serviceMs) * 1000, served: () => served };
}

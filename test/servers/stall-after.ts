// A target that stops answering: the first `answered` requests get 'ok' at once, every later one
// is read and held, never answered (its socket stays open until close()). The failure the
// "honest endings" tests need: a server that answered a few requests, then stalled.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from './listen';

export interface StallAfterServer {
  url: string;
  /** Requests received so far (answered or held). */
  readonly received: number;
  /** Requests held unanswered so far. */
  readonly held: number;
  close(): Promise<void>;
}

export async function startStallAfter(answered: number): Promise<StallAfterServer> {
  let received = 0;
  let held = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (req: IncomingMessage, res: ServerResponse) => {
    received++;
    if (received <= answered) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
      return;
    }
    held++;
    req.resume();
  });
  const l = await listenLoopback(server);
  return {
    url: l.url,
    get received() {
      return received;
    },
    get held() {
      return held;
    },
    close: () => l.close(),
  };
}

// Starts a loopback test server on a free port. close() destroys the connections still open:
// load leaves keep-alive sockets behind, and server.close() alone would wait for them.

import type { AddressInfo, Server, Socket } from 'node:net';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function listenLoopback(server: Server, opts: { backlog?: number; noDelay?: boolean } = {}): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    if (opts.noDelay) s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: opts.backlog }, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

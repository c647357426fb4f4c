// A target that holds every response for HOLD_MS (default 1000) before answering 'ok', so each
// client connection stays busy: the memory benchmark measures what one held connection costs.
//   node bench/servers/hold.mjs PORT [HOLD_MS]   (prints "listening PORT" when ready)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const holdMs = Number(process.argv[3] ?? 1000);
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  req.resume();
  setTimeout(() => res.end('ok'), holdMs);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 0;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
server.listen(port, '127.0.0.1', 1 << 16, () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => { console.log(`requests ${requests}`); process.exit(0); });

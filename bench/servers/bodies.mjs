// A target that answers GET /?bytes=N with a body of exactly N bytes ('x'), streamed in 64 KiB
// chunks with back-pressure and a content-length, so the server itself stays small at any N.
//   node bench/servers/bodies.mjs PORT   (prints "listening PORT" when ready)
import { createServer } from 'node:http';
import { streamBody } from '../lib/stream-body.mjs';

const port = Number(process.argv[2] ?? 0);
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  req.resume();
  const size = Number(new URL(req.url, 'http://x').searchParams.get('bytes') ?? 0);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(size) });
  streamBody(res, size);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => { console.log(`requests ${requests}`); process.exit(0); });

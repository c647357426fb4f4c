// A target that answers GET /?bytes=N with a body of exactly N bytes ('x'), streamed in 64 KiB
// chunks with back-pressure and a content-length, so the server itself stays small at any N.
//   node bench/servers/bodies.mjs PORT   (prints "listening PORT" when ready)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const chunk = Buffer.alloc(64 * 1024, 'x');
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  req.resume();
  const size = Number(new URL(req.url, 'http://x').searchParams.get('bytes') ?? 0);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(size) });
  let left = size;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => { console.log(`requests ${requests}`); process.exit(0); });

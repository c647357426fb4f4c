// Streams `size` bytes of 'x' in 64 KiB chunks, honouring back-pressure, so a server answering
// with a body of hundreds of megabytes holds no more than one chunk (bench/servers/bodies.mjs
// and the fault tests' huge-body server).
const chunk = Buffer.alloc(64 * 1024, 'x');

/** @param {import('node:http').ServerResponse} res @param {number} size */
export function streamBody(res, size) {
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
}

// Draws the extension icon, images/icon.png (128x128, RGBA), with no image library: a lens ring
// over a latency curve on a dark tile. Rerun after changing the drawing: node scripts/icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const N = 128;
const px = new Float64Array(N * N * 4); // straight RGBA in 0..1

/** Paints colour `c` (RGB 0..255) with coverage `a` over pixel (x, y). */
function blend(x, y, c, a) {
  if (x < 0 || y < 0 || x >= N || y >= N || a <= 0) return;
  const i = (y * N + x) * 4;
  const over = Math.min(1, a);
  for (let k = 0; k < 3; k++) px[i + k] = px[i + k] * (1 - over) + (c[k] / 255) * over;
  px[i + 3] = px[i + 3] + over * (1 - px[i + 3]);
}
/** Coverage of a shape given its signed distance (negative inside), antialiased over one pixel. */
const cover = (d) => Math.max(0, Math.min(1, 0.5 - d));

const tile = [24, 33, 48];
const ring = [236, 240, 245];
const curve = [76, 201, 140];
const peak = [255, 170, 60];

// Rounded tile.
for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
  const r = 22, cx = Math.min(Math.max(x + 0.5, r), N - r), cy = Math.min(Math.max(y + 0.5, r), N - r);
  blend(x, y, tile, cover(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - r));
}
// Latency curve: a flat body and a tail that rises at the right (the p99 a lens finds).
const f = (t) => 92 - 10 * Math.sin(t * 7) * (1 - t) - 62 * Math.pow(t, 5);
function segDist(px0, py0, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay, t = Math.max(0, Math.min(1, ((px0 - ax) * dx + (py0 - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px0 - ax - t * dx, py0 - ay - t * dy);
}
const pts = Array.from({ length: 65 }, (_, i) => [18 + (i / 64) * 92, f(i / 64)]);
for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
  let d = Infinity;
  for (let i = 1; i < pts.length; i++) d = Math.min(d, segDist(x + 0.5, y + 0.5, ...pts[i - 1], ...pts[i]));
  blend(x, y, x > 92 ? peak : curve, cover(d - 3.5));
}
// Lens ring and handle around the tail.
const [lx, ly, lr] = [82, 50, 24];
for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
  const d = Math.abs(Math.hypot(x + 0.5 - lx, y + 0.5 - ly) - lr) - 4.5;
  const handle = segDist(x + 0.5, y + 0.5, lx - 18, ly + 18, lx - 44, ly + 44) - 6;
  blend(x, y, ring, cover(Math.min(d, handle)));
}

// PNG: signature, IHDR, one IDAT (filter 0 per row), IEND.
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) for (let k = 0; k < 4; k++) raw[y * (N * 4 + 1) + 1 + x * 4 + k] = Math.round(px[(y * N + x) * 4 + k] * 255);
const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
writeFileSync(new URL('../images/icon.png', import.meta.url), png);
console.log(`images/icon.png: ${N}x${N}, ${png.length} bytes`);

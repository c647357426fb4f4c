// HDR histograms for trends: integer microseconds from 1 µs to 1 h at 3 significant digits.
// Recording goes into a plain typed array laid out exactly as HdrHistogram's counts (same bucket
// for every value), because hdr-histogram-js's JS recordValue costs ~200 ns per call (measured;
// WASM ~40 ns) against ~6 ns here. The wire format is standard HdrHistogram V2 (`HISTF...`
// base64), decoded with hdr-histogram-js and merged with add().

import { deflateSync, inflateSync } from 'node:zlib';
import type { Histogram, JsHistogram } from 'hdr-histogram-js';
// Deep imports (H6, start-up): the package index also loads its log writer, which builds an
// Intl.NumberFormat at load time, ~100 ms of CPU at every start of the runner.
// Required on first use (start-up, issue 4): the library (with pako and its wasm) costs ~10 ms
// to load, and a single-process run needs it only for merging, encoding or decoding.
const hdrBuilder = (): typeof import('hdr-histogram-js/dist/HistogramBuilder') => require('hdr-histogram-js/dist/HistogramBuilder');
const hdrEncoding = (): typeof import('hdr-histogram-js/dist/encoding') => require('hdr-histogram-js/dist/encoding');

export type { Histogram };

export const LOWEST_MICROS = 1;
/** One hour: the longest latency a trend can hold; longer values are clamped to it. */
export const HIGHEST_MICROS = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

// Bucket layout for (lowest 1, 3 digits): sub-buckets of 2048, half 1024 (2^10), unit magnitude 0.
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_MAGNITUDE;
/** Index of HIGHEST_MICROS + 1: 3.6e9 < 2^32 lies in bucket 21 (23,221 counts). */
const COUNTS_LENGTH = countsIndex(HIGHEST_MICROS) + 1;
/**
 * Counts are allocated on the first record and grown in powers of two up to the index needed:
 * 256 counts cover values below 256 µs (the connect and TLS phases of reused connections, which
 * record 0, and most send and receive phases: 1 kB), 4,096 counts ~3 ms (16 kB). A run with a
 * thousand distinct request names holds nine trends each; with a fixed first size of 8,192
 * counts (32 kB) they took ~290 MB, most of it zeros.
 */
const MIN_COUNTS_LENGTH = 256;
/** Distinct buckets a recording series keeps as pairs before it takes a counts array. */
const SPARSE_MAX = 16;
const NO_COUNTS = new Uint32Array(0);

/**
 * A new histogram with the project's range and precision. Use 32-bit counts within one interval
 * and 64-bit (Float64, exact to 2^53) for cumulative totals, which may pass 2^32.
 */
export function createHistogram(bits: 32 | 64 = 32): Histogram {
  return hdrBuilder().build({
    bitBucketSize: bits,
    lowestDiscernibleValue: LOWEST_MICROS,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: true,
  });
}

export function encodeHistogram(h: Histogram): string {
  return hdrEncoding().encodeIntoCompressedBase64(h);
}

/** Decodes an encoded histogram into a 64-bit histogram (safe for any count). */
export function decodeHistogram(encoded: string): Histogram {
  return hdrEncoding().decodeFromCompressedBase64(encoded, 64, false, HIGHEST_MICROS);
}

/** Clamps a microsecond value into the histogram's range as an integer. NaN becomes 0. */
export function clampMicros(micros: number): number {
  if (micros > 0) return micros < HIGHEST_MICROS ? Math.round(micros) : HIGHEST_MICROS;
  return 0;
}

/** HdrHistogram's counts index of an integer value in [0, 2^32): same math, integer ops. */
function countsIndex(value: number): number {
  // floor(log2(value)) - 10, at least 0 (value 0 counts as bucket 0).
  const bucket = Math.max(31 - Math.clz32(value) - SUB_BUCKET_HALF_MAGNITUDE, 0);
  return (bucket << SUB_BUCKET_HALF_MAGNITUDE) + (value >>> bucket);
}

/** The lowest value that lands in counts index `index` (inverse of countsIndex). */
function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/**
 * The value HdrHistogram stands for a counts index (its medianEquivalentValue: the bucket's
 * middle), for exporting a decoded histogram bucket by bucket (e.g. to Prometheus).
 */
export function medianValueAtIndex(index: number): number {
  return valueAtIndex(index) + Math.floor(bucketWidth(index) / 2);
}

/** Width of the bucket at counts index `index` (HdrHistogram's sizeOfEquivalentValueRange). */
function bucketWidth(index: number): number {
  return 2 ** Math.max((index >> SUB_BUCKET_HALF_MAGNITUDE) - 1, 0);
}

/**
 * Trend counts in a plain typed array laid out exactly as HdrHistogram's (same bucket for every
 * value, same percentiles). Used for recording (32-bit, one interval: ~6 ns a record), merging
 * and running totals (64-bit: Float64, exact to 2^53). Encodes straight to HdrHistogram's
 * compressed V2 format (hdr-histogram-js's encoder costs ~0.7 ms a series) and reads count,
 * mean, min, max and percentiles in one pass.
 */
export class TrendCounts {
  /** Empty until the first record; then as long as the highest index needs (a power of two). */
  private counts: Uint32Array | Float64Array = NO_COUNTS;
  /**
   * Until more than SPARSE_MAX distinct buckets are hit in an interval, a recording series
   * keeps (index, count) pairs here instead of a counts array: a series that sees a few values
   * a second (one of many request names) then holds ~150 bytes, not 4-64 kB of mostly zeros.
   */
  private sparseIndexes: Uint32Array | null = null;
  private sparseCounts: Uint32Array | null = null;
  private sparseLength = 0;
  private lowIndex = COUNTS_LENGTH;
  private highIndex = -1;
  /** Values counted since the last reset. */
  total = 0;

  constructor(private readonly bits: 32 | 64 = 32) {}

  private allocate(length: number): Uint32Array | Float64Array {
    return this.bits === 32 ? new Uint32Array(length) : new Float64Array(length);
  }

  /** Makes room for counts index `index` (and moves any sparse pairs into the counts). */
  private grow(index: number): void {
    if (this.highIndex > index) index = this.highIndex;
    let length = Math.max(MIN_COUNTS_LENGTH, this.counts.length * 2);
    while (length <= index) length *= 2;
    const grown = this.allocate(Math.min(length, COUNTS_LENGTH));
    grown.set(this.counts);
    const n = this.sparseLength;
    if (n > 0) {
      const idx = this.sparseIndexes!;
      const cnt = this.sparseCounts!;
      for (let k = 0; k < n; k++) grown[idx[k]] += cnt[k];
      this.sparseLength = 0;
    }
    this.counts = grown;
  }

  /** Counts index `i` as a sparse pair; false when the counts array is needed instead. */
  private putSparse(i: number): boolean {
    if (this.bits !== 32) return false;
    let idx = this.sparseIndexes;
    const n = this.sparseLength;
    if (idx === null) {
      idx = this.sparseIndexes = new Uint32Array(SPARSE_MAX);
      this.sparseCounts = new Uint32Array(SPARSE_MAX);
    }
    for (let k = 0; k < n; k++) {
      if (idx[k] === i) {
        this.sparseCounts![k]++;
        return true;
      }
    }
    if (n === SPARSE_MAX) return false;
    idx[n] = i;
    this.sparseCounts![n] = 1;
    this.sparseLength = n + 1;
    return true;
  }

  /** Records integer-or-fractional microseconds (rounded, clamped to [0, 1 h]). */
  record(micros: number): void {
    const i = countsIndex(clampMicros(micros));
    if (i >= this.counts.length && !(this.counts.length === 0 && this.putSparse(i))) this.grow(i);
    if (this.counts.length > 0) this.counts[i]++;
    if (i < this.lowIndex) this.lowIndex = i;
    if (i > this.highIndex) this.highIndex = i;
    this.total++;
  }

  /** The counts as an array (sparse pairs moved into one); for reading and merging. */
  private dense(): Uint32Array | Float64Array {
    if (this.sparseLength > 0 || (this.counts.length === 0 && this.highIndex >= 0)) this.grow(this.highIndex);
    return this.counts;
  }

  /** Adds decoded counts (see decodeSparse). */
  addSparse(sparse: SparseCounts): void {
    if (this.sparseLength > 0) this.dense();
    const { indexes, counts } = sparse;
    if (indexes.length > 0 && indexes[indexes.length - 1] >= this.counts.length) this.grow(indexes[indexes.length - 1]);
    for (let k = 0; k < indexes.length; k++) {
      const i = indexes[k];
      this.counts[i] += counts[k];
      if (i < this.lowIndex) this.lowIndex = i;
      if (i > this.highIndex) this.highIndex = i;
    }
    this.total += sparse.total;
  }

  /**
   * The counts as (index, count) pairs in index order, then reset(): what a flush hands over
   * (to encode, or to add to the totals of a runner in this process). The series keeps recording
   * into its own array; the pairs are plain arrays, small and short-lived (they die young).
   */
  takeAndReset(): SparseCounts {
    const out: SparseCounts = { indexes: [], counts: [], total: this.total };
    const n = this.sparseLength;
    if (n > 0) {
      this.sortPairs();
      const idx = this.sparseIndexes!;
      const cnt = this.sparseCounts!;
      for (let k = 0; k < n; k++) {
        out.indexes.push(idx[k]);
        out.counts.push(cnt[k]);
      }
    } else if (this.highIndex >= 0) {
      const counts = this.counts;
      for (let i = this.lowIndex; i <= this.highIndex; i++) {
        if (counts[i] !== 0) {
          out.indexes.push(i);
          out.counts.push(counts[i]);
        }
      }
    }
    this.reset();
    return out;
  }

  /** Adds the counts to `target` (an hdr-histogram-js histogram). */
  addInto(target: Histogram): void {
    const counts = this.dense();
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      if (counts[i] !== 0) target.recordValueWithCount(valueAtIndex(i), counts[i]);
    }
  }

  /**
   * HdrHistogram V2 compressed base64, as encodeIntoCompressedBase64 of a histogram with this
   * range gives (decodable by decodeFromCompressedBase64 and by Java's HdrHistogram).
   */
  encode(): string {
    const n = this.sparseLength;
    if (n === 0) return encodeCounts(this.counts, this.lowIndex, this.highIndex);
    this.sortPairs();
    return encodePairs(this.sparseIndexes!, this.sparseCounts!, n);
  }

  /** Sparse pairs in index order (insertion sort: at most SPARSE_MAX of them). */
  private sortPairs(): void {
    const n = this.sparseLength;
    const idx = this.sparseIndexes!;
    const cnt = this.sparseCounts!;
    for (let a = 1; a < n; a++) {
      const i = idx[a];
      const c = cnt[a];
      let b = a - 1;
      for (; b >= 0 && idx[b] > i; b--) {
        idx[b + 1] = idx[b];
        cnt[b + 1] = cnt[b];
      }
      idx[b + 1] = i;
      cnt[b + 1] = c;
    }
  }

  encodeAndReset(): string {
    const out = this.encode();
    this.reset();
    return out;
  }

  reset(): void {
    if (this.counts.length > 0) {
      // A recording series that saw few values this interval gives its counts array back and
      // starts the next one sparse (a series busy every interval keeps its array).
      if (this.bits === 32 && this.total <= SPARSE_MAX) this.counts = NO_COUNTS;
      else if (this.highIndex >= 0) this.counts.fill(0, this.lowIndex, this.highIndex + 1);
    }
    this.sparseLength = 0;
    this.lowIndex = COUNTS_LENGTH;
    this.highIndex = -1;
    this.total = 0;
  }

  /** Same figures as hdr-histogram-js's getters, in µs; `percentiles` ascending. */
  read(percentiles: readonly number[]): HistogramReading {
    const total = this.total;
    const out: HistogramReading = { count: total, mean: 0, min: 0, max: 0, percentiles: percentiles.map(() => 0) };
    if (total === 0) return out;
    const needed = percentiles.map((p) => countAtPercentile(p, total));
    const counts = this.dense();
    let next = 0;
    let seen = 0;
    let sum = 0;
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      const n = counts[i];
      if (n === 0) continue;
      const low = valueAtIndex(i);
      const width = bucketWidth(i);
      seen += n;
      sum += (low + Math.floor(width / 2)) * n;
      while (next < needed.length && seen >= needed[next]) {
        out.percentiles[next] = percentiles[next] === 0 ? low : low + width - 1;
        next++;
      }
    }
    out.min = valueAtIndex(this.lowIndex);
    out.max = valueAtIndex(this.highIndex) + bucketWidth(this.highIndex) - 1;
    out.mean = sum / total;
    return out;
  }
}

/** The count a percentile needs, rounded up as HdrHistogram does (minus 1 ulp of fp noise). */
function countAtPercentile(p: number, total: number): number {
  const fp = (Math.min(p, 100) / 100) * total;
  return Math.max(Math.ceil(fp - ulp(fp)), 1);
}

// HdrHistogram V2 encoding: cookies, then ZigZag LEB128 counts where a negative number is a
// run of zero counts; the compressed form wraps the deflated bytes. Big-endian header fields.
const V2_ENCODING_COOKIE = 0x1c849303 | 0x10;
const V2_COMPRESSED_COOKIE = 0x1c849304 | 0x10;
const HEADER_BYTES = 40;
let scratch = new Uint8Array(64 * 1024);
/**
 * A small window and memory level: payloads are a few kB, and zlib's per-call set-up dominates
 * (measured ~60 µs a call against ~200 µs with the defaults, at the same compressed size).
 */
const DEFLATE_OPTIONS = { level: 6, memLevel: 1, windowBits: 9 };

/** The V2 header fields after the payload length, the same for every histogram of this layout. */
const HEADER_TEMPLATE = (() => {
  const b = new Uint8Array(HEADER_BYTES);
  const v = new DataView(b.buffer);
  v.setInt32(0, V2_ENCODING_COOKIE);
  v.setInt32(8, 0); // normalizing index offset (Java writes 0)
  v.setInt32(12, SIGNIFICANT_DIGITS);
  v.setBigInt64(16, BigInt(LOWEST_MICROS));
  v.setBigInt64(24, BigInt(HIGHEST_MICROS));
  v.setFloat64(32, 1.0); // integer to double conversion ratio, as Java writes it
  return b;
})();

/**
 * Payloads up to this size (a histogram with up to a few hundred non-zero buckets, e.g. any
 * series that saw a few hundred values in the interval) are wrapped in a stored (uncompressed)
 * zlib block built here: deflateSync's set-up alone costs ~60 µs a call, and a run with a
 * thousand request names flushes a few thousand such series a second (measured: 100-250 ms of
 * blocked event loop a second, which delayed the iterations due meanwhile). Still standard zlib:
 * inflate, pako and Java's Inflater read it.
 */
const STORED_MAX_BYTES = 1024;
/** The compressed wrapper (cookie, length) and the stored block's zlib header before the payload. */
const STORED_PREFIX = 8 + 7;

function encodeCounts(counts: Uint32Array | Float64Array, low: number, high: number): string {
  // Worst case: 9 bytes per count plus the header; the payload starts after room for the
  // stored-block prefix, so a small histogram is wrapped in place.
  const buf = scratchFor(STORED_PREFIX + HEADER_BYTES + 9 * (high - low + 2) + 16 + 4);
  const start = STORED_PREFIX;
  buf.set(HEADER_TEMPLATE, start);
  let pos = start + HEADER_BYTES;
  if (high >= 0) {
    if (low > 1) pos = putZigZag(buf, pos, -low);
    else if (low === 1) pos = putZigZag(buf, pos, 0);
    for (let i = low; i <= high; ) {
      const n = counts[i];
      if (n !== 0) {
        pos = putZigZag(buf, pos, n);
        i++;
        continue;
      }
      let zeros = 0;
      while (counts[i] === 0) {
        zeros++;
        i++;
      }
      pos = putZigZag(buf, pos, zeros > 1 ? -zeros : 0);
    }
  }
  return wrapPayload(buf, start, pos);
}

/** The compressed base64 of pairs in index order (TrendCounts.takeAndReset, decodeSparse). */
export function encodeSparse(sparse: SparseCounts): string {
  return encodePairs(sparse.indexes, sparse.counts, sparse.indexes.length);
}

/** The same encoding from (index, count) pairs in ascending index order. */
function encodePairs(indexes: ArrayLike<number>, counts: ArrayLike<number>, n: number): string {
  const buf = scratchFor(STORED_PREFIX + HEADER_BYTES + 18 * n + 16 + 4);
  const start = STORED_PREFIX;
  buf.set(HEADER_TEMPLATE, start);
  let pos = start + HEADER_BYTES;
  let next = 0;
  for (let k = 0; k < n; k++) {
    const gap = indexes[k] - next;
    if (gap > 1) pos = putZigZag(buf, pos, -gap);
    else if (gap === 1) pos = putZigZag(buf, pos, 0);
    pos = putZigZag(buf, pos, counts[k]);
    next = indexes[k] + 1;
  }
  return wrapPayload(buf, start, pos);
}

function scratchFor(needed: number): Uint8Array {
  if (scratch.length < needed) scratch = new Uint8Array(needed * 2);
  return scratch;
}

/** Wraps the V2 payload at buf[start, pos) (header included) into the compressed base64 form. */
function wrapPayload(buf: Uint8Array, start: number, pos: number): string {
  const payloadBytes = pos - start - HEADER_BYTES;
  putInt32BE(buf, start + 4, payloadBytes);
  const length = pos - start;
  if (length <= STORED_MAX_BYTES) {
    // [compressed cookie][zlib length][78 01][01 LEN NLEN][payload][Adler-32]
    putInt32BE(buf, 0, V2_COMPRESSED_COOKIE | 0);
    putInt32BE(buf, 4, length + 11);
    buf[8] = 0x78; // deflate, 32 kB window
    buf[9] = 0x01; // no dictionary; (0x78 << 8 | 0x01) % 31 === 0
    buf[10] = 0x01; // BFINAL, BTYPE 00 (stored)
    buf[11] = length & 0xff;
    buf[12] = length >> 8;
    buf[13] = ~length & 0xff;
    buf[14] = (~length >> 8) & 0xff;
    let a = 1;
    let b = 0;
    for (let i = start; i < pos; i++) {
      a += buf[i];
      b += a;
    }
    // At most 1,024 bytes: a < 2^18 and b < 2^28, so one reduction at the end is exact.
    a %= 65521;
    b %= 65521;
    putInt32BE(buf, pos, ((b << 16) | a) >>> 0);
    return Buffer.from(buf.buffer, buf.byteOffset, pos + 4).toString('base64');
  }
  const deflated = deflateSync(buf.subarray(start, pos), DEFLATE_OPTIONS);
  const out = Buffer.allocUnsafe(8 + deflated.length);
  out.writeInt32BE(V2_COMPRESSED_COOKIE | 0, 0);
  out.writeInt32BE(deflated.length, 4);
  out.set(deflated, 8);
  return out.toString('base64');
}

function putInt32BE(buf: Uint8Array, pos: number, value: number): void {
  buf[pos] = (value >>> 24) & 0xff;
  buf[pos + 1] = (value >>> 16) & 0xff;
  buf[pos + 2] = (value >>> 8) & 0xff;
  buf[pos + 3] = value & 0xff;
}

/** The payload of a zlib stream that is one stored block (as encodeCounts writes), else null. */
function storedPayload(z: Uint8Array): Uint8Array | null {
  if (z.length < 11 || z[0] !== 0x78 || z[1] !== 0x01 || z[2] !== 0x01) return null;
  const length = z[3] | (z[4] << 8);
  if ((z[5] | (z[6] << 8)) !== (~length & 0xffff) || z.length !== length + 11) return null;
  return z.subarray(7, 7 + length);
}

/** ZigZag LEB128 of a safe integer (counts fit in 32 bits, zero runs are small). */
function putZigZag(buf: Uint8Array, pos: number, value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

export interface HistogramReading {
  count: number;
  /** Microseconds, as HdrHistogram computes them (mean from bucket midpoints). */
  mean: number;
  min: number;
  max: number;
  /** Values at the requested percentiles, in request order (same as getValueAtPercentile). */
  percentiles: number[];
}

/**
 * Count, mean, min, max and any number of percentiles in one pass over the counts, with the
 * same results as hdr-histogram-js's getters (its `mean` walks an iterator: ~8 ms a call).
 * `percentiles` must be ascending.
 */
export function readHistogram(h: Histogram, percentiles: readonly number[]): HistogramReading {
  const js = h as unknown as JsHistogram;
  const total = h.totalCount;
  const out: HistogramReading = { count: total, mean: 0, min: 0, max: 0, percentiles: percentiles.map(() => 0) };
  if (total === 0) return out;
  // The count each percentile needs, rounded up as HdrHistogram does (minus 1 ulp of fp noise).
  const needed = percentiles.map((p) => countAtPercentile(p, total));
  let next = 0;
  let seen = 0;
  let sum = 0;
  let minSet = false;
  let lastIndex = 0;
  const length = js.countsArrayLength;
  for (let i = 0; i < length && seen < total; i++) {
    const n = js.getCountAtIndex(i);
    if (n === 0) continue;
    const value = js.valueFromIndex(i);
    if (!minSet) {
      out.min = js.lowestEquivalentValue(value);
      minSet = true;
    }
    seen += n;
    sum += js.medianEquivalentValue(value) * n;
    lastIndex = i;
    while (next < needed.length && seen >= needed[next]) {
      out.percentiles[next] = percentiles[next] === 0 ? js.lowestEquivalentValue(value) : js.highestEquivalentValue(value);
      next++;
    }
  }
  out.mean = sum / total;
  out.max = js.highestEquivalentValue(js.valueFromIndex(lastIndex));
  return out;
}

function ulp(x: number): number {
  return x === 0 ? 0 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
}

/** The non-zero buckets of an encoded histogram: parallel arrays of counts index and count. */
export interface SparseCounts {
  indexes: number[];
  counts: number[];
  total: number;
}

/** The sum (bucket midpoints, as read()'s mean) and the largest value of sparse counts, µs; no histogram needed. */
export function sparseSumMax(s: SparseCounts): { sum: number; max: number } {
  let sum = 0;
  let top = -1;
  for (let k = 0; k < s.indexes.length; k++) {
    const i = s.indexes[k];
    const n = s.counts[k];
    if (n === 0) continue;
    sum += (valueAtIndex(i) + Math.floor(bucketWidth(i) / 2)) * n;
    if (i > top) top = i;
  }
  return { sum, max: top < 0 ? 0 : valueAtIndex(top) + bucketWidth(top) - 1 };
}

/**
 * Reads an encoded histogram of this project's layout (lowest 1, 3 digits: any highest value)
 * into its non-zero buckets, without allocating a full counts array as decodeFromCompressedBase64
 * does (190 kB per 64-bit histogram). Other layouts fall back to the library decoder.
 */
export function decodeSparse(encoded: string): SparseCounts {
  const outer = Buffer.from(encoded, 'base64');
  if (outer.length < 8 || outer.readInt32BE(0) !== (V2_COMPRESSED_COOKIE | 0)) return sparseFromHistogram(decodeHistogram(encoded));
  const zlib = new Uint8Array(outer.buffer, outer.byteOffset + 8, outer.readInt32BE(4));
  const data = storedPayload(zlib) ?? inflateSync(zlib);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getInt32(0) !== V2_ENCODING_COOKIE || view.getInt32(12) !== SIGNIFICANT_DIGITS || view.getInt32(16) !== 0 || view.getInt32(20) !== LOWEST_MICROS) {
    // (The lowest value as two 32-bit halves: no BigInt per decode.)
    return sparseFromHistogram(decodeHistogram(encoded));
  }
  const end = HEADER_BYTES + view.getInt32(4);
  const out: SparseCounts = { indexes: [], counts: [], total: 0 };
  let pos = HEADER_BYTES;
  let index = 0;
  while (pos < end) {
    // ZigZag LEB128, up to 9 bytes (safe integers only: counts and zero runs are far below 2^53).
    let raw = 0;
    let scale = 1;
    for (;;) {
      const b = data[pos++];
      raw += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) break;
      scale *= 0x80;
    }
    const value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    if (value < 0) index -= value;
    else {
      if (value > 0) {
        out.indexes.push(index);
        out.counts.push(value);
        out.total += value;
      }
      index++;
    }
  }
  return out;
}

function sparseFromHistogram(h: Histogram): SparseCounts {
  const js = h as unknown as JsHistogram;
  const out: SparseCounts = { indexes: [], counts: [], total: 0 };
  for (let i = 0; i < js.countsArrayLength; i++) {
    const n = js.getCountAtIndex(i);
    if (n === 0) continue;
    out.indexes.push(countsIndex(clampMicros(js.valueFromIndex(i))));
    out.counts.push(n);
    out.total += n;
  }
  return out;
}

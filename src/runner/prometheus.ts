// `--out prometheus=URL`: the run's metrics, live, to Prometheus remote write 1.0 (protobuf
// WriteRequest, snappy block compression). Every interval (one a second) sends each series' value
// so far: counters cumulative (`loadlens_http_reqs_total`), gauges as they stand (`loadlens_vus`),
// trends as cumulative native histograms (exponential buckets), so that percentiles stay correct
// when Prometheus sums the series of several runners or agents (averaging percentiles does not).
//
// A slow or dead Prometheus never slows the run: encoded writes wait in a bounded queue (the oldest
// is dropped when it is full: every write holds the totals so far, so a dropped one only loses
// resolution), one write is in flight at a time (Prometheus rejects samples older than a series'
// last one), each with a timeout and a few retries. The first failure is reported once as it
// happens, the number of dropped writes once at the end.

import type { EncodedSeries, IntervalData, Tags } from '../engine/types';
import { decodeSparse, medianValueAtIndex } from '../engine/metrics/hdr';
import { tagsKey } from '../engine/metrics/recorder';
import { BUILTIN_METRICS, metricInfo } from '../engine/metrics/names';
import type { OutRecord } from '../protocol';
import type { RunOutput } from './out-file';

/**
 * Native histogram schema: bucket boundaries are powers of 2^(2^-5) = 1.0219, so a quantile
 * Prometheus interpolates within a bucket is at most 2.2 % from the true value (about 1.1 % on
 * average), on top of the HDR histograms' 0.1 %. Schema 4 would be 4.4 %; 5 costs up to 32
 * buckets per doubling of latency, and only the buckets that hold values are sent.
 */
export const NATIVE_SCHEMA = 5;
/** Prometheus' (and client_golang's) default zero bucket width: only exact zeros fall in it. */
export const ZERO_THRESHOLD = 2 ** -128;
/** Encoded writes waiting to be sent (besides the one in flight); past it the oldest is dropped (30 s of samples). */
export const MAX_QUEUED_WRITES = 30;
/** One HTTP attempt's limit. */
export const WRITE_TIMEOUT_MS = 5000;
/** Attempts per write (network errors, timeouts, 5xx and 429 are retried; other 4xx are not). */
export const WRITE_ATTEMPTS = 3;
const RETRY_DELAY_MS = 250;
/** At the end, how long the last writes may take before they are dropped. */
export const CLOSE_WAIT_MS = 5000;

/** The upper-bound index of the native bucket that holds `value` (> 0): (base^(i-1), base^i]. */
export function nativeBucketIndex(value: number, schema = NATIVE_SCHEMA): number {
  // (`|| 0`: no -0 for values just below 1.)
  return Math.ceil(Math.log2(value) * 2 ** schema) || 0;
}

const ZERO_BUCKET = -0x7fffffff;

/** The native bucket of each HDR counts index at one scale, computed once per index (a log2 each). */
class NativeIndexMap {
  private table = new Int32Array(0);
  private known = new Uint8Array(0);

  constructor(private readonly scale: number) {}

  at(hdrIndex: number): number {
    if (hdrIndex >= this.table.length) {
      const length = Math.max(hdrIndex + 1, this.table.length * 2, 1024);
      const table = new Int32Array(length);
      table.set(this.table);
      const known = new Uint8Array(length);
      known.set(this.known);
      this.table = table;
      this.known = known;
    }
    if (this.known[hdrIndex] === 0) {
      const value = medianValueAtIndex(hdrIndex) * this.scale;
      this.table[hdrIndex] = value <= ZERO_THRESHOLD ? ZERO_BUCKET : nativeBucketIndex(value);
      this.known[hdrIndex] = 1;
    }
    return this.table[hdrIndex];
  }
}

const indexMaps = new Map<number, NativeIndexMap>();
function nativeIndexMap(scale: number): NativeIndexMap {
  let m = indexMaps.get(scale);
  if (m === undefined) indexMaps.set(scale, (m = new NativeIndexMap(scale)));
  return m;
}

/** A cumulative native histogram: counts per bucket index, plus the zero bucket. */
export class NativeHistogram {
  count = 0;
  sum = 0;
  zeroCount = 0;
  /** Counts of bucket indexes low .. low + counts.length - 1, grown to the range in use (no map, no sort). */
  private counts = new Float64Array(0);
  private low = 0;
  /** The last message built, while no value was added since (most series are idle most seconds). */
  private built: ProtoHistogram | undefined;

  /** Adds an encoded HDR histogram (integer microseconds); `scale` turns µs into the exported unit. */
  addHdr(encoded: string, scale: number): void {
    const sparse = decodeSparse(encoded);
    if (sparse.total > 0) this.built = undefined;
    const map = nativeIndexMap(scale);
    for (let k = 0; k < sparse.indexes.length; k++) {
      const n = sparse.counts[k];
      const hdrIndex = sparse.indexes[k];
      this.count += n;
      this.sum += medianValueAtIndex(hdrIndex) * scale * n;
      const i = map.at(hdrIndex);
      if (i === ZERO_BUCKET) this.zeroCount += n;
      else {
        // slotOf may replace `counts`: index it after the call.
        const at = this.slotOf(i);
        this.counts[at] += n;
      }
    }
  }

  /** The position of bucket `i` in `counts`, growing it (to twice the need, at least 64) to hold it. */
  private slotOf(i: number): number {
    const at = i - this.low;
    if (at >= 0 && at < this.counts.length) return at;
    if (this.counts.length === 0) {
      this.counts = new Float64Array(64);
      this.low = i - 32;
      return 32;
    }
    const low = Math.min(this.low, i);
    const high = Math.max(this.low + this.counts.length - 1, i);
    const span = high - low + 1;
    const grown = new Float64Array(span * 2);
    // Room on the side it grew towards.
    const newLow = i < this.low ? high - grown.length + 1 : low;
    grown.set(this.counts, this.low - newLow);
    this.counts = grown;
    this.low = newLow;
    return i - newLow;
  }

  /** Count per bucket index, ascending (for tests and reading). */
  get buckets(): Map<number, number> {
    const out = new Map<number, number>();
    this.counts.forEach((n, k) => n > 0 && out.set(this.low + k, n));
    return out;
  }

  /** The remote-write Histogram message: spans of adjacent buckets, counts as deltas. */
  toProto(timestamp: number): ProtoHistogram {
    if (this.built !== undefined) return { ...this.built, timestamp };
    const spans: Array<{ offset: number; length: number }> = [];
    const deltas: number[] = [];
    const counts = this.counts;
    let previousIndex = 0;
    let previousCount = 0;
    for (let k = 0; k < counts.length; k++) {
      const n = counts[k];
      if (n === 0) continue;
      const i = this.low + k;
      if (spans.length === 0) spans.push({ offset: i, length: 1 });
      else if (i === previousIndex + 1) spans[spans.length - 1].length++;
      else spans.push({ offset: i - previousIndex - 1, length: 1 });
      deltas.push(n - previousCount);
      previousCount = n;
      previousIndex = i;
    }
    return (this.built = {
      countInt: this.count,
      sum: this.sum,
      schema: NATIVE_SCHEMA,
      zeroThreshold: ZERO_THRESHOLD,
      zeroCountInt: this.zeroCount,
      positiveSpans: spans,
      positiveDeltas: deltas,
      timestamp,
    });
  }
}

interface ProtoHistogram {
  countInt: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCountInt: number;
  positiveSpans: Array<{ offset: number; length: number }>;
  positiveDeltas: number[];
  timestamp: number;
}

interface ProtoTimeSeries {
  labels: Array<{ name: string; value: string }>;
  samples?: Array<{ value: number; timestamp: number }>;
  histograms?: ProtoHistogram[];
}

/** A Prometheus metric or label name from ours: [a-zA-Z_][a-zA-Z0-9_]*, never the reserved `__` prefix. */
export function promName(text: string): string {
  let name = text.replace(/[^a-zA-Z0-9_]/g, '_');
  if (name === '' || /^[0-9]/.test(name)) name = `_${name}`;
  if (name.startsWith('__')) name = `tag${name}`;
  return name;
}

/**
 * The exported name and the factor from our recorded unit to Prometheus' base unit: times in
 * seconds (trends record µs, time counters and gauges ms), data in bytes.
 */
export function exportedName(s: EncodedSeries): { name: string; scale: number } {
  const base = `loadlens_${promName(s.metric)}`;
  const contains = ('contains' in s ? s.contains : undefined) ?? metricInfo(s.metric, s.kind)?.contains;
  const isTime = contains === 'time';
  switch (s.kind) {
    case 'trend':
      // Custom plain trends are recorded as value × 1000 (µs-like integers).
      return isTime ? { name: `${base}_seconds`, scale: 1e-6 } : { name: base, scale: 1e-3 };
    case 'counter':
      return { name: `${base}${isTime ? '_seconds' : contains === 'data' ? '_bytes' : ''}_total`, scale: isTime ? 1e-3 : 1 };
    case 'rate':
      return { name: `${base}_total`, scale: 1 };
    case 'gauge':
      return { name: `${base}${isTime ? '_seconds' : ''}`, scale: isTime ? 1e-3 : 1 };
  }
}

/** Errors by kind (network errors and iteration exceptions), label `kind`. */
export const ERRORS_METRIC = 'loadlens_errors_total';

/** Every metric name a run exports besides custom metrics' (for the Grafana dashboard's test). */
export function builtinExportedNames(): string[] {
  const names = Object.entries(BUILTIN_METRICS).map(([metric, { kind }]) => exportedName({ kind, metric, tags: {} } as EncodedSeries).name);
  return [...names, ERRORS_METRIC];
}

const PASS = { result: 'pass' };
const FAIL = { result: 'fail' };

type SeriesState =
  | { kind: 'sample'; labels: ProtoTimeSeries['labels']; value: number }
  | { kind: 'histogram'; labels: ProtoTimeSeries['labels']; histogram: NativeHistogram };

/**
 * The running totals of every series a run has produced, by label set; turns each interval into
 * one WriteRequest of every series so far (what a scrape would see at the interval's end).
 */
export class PrometheusSeries {
  private readonly series = new Map<string, SeriesState>();
  private startedAt = new Map<string, number>();
  private lastTimestamp = 0;

  constructor(private readonly testid: string) {}

  /** The labels of one series: its tags (sanitised), then ours, which win. */
  private labels(name: string, scenario: string, tags: Tags, extra: Record<string, string>): ProtoTimeSeries['labels'] {
    const map = new Map<string, string>();
    for (const [k, v] of Object.entries(tags)) if (v !== '') map.set(promName(k), v);
    for (const [k, v] of Object.entries(extra)) map.set(k, v);
    map.set('scenario', scenario);
    map.set('testid', this.testid);
    map.set('__name__', name);
    // Sorted by name, as Prometheus keeps them.
    return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, value]) => ({ name: n, value }));
  }

  /** The series' state, found by a cheap key (labels are built once, for a new series). */
  private slot(kind: SeriesState['kind'], name: string, scenario: string, tags: Tags, extra: Record<string, string> = {}): SeriesState {
    const key = `${name}\u0002${scenario}\u0002${tagsKey(tags)}\u0002${tagsKey(extra)}`;
    let state = this.series.get(key);
    if (state === undefined) {
      const labels = this.labels(name, scenario, tags, extra);
      state = kind === 'sample' ? { kind, labels, value: 0 } : { kind, labels, histogram: new NativeHistogram() };
      this.series.set(key, state);
    }
    return state;
  }

  private add(name: string, scenario: string, tags: Tags, n: number, extra?: Record<string, string>): void {
    const state = this.slot('sample', name, scenario, tags, extra);
    if (state.kind === 'sample') state.value += n;
  }

  private set(name: string, scenario: string, tags: Tags, value: number): void {
    const state = this.slot('sample', name, scenario, tags);
    if (state.kind === 'sample') state.value = value;
  }

  start(scenario: string, startedAt: number): void {
    this.startedAt.set(scenario, startedAt);
  }

  /** Adds one interval's figures; returns the WriteRequest of every series at the interval's end. */
  interval(scenario: string, interval: IntervalData): { timeseries: ProtoTimeSeries[] } {
    for (const s of interval.series) {
      const { name, scale } = exportedName(s);
      switch (s.kind) {
        case 'counter':
          this.add(name, scenario, s.tags, s.value * scale);
          break;
        case 'rate': {
          // checks: result=pass|fail per `check` tag; other rates (http_req_failed) likewise: pass
          // is the rate's "true" (for http_req_failed: the request failed), as k6 counts them.
          this.add(name, scenario, s.tags, s.passes, PASS);
          this.add(name, scenario, s.tags, s.fails, FAIL);
          break;
        }
        case 'gauge':
          this.set(name, scenario, s.tags, s.value * scale);
          break;
        case 'trend': {
          const state = this.slot('histogram', name, scenario, s.tags);
          if (state.kind === 'histogram') state.histogram.addHdr(s.hist, scale);
          break;
        }
      }
    }
    for (const [kind, n] of Object.entries(interval.errors)) this.add(ERRORS_METRIC, scenario, {}, n, { kind });
    // Samples of one series must come in time order: never earlier than the last write's.
    const at = Math.round((this.startedAt.get(scenario) ?? Date.now() - interval.endMs) + interval.endMs);
    const timestamp = Math.max(at, this.lastTimestamp + 1);
    this.lastTimestamp = timestamp;
    const timeseries: ProtoTimeSeries[] = [];
    for (const state of this.series.values()) {
      if (state.kind === 'sample') timeseries.push({ labels: state.labels, samples: [{ value: state.value, timestamp }] });
      else timeseries.push({ labels: state.labels, histograms: [state.histogram.toProto(timestamp)] });
    }
    return { timeseries };
  }
}

// The remote-write 1.0 messages (prometheus/prompb types.proto and remote.proto, as of 2.42),
// as a protobufjs JSON descriptor: no .proto parsing at run time.
const PROMPB = {
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
            histograms: { rule: 'repeated', type: 'Histogram', id: 4 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
        BucketSpan: { fields: { offset: { type: 'sint32', id: 1 }, length: { type: 'uint32', id: 2 } } },
        Histogram: {
          oneofs: { count: { oneof: ['countInt', 'countFloat'] }, zeroCount: { oneof: ['zeroCountInt', 'zeroCountFloat'] } },
          fields: {
            countInt: { type: 'uint64', id: 1 },
            countFloat: { type: 'double', id: 2 },
            sum: { type: 'double', id: 3 },
            schema: { type: 'sint32', id: 4 },
            zeroThreshold: { type: 'double', id: 5 },
            zeroCountInt: { type: 'uint64', id: 6 },
            zeroCountFloat: { type: 'double', id: 7 },
            positiveSpans: { rule: 'repeated', type: 'BucketSpan', id: 11 },
            positiveDeltas: { rule: 'repeated', type: 'sint64', id: 12 },
            timestamp: { type: 'int64', id: 15 },
          },
        },
      },
    },
  },
};

type Encoder = (request: { timeseries: ProtoTimeSeries[] }) => Uint8Array;
let encoder: Encoder | undefined;

/** protobuf, then snappy (block format, as remote write wants); the libraries load on first use. */
export function encodeWriteRequest(request: { timeseries: ProtoTimeSeries[] }): Uint8Array {
  if (encoder === undefined) {
    const protobuf = require('protobufjs/light') as typeof import('protobufjs/light');
    const snappy = require('snappyjs') as { compress(input: Uint8Array): Uint8Array };
    const type = protobuf.Root.fromJSON(PROMPB).lookupType('prometheus.WriteRequest');
    // Plain objects with the messages' field names: encode() takes them as they are (no fromObject copy).
    encoder = (r) => snappy.compress(type.encode(r).finish());
  }
  return encoder(request);
}

/** Why a write failed, short: 'HTTP 400: out of order sample', 'connect ECONNREFUSED', 'timed out after 5 s'. */
function failureText(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${WRITE_TIMEOUT_MS / 1000} s`;
  // fetch's own error says only 'fetch failed': the reason is its cause.
  if (e?.cause?.code) return `${e.cause.code}${e.cause.message ? ` (${e.cause.message})` : ''}`;
  if (e?.cause?.message) return e.cause.message;
  return e?.message ?? String(err);
}

class HttpFailure extends Error {
  constructor(readonly status: number, body: string) {
    super(`HTTP ${status}${body ? `: ${body.trim().slice(0, 200)}` : ''}`);
  }
}

/** Sends encoded writes one at a time, in order; never throws, never blocks its caller. */
export class RemoteWriter {
  private readonly queue: Uint8Array[] = [];
  private pumping: Promise<void> | undefined;
  private readonly inFlight = new AbortController();
  private closing = false;
  /** True while the last write failed (no point waiting for a dead server at the end). */
  private failing = false;
  sent = 0;
  dropped = 0;
  lastFailure: string | undefined;
  private warned = false;

  constructor(
    private readonly url: string,
    /** Called once, at the first write that fails for good. */
    private readonly onFirstFailure: (reason: string) => void,
  ) {}

  get total(): number {
    return this.sent + this.dropped + this.queue.length;
  }

  push(payload: Uint8Array): void {
    if (this.closing) return;
    this.queue.push(payload);
    // queue[0] is in flight while pumping: at most MAX_QUEUED_WRITES wait behind it.
    if (this.queue.length > MAX_QUEUED_WRITES + (this.pumping ? 1 : 0)) {
      this.queue.splice(this.pumping ? 1 : 0, 1);
      this.drop('Prometheus took the writes more slowly than one a second; the oldest waiting write was dropped');
    }
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  private drop(reason: string): void {
    this.dropped++;
    this.lastFailure = reason;
    if (!this.warned) {
      this.warned = true;
      this.onFirstFailure(reason);
    }
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.inFlight.signal.aborted) {
      const payload = this.queue[0];
      let failure: string | undefined;
      for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
        try {
          await this.post(payload);
          failure = undefined;
          break;
        } catch (err) {
          // Stopped by close(): the write stays queued, and close() counts it with the real reason.
          if (this.inFlight.signal.aborted) return;
          failure = failureText(err);
          const retriable = !(err instanceof HttpFailure) || err.status >= 500 || err.status === 429;
          if (!retriable || (this.closing && this.failing) || attempt === WRITE_ATTEMPTS) break;
          await new Promise((r) => setTimeout(r, RETRY_DELAY_MS * attempt));
          if (this.inFlight.signal.aborted) return;
        }
      }
      this.queue.shift();
      if (failure === undefined) {
        this.sent++;
        this.failing = false;
      } else {
        this.failing = true;
        this.drop(failure);
      }
    }
  }

  private async post(payload: Uint8Array): Promise<void> {
    // Aborted by close() or the timeout (AbortSignal.any needs Node 20.3).
    const attempt = new AbortController();
    const abort = (): void => attempt.abort(this.inFlight.signal.reason);
    this.inFlight.signal.addEventListener('abort', abort);
    const timer = setTimeout(() => attempt.abort(new DOMException('timed out', 'TimeoutError')), WRITE_TIMEOUT_MS);
    try {
      await this.postWith(payload, attempt.signal);
    } finally {
      clearTimeout(timer);
      this.inFlight.signal.removeEventListener('abort', abort);
    }
  }

  private async postWith(payload: Uint8Array, signal: AbortSignal): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      body: payload as Uint8Array<ArrayBuffer>,
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
        'user-agent': 'loadlens',
      },
      signal,
    });
    // Read the body either way, so that the connection is reused.
    const body = await res.text().catch(() => '');
    if (!res.ok) throw new HttpFailure(res.status, body);
  }

  /**
   * Lets the queued writes go out, for at most `waitMs` (none at all while the server is failing),
   * then drops what is left.
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    this.closing = true;
    if (this.pumping && !this.failing) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.pumping, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
    this.inFlight.abort();
    if (this.pumping) await this.pumping;
    const left = this.queue.length;
    this.queue.length = 0;
    for (let i = 0; i < left; i++) this.drop(this.lastFailure ?? 'the run ended before Prometheus took them');
  }
}

/** The `--out prometheus=URL` output. */
export class PrometheusOutput implements RunOutput {
  private readonly series: PrometheusSeries;
  private readonly writer: RemoteWriter;
  private readonly label: string;
  private broken = false;

  constructor(
    url: string,
    testid: string,
    /** Reports a problem (never changes the exit code). */
    private readonly warn: (message: string) => void,
  ) {
    this.label = `--out prometheus=${url}`;
    this.series = new PrometheusSeries(testid);
    this.writer = new RemoteWriter(url, (reason) =>
      warn(`${this.label}: Prometheus did not take a write (${reason}); the run goes on, and writes it cannot take are dropped`),
    );
  }

  write(record: OutRecord): void {
    if (this.broken) return;
    try {
      if (record.type === 'start') this.series.start(record.scenario, record.startedAt);
      else if (record.type === 'interval') this.writer.push(encodeWriteRequest(this.series.interval(record.scenario, record.interval)));
    } catch (err) {
      // No output may stop the run: say why once, send nothing more.
      this.broken = true;
      this.warn(`${this.label}: could not encode the metrics (${err instanceof Error ? err.message : String(err)}); nothing more is sent`);
    }
  }

  async close(): Promise<void> {
    await this.writer.close();
    if (this.writer.dropped > 0) {
      this.warn(`${this.label}: ${this.writer.dropped} of ${this.writer.total} writes (one a second) were dropped (last: ${this.writer.lastFailure}); the run's results are not affected`);
    }
  }
}

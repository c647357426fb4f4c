// Per-process recording of every metric + tag set for the current one-second interval.
// Called ~100k+ times a second, so the hot path does no string building: each tags object is
// mapped (WeakMap) to its per-metric series once, and series objects live for the whole run and
// are reset in place at each flush (memory stays flat: it grows only with new metric + tag sets).
//
// Series limit: a metric keeps at most `maxSeriesPerMetric` distinct tag sets (default
// MAX_SERIES_PER_METRIC). Beyond it, each new tag set is folded into the metric's one overflow
// series, whose varying tags read OVERFLOW_TAG_VALUE: the generator's own cost (a dozen
// histograms per distinct request name, encoded every second) stays bounded however many
// distinct URLs a scenario requests, and totals per metric stay exact. The first metric to
// overflow leaves one note (the tag whose values vary most, with its busiest values) for the
// runner to warn about once.

import type { EncodedSeries, IntervalData, MetricKind, MetricSink, MetricSummary, SeriesLimitNote, Tags } from '../types';
import { OptionsError } from '../errors';
import { BUILTIN_METRICS } from './names';
import { TrendCounts, decodeSparse, encodeSparse, type SparseCounts } from './hdr';

export type { SeriesLimitNote };

/**
 * The most distinct tag sets one metric keeps per process (k6 keeps every one, and a scenario
 * that names each request by a path with an id in it grows without bound). 1,000 leaves room
 * for a few hundred endpoints with their methods and statuses; each HTTP tag set costs a dozen
 * series (nine histograms), so the bound also caps the per-second encoding work and memory.
 */
export const MAX_SERIES_PER_METRIC = 1000;
/** The value the varying tags take in a metric's overflow series. */
export const OVERFLOW_TAG_VALUE = '__overflow__';

/** The one-line warning for a series-limit note (the runner sends it as a 'warn' log). */
export function describeSeriesLimit(n: SeriesLimitNote): string {
  const top = n.top.map(([v, c]) => `${JSON.stringify(v)} (${c})`).join(', ');
  return (
    `metric ${n.metric} reached ${n.limit} distinct tag sets: tag "${n.tag}" has ${n.distinct} distinct values (top: ${top}). ` +
    `Further tag sets of each metric are folded into one series tagged ${n.tag}="${OVERFLOW_TAG_VALUE}" (totals stay exact; ` +
    `tag-filtered figures miss them). Tag such requests by their template, e.g. http.get(url\`/items/\${id}\`) or tags: { name: '/items/{id}' }.`
  );
}

/** A flush in progress (MetricsRecorder.beginFlush). */
export interface FlushJob {
  /** The interval; its series are all set once step() has returned true. */
  readonly interval: IntervalData;
  /** Reads up to `max` more handed-over trends; true when the interval is complete. */
  step(max: number): boolean;
}

/** The interval fields the executor knows; the recorder adds `series` (and merges `errors`). */
export type IntervalHeader = Omit<IntervalData, 'series' | 'errors' | 'seriesLimit'> & { errors?: Record<string, number> };

/** Canonical key of a tag set: independent of key order. */
export function tagsKey(tags: Tags): string {
  const keys = Object.keys(tags);
  if (keys.length === 0) return '';
  if (keys.length > 1) keys.sort();
  let key = '';
  for (const k of keys) key += k + '\u0000' + tags[k] + '\u0001';
  return key;
}

/**
 * The series recorded into since the last flush, in the order they were first touched: the
 * flush walks only these (a run with a thousand request names holds ~12,000 series, of which
 * the few hundred names requested in the last second changed).
 */
export interface Touched {
  list: AnySeries[];
}

export class TrendSeries {
  readonly kind = 'trend';
  /** Values recorded in flushed intervals (ranks tag values in the series-limit note; a counter's sum). */
  records = 0;
  /** Recorded into since the last flush (and listed in `touched`). */
  dirty = false;
  /** @internal This interval's counts (a flush swaps them for empty ones and reads them after). */
  counts = new TrendCounts();
  constructor(readonly metric: string, readonly tags: Tags, private readonly touched: Touched, readonly id: number) {}
  /** Records integer microseconds (fractions are rounded, values clamped to [0, 1 h]). */
  record(micros: number): void {
    if (!this.dirty) {
      this.dirty = true;
      this.touched.list.push(this);
    }
    this.counts.record(micros);
  }
}

export class CounterSeries {
  readonly kind = 'counter';
  records = 0;
  value = 0;
  dirty = false;
  constructor(readonly metric: string, readonly tags: Tags, private readonly touched: Touched, readonly id: number) {}
  add(n: number): void {
    this.value += n;
    if (!this.dirty) {
      this.dirty = true;
      this.touched.list.push(this);
    }
  }
}

export class RateSeries {
  readonly kind = 'rate';
  records = 0;
  passes = 0;
  fails = 0;
  dirty = false;
  constructor(readonly metric: string, readonly tags: Tags, private readonly touched: Touched, readonly id: number) {}
  add(pass: boolean): void {
    if (pass) this.passes++;
    else this.fails++;
    if (!this.dirty) {
      this.dirty = true;
      this.touched.list.push(this);
    }
  }
}

export class GaugeSeries {
  readonly kind = 'gauge';
  records = 0;
  value = 0;
  min = Infinity;
  max = -Infinity;
  dirty = false;
  constructor(readonly metric: string, readonly tags: Tags, private readonly touched: Touched, readonly id: number) {}
  set(v: number): void {
    this.value = v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (!this.dirty) {
      this.dirty = true;
      this.touched.list.push(this);
    }
  }
}

/** The counts behind each trend series a flush produced in this process (see trendSeriesOf). */
const countsOfSeries = new WeakMap<EncodedSeries, SparseCounts>();

/**
 * A flushed trend series whose `hist` (HdrHistogram V2, compressed base64) is encoded from its
 * counts on first read and kept: JSON (the --out file, IPC to a parent process) and
 * structuredClone read it like any property, while a runner in the same process adds the
 * pairs themselves (countsOfTrend) and never encodes or decodes at all. Assigning `hist`
 * replaces it (and drops the pairs).
 */
function trendSeriesOf(metric: string, tags: Tags, counts: SparseCounts): Extract<EncodedSeries, { kind: 'trend' }> {
  let hist: string | undefined;
  const s = {
    kind: 'trend' as const,
    metric,
    tags,
    get hist(): string {
      return (hist ??= encodeSparse(counts));
    },
    set hist(value: string) {
      Object.defineProperty(this, 'hist', { value, writable: true, enumerable: true, configurable: true });
      countsOfSeries.delete(this);
    },
  };
  countsOfSeries.set(s, counts);
  return s;
}

/** The counts of a trend series flushed in this process, or decoded once already (see decodedCounts). */
export function countsOfTrend(s: EncodedSeries): SparseCounts | undefined {
  return countsOfSeries.get(s);
}

/** The counts of a trend series: its own pairs, else its `hist` decoded once and kept for the next reader. */
export function decodedCounts(s: Extract<EncodedSeries, { kind: 'trend' }>): SparseCounts {
  let counts = countsOfSeries.get(s);
  if (counts === undefined) countsOfSeries.set(s, (counts = decodeSparse(s.hist)));
  return counts;
}

export type AnySeries = TrendSeries | CounterSeries | RateSeries | GaugeSeries;
type SeriesByKind = { trend: TrendSeries; counter: CounterSeries; rate: RateSeries; gauge: GaugeSeries };

const SERIES_CLASS = { trend: TrendSeries, counter: CounterSeries, rate: RateSeries, gauge: GaugeSeries };

/**
 * Records metrics for the current interval. Tags objects are treated as immutable once passed
 * in: the series they map to is cached per object (reuse one object per tag set for speed;
 * a fresh object per call still works, at the cost of building its key once).
 */
export class MetricsRecorder implements MetricSink {
  /** metric → tag key → series (at most maxSeriesPerMetric each). */
  private readonly byMetric = new Map<string, Map<string, AnySeries>>();
  /** metric → its overflow series, once it has one. */
  private readonly overflow = new Map<string, AnySeries>();
  /** The first metric's series-limit note, until a flush hands it over; then null. */
  private limitNote: SeriesLimitNote | null | undefined;
  readonly maxSeriesPerMetric: number;
  private readonly kinds = new Map<string, MetricKind>();
  /** The unit custom metrics were declared with (isTime); built-ins have theirs in BUILTIN_METRICS. */
  private readonly units = new Map<string, MetricSummary['contains']>();
  /** tags object → metric → series: the hot-path cache. */
  private readonly byTagsObject = new WeakMap<Tags, Map<string, AnySeries>>();
  private readonly all: AnySeries[] = [];
  /** The series recorded into this interval (each series pushes itself on its first record). */
  private readonly touched: Touched = { list: [] };
  /** The list the previous flush walked, emptied: the next interval's (no array per flush). */
  private spareTouched: AnySeries[] = [];
  /**
   * Empty trend counts that a flush gives the series it takes counts from (and gets back once
   * it has read them): each interval records into counts of the same pool, so memory stays flat.
   */
  private readonly emptyCounts: TrendCounts[] = [];
  /** A flush whose trends are not all read yet. */
  private unfinished: FlushJob | undefined;
  /** The tags object each series was first created from (the only one cached for it). */
  private readonly createdFrom = new WeakMap<AnySeries, Tags>();
  private errors: Record<string, number> = {};
  private errorCount = 0;

  constructor(options: { maxSeriesPerMetric?: number } = {}) {
    this.maxSeriesPerMetric = Math.max(1, Math.floor(options.maxSeriesPerMetric ?? MAX_SERIES_PER_METRIC));
  }

  /** True once `metric` holds its limit of tag sets: any new tag set of it is folded. */
  isFull(metric: string): boolean {
    return (this.byMetric.get(metric)?.size ?? 0) >= this.maxSeriesPerMetric;
  }

  trend(metric: string, tags: Tags, micros: number): void {
    (this.lookup(metric, tags, 'trend') as TrendSeries).record(micros);
  }

  count(metric: string, tags: Tags, n: number): void {
    (this.lookup(metric, tags, 'counter') as CounterSeries).add(n);
  }

  rate(metric: string, tags: Tags, pass: boolean): void {
    (this.lookup(metric, tags, 'rate') as RateSeries).add(pass);
  }

  gauge(metric: string, tags: Tags, value: number): void {
    (this.lookup(metric, tags, 'gauge') as GaugeSeries).set(value);
  }

  /** Counts one network error or iteration exception of `kind` in this interval. */
  error(kind: string, n = 1): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + n;
    this.errorCount += n;
  }

  /**
   * A handle for one metric + tag set, valid for the whole run (faster than the sink methods:
   * no lookup at all). E.g. `const reqs = rec.series('counter', HTTP_REQS, tags); reqs.add(1)`.
   * `contains` declares the unit of a custom metric (`new Trend('x', true)`: 'time'); a metric
   * keeps the unit it was first declared with (or its built-in one), as it keeps its kind.
   */
  series<K extends MetricKind>(kind: K, metric: string, tags: Tags, contains?: MetricSummary['contains']): SeriesByKind[K] {
    const s = this.lookup(metric, tags, kind) as SeriesByKind[K];
    if (contains !== undefined) this.declareUnit(metric, contains);
    return s;
  }

  private declareUnit(metric: string, contains: MetricSummary['contains']): void {
    const known = this.units.get(metric) ?? BUILTIN_METRICS[metric]?.contains;
    if (known === undefined) this.units.set(metric, contains);
    else if (known !== contains) throw unitConflict(metric, contains, known);
  }

  /** The kind a metric name was first recorded with (or the built-in kind). */
  kindOf(metric: string): MetricKind | undefined {
    return this.kinds.get(metric) ?? BUILTIN_METRICS[metric]?.kind;
  }

  private lookup(metric: string, tags: Tags, kind: MetricKind): AnySeries {
    const perMetric = this.byTagsObject.get(tags);
    const cached = perMetric?.get(metric);
    if (cached !== undefined) {
      if (cached.kind !== kind) throw kindConflict(metric, cached.kind, kind);
      return cached;
    }
    const s = this.findOrCreate(metric, tags, kind);
    if (s.kind !== kind) throw kindConflict(metric, s.kind, kind);
    // Cache only for the object a series was created from: callers that build a fresh tags
    // object per call would otherwise fill the WeakMap with millions of short-lived entries
    // (measured ~5 µs a call that way, against a few hundred ns for the key lookup alone).
    if (this.createdFrom.get(s) === tags) {
      if (perMetric === undefined) this.byTagsObject.set(tags, new Map([[metric, s]]));
      else perMetric.set(metric, s);
    }
    return s;
  }

  private findOrCreate(metric: string, tags: Tags, kind: MetricKind): AnySeries {
    const known = this.kindOf(metric);
    if (known !== undefined && known !== kind) throw kindConflict(metric, known, kind);
    this.kinds.set(metric, kind);
    let byKey = this.byMetric.get(metric);
    if (byKey === undefined) {
      byKey = new Map();
      this.byMetric.set(metric, byKey);
    }
    const key = tagsKey(tags);
    let s = byKey.get(key);
    if (s === undefined && byKey.size >= this.maxSeriesPerMetric) return this.fold(metric, kind, byKey, tags);
    if (s === undefined) {
      // A private copy: the caller's object may be reused for other purposes later.
      s = new SERIES_CLASS[kind](metric, { ...tags }, this.touched, this.all.length);
      byKey.set(key, s);
      this.createdFrom.set(s, tags);
      this.all.push(s);
    }
    return s;
  }

  /**
   * The overflow series of a full metric, for a new tag set `tags`. Its tags: the tag that
   * varies most set to OVERFLOW_TAG_VALUE, and every tag on which the folded tag sets differ
   * too (so a tag filter never matches folded records it should not); the tags they all share
   * are kept (e.g. method and status when only the name varies).
   */
  private fold(metric: string, kind: MetricKind, byKey: Map<string, AnySeries>, tags: Tags): AnySeries {
    let s = this.overflow.get(metric);
    if (s === undefined) {
      const { tag, distinct, top } = varyingTag(byKey.values());
      const own: Tags = { ...tags };
      own[tag] = OVERFLOW_TAG_VALUE;
      s = new SERIES_CLASS[kind](metric, own, this.touched, this.all.length);
      this.overflow.set(metric, s);
      this.createdFrom.set(s, tags);
      this.all.push(s);
      if (this.limitNote === undefined) this.limitNote = { metric, limit: this.maxSeriesPerMetric, tag, distinct, top };
      return s;
    }
    // Narrow the shared tags: a tag this set lacks or has another value of no longer holds.
    const own = s.tags;
    let narrowed: Tags | undefined;
    for (const k in own) {
      if (own[k] !== OVERFLOW_TAG_VALUE && tags[k] !== own[k]) (narrowed ??= { ...own })[k] = OVERFLOW_TAG_VALUE;
    }
    for (const k in tags) if (!(k in own)) (narrowed ??= { ...own })[k] = OVERFLOW_TAG_VALUE;
    // A new object: intervals already flushed keep the tags they were sent with.
    if (narrowed !== undefined) (s as { tags: Tags }).tags = narrowed;
    return s;
  }

  /**
   * Ends the interval: returns everything recorded since the last flush (series with no
   * records are left out) and resets the interval state in place. Synchronous on purpose:
   * take the snapshot before awaiting anything, so no record falls between two intervals.
   */
  flush(header: IntervalHeader): IntervalData {
    const job = this.beginFlush(header);
    job.step(Infinity);
    return job.interval;
  }

  /**
   * Ends the interval like flush(), in two parts: now, every touched series hands over what it
   * recorded (a trend swaps its counts for empty ones: nothing is copied), so no record falls
   * between two intervals; then step() turns the handed-over trend counts into series, a slice at
   * a time (the run's loop does one slice per turn of the event loop, so iterations due meanwhile
   * start on time). `interval` is complete once step() has returned true. A flush begun while
   * another is unfinished finishes the other first (its interval is still the caller's to use).
   */
  beginFlush(header: IntervalHeader): FlushJob {
    this.unfinished?.step(Infinity);
    // Only the series touched since the last flush, in creation order (as a walk of every
    // series would list them).
    const touched = this.touched.list;
    this.touched.list = this.spareTouched;
    if (!ascendingIds(touched)) touched.sort(byId);
    const series: EncodedSeries[] = new Array(touched.length);
    const trends: number[] = [];
    const full: TrendCounts[] = [];
    // The tags as of now: an overflow series' tags may be narrowed before its counts are read.
    const trendTags: Tags[] = [];
    for (let i = 0; i < touched.length; i++) {
      const s = touched[i];
      s.dirty = false;
      switch (s.kind) {
        case 'trend': {
          s.records += s.counts.total;
          trends.push(i);
          full.push(s.counts);
          trendTags.push(s.tags);
          s.counts = this.emptyCounts.pop() ?? new TrendCounts();
          break;
        }
        case 'counter':
          s.records += s.value;
          series[i] = this.withUnit({ kind: 'counter', metric: s.metric, tags: s.tags, value: s.value });
          s.value = 0;
          break;
        case 'rate':
          s.records += s.passes + s.fails;
          series[i] = { kind: 'rate', metric: s.metric, tags: s.tags, passes: s.passes, fails: s.fails };
          s.passes = 0;
          s.fails = 0;
          break;
        case 'gauge':
          s.records++;
          series[i] = this.withUnit({ kind: 'gauge', metric: s.metric, tags: s.tags, value: s.value, min: s.min, max: s.max });
          s.min = Infinity;
          s.max = -Infinity;
          break;
      }
    }
    const errors = { ...header.errors };
    if (this.errorCount > 0) {
      for (const [kind, n] of Object.entries(this.errors)) errors[kind] = (errors[kind] ?? 0) + n;
      this.errors = {};
      this.errorCount = 0;
    }
    const interval: IntervalData = { ...header, series, errors };
    if (this.limitNote) {
      interval.seriesLimit = this.limitNote;
      this.limitNote = null;
    }
    let next = 0;
    const job: FlushJob = {
      interval,
      step: (max) => {
        const end = Math.min(trends.length, next + max);
        for (; next < end; next++) {
          const s = touched[trends[next]] as TrendSeries;
          const counts = full[next];
          // A copy as sorted pairs (encoded only if someone reads hist, see trendSeriesOf);
          // the counts, reset, record another series' next interval.
          series[trends[next]] = this.withUnit(trendSeriesOf(s.metric, trendTags[next], counts.takeAndReset()));
          this.emptyCounts.push(counts);
        }
        if (next < trends.length) return false;
        if (this.unfinished === job) {
          this.unfinished = undefined;
          touched.length = 0;
          this.spareTouched = touched;
        }
        return true;
      },
    };
    this.unfinished = job;
    return job;
  }

  /** Adds a custom metric's declared unit to its series (plain numbers and built-ins carry none). */
  private withUnit<S extends Exclude<EncodedSeries, { kind: 'rate' }>>(s: S): S {
    const contains = this.units.get(s.metric);
    if (contains !== undefined && contains !== 'default') s.contains = contains;
    return s;
  }
}

/** Values recorded into a series so far, this interval's included. */
function recordsOf(s: AnySeries): number {
  switch (s.kind) {
    case 'trend':
      return s.records + s.counts.total;
    case 'counter':
      return s.records + s.value;
    case 'gauge':
      return s.records + (s.dirty ? 1 : 0);
    case 'rate':
      return s.records + s.passes + s.fails;
  }
}

function ascendingIds(list: AnySeries[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i].id < list[i - 1].id) return false;
  return true;
}

function byId(a: AnySeries, b: AnySeries): number {
  return a.id - b.id;
}

const TOP_VALUES = 5;

/** The tag with the most distinct values among `series`, and its busiest values. */
function varyingTag(series: Iterable<AnySeries>): { tag: string; distinct: number; top: Array<[string, number]> } {
  const byTag = new Map<string, Map<string, number>>();
  for (const s of series) {
    const n = recordsOf(s);
    for (const k in s.tags) {
      let values = byTag.get(k);
      if (values === undefined) byTag.set(k, (values = new Map()));
      values.set(s.tags[k], (values.get(s.tags[k]) ?? 0) + n);
    }
  }
  let tag = '';
  let values = new Map<string, number>();
  for (const [k, v] of byTag) if (v.size > values.size) [tag, values] = [k, v];
  // Untagged series cannot fill a metric, but a metric whose only series carry no tags can be
  // given a limit of 1 (tests): name the fold by a tag of its own then.
  if (tag === '') tag = 'tags';
  const top = [...values].sort((a, b) => b[1] - a[1]).slice(0, TOP_VALUES);
  return { tag, distinct: values.size, top };
}

function unitConflict(metric: string, requested: MetricSummary['contains'], existing: MetricSummary['contains']): OptionsError {
  const allowed =
    existing === 'time' ? 'true (it was first declared as a time)'
    : existing === 'data' ? 'no custom declaration (it is a built-in data metric, in bytes)'
    : 'false (it was first declared as a plain number)';
  return new OptionsError(`metric "${metric}" isTime`, requested === 'time', allowed);
}

function kindConflict(metric: string, existing: MetricKind, requested: MetricKind): OptionsError {
  return new OptionsError(`metric "${metric}"`, requested, `a ${existing} (the kind it was first recorded as)`);
}

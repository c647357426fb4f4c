// Execution segments: how N worker processes (or machines) split one run into exact shares
// without talking to each other. A sequence of rational cut points 0 = r0 < r1 < ... < rn = 1
// defines segments (r_i, r_i+1]. Global indexes (VU numbers, shared iterations, arrival ticks)
// are striped over the segments with period LCD (the least common denominator of the segment
// lengths), so each segment owns an exact, evenly spread share, scaleInt() is monotone in the
// value and the shares of all segments sum to the value. Written from the description of k6's
// execution segments in shared/notes/distributed.md §1 (no code copied).

import { OptionsError } from './errors';

/** A non-negative rational num/den in lowest terms. */
export interface Rational {
  num: number;
  den: number;
}

const MAX_LCD = 1_000_000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function rational(num: number, den: number): Rational {
  const g = gcd(num, den) || 1;
  return { num: num / g, den: den / g };
}

function compare(a: Rational, b: Rational): number {
  return a.num * b.den - b.num * a.den;
}

function subtract(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den - b.num * a.den, a.den * b.den);
}

const RATIONAL_ALLOWED = "a fraction between 0 and 1 such as '1/3', '0.25' or '25%'";

/** Parses '1/3', '0.25', '25%', '0' or '1' into a rational in [0, 1]. */
export function parseRational(text: string, field = 'segment'): Rational {
  const t = text.trim();
  let r: Rational | undefined;
  let m: RegExpMatchArray | null;
  if ((m = t.match(/^(\d+)\s*\/\s*(\d+)$/))) {
    if (Number(m[2]) > 0) r = rational(Number(m[1]), Number(m[2]));
  } else if ((m = t.match(/^(\d+)(?:\.(\d+))?(%?)$/))) {
    const frac = m[2] ?? '';
    let den = 10 ** frac.length;
    if (m[3] === '%') den *= 100;
    if (den <= MAX_LCD) r = rational(Number(m[1] + frac), den);
  }
  if (!r || r.num > r.den) throw new OptionsError(field, text, RATIONAL_ALLOWED);
  return r;
}

export function formatRational(r: Rational): string {
  return r.num === 0 ? '0' : r.den === 1 ? String(r.num) : `${r.num}/${r.den}`;
}

/**
 * One segment of a sequence, with the striping that gives it its share. Build it with
 * `executionSegment()`. All methods are pure functions of (sequence, index).
 */
export class ExecutionSegment {
  /** Cut points of the whole sequence, 0 first and 1 last. */
  readonly cuts: readonly Rational[];
  /** Position of this segment in the sequence. */
  readonly index: number;
  /** Period of the striping. */
  readonly lcd: number;
  /** Sorted offsets in [0, lcd) this segment owns. */
  readonly offsets: readonly number[];
  /** ownedBelow[i] = how many owned offsets are < i, for i in [0, lcd]. */
  private readonly ownedBelow: Uint32Array;
  private readonly ownedSet: Uint8Array;

  constructor(cuts: readonly Rational[], index: number) {
    this.cuts = cuts;
    this.index = index;
    const lengths = cuts.slice(1).map((c, i) => subtract(c, cuts[i]));
    let lcd = 1;
    for (const l of lengths) {
      lcd = (lcd / gcd(lcd, l.den)) * l.den;
      if (lcd > MAX_LCD) throw new OptionsError('segment sequence', cuts.map(formatRational).join(','), `cut points whose denominators have a common multiple of at most ${MAX_LCD}`);
    }
    this.lcd = lcd;
    const numerators = lengths.map((l) => (l.num * lcd) / l.den);
    // Largest share first (ties: sequence order), each global index to the first segment that
    // is not ahead of its fair share: index i goes to s if i * n_s >= chosen_s * lcd.
    const order = numerators.map((n, i) => ({ n, i })).sort((a, b) => b.n - a.n || a.i - b.i);
    const chosen = new Array<number>(numerators.length).fill(0);
    const mine: number[] = [];
    for (let i = 0; i < lcd; i++) {
      for (const { n, i: s } of order) {
        if (n > 0 && i * n >= chosen[s] * lcd) {
          chosen[s]++;
          if (s === index) mine.push(i);
          break;
        }
      }
    }
    this.offsets = mine;
    this.ownedSet = new Uint8Array(lcd);
    for (const o of mine) this.ownedSet[o] = 1;
    this.ownedBelow = new Uint32Array(lcd + 1);
    for (let i = 0; i < lcd; i++) this.ownedBelow[i + 1] = this.ownedBelow[i] + this.ownedSet[i];
  }

  get from(): Rational {
    return this.cuts[this.index];
  }

  get to(): Rational {
    return this.cuts[this.index + 1];
  }

  /** 'from:to', e.g. '1/3:2/3'. */
  toString(): string {
    return `${formatRational(this.from)}:${formatRational(this.to)}`;
  }

  /** The sequence, e.g. '0,1/3,2/3,1'. */
  sequenceString(): string {
    return this.cuts.map(formatRational).join(',');
  }

  /** This segment's share of `v` global units: monotone in v; the shares of a sequence sum to v. */
  scaleInt(v: number): number {
    if (v <= 0) return 0;
    const cycles = Math.floor(v / this.lcd);
    return cycles * this.offsets.length + this.ownedBelow[v - cycles * this.lcd];
  }

  /** Whether this segment owns the 0-based global index. */
  owned(globalIndex: number): boolean {
    return this.ownedSet[globalIndex % this.lcd] === 1;
  }

  /** The global index of this segment's `local`-th (0-based) owned index. */
  globalIndex(local: number): number {
    const per = this.offsets.length;
    if (per === 0) return Infinity;
    const cycle = Math.floor(local / per);
    return cycle * this.lcd + this.offsets[local - cycle * per];
  }

  /** Owned global indexes in [0, end), ascending. */
  *ownedIndexes(end: number): Generator<number> {
    for (let local = 0; ; local++) {
      const g = this.globalIndex(local);
      if (g >= end) return;
      yield g;
    }
  }

  /**
   * This segment within the sequence re-cut in proportion to each segment's share of `v`:
   * shared iterations follow the VUs this way. null when this segment's share of v is 0
   * (it owns nothing then).
   */
  resegmentBy(v: number): ExecutionSegment | null {
    const shares = this.cuts.slice(1).map((_, i) => new ExecutionSegment(this.cuts, i).scaleInt(v));
    if (!(shares[this.index] > 0)) return null;
    // Cumulative shares over v, leaving out segments with no share.
    const cuts: Rational[] = [rational(0, 1)];
    let sum = 0;
    let index = 0;
    for (let i = 0; i < shares.length; i++) {
      if (shares[i] === 0) continue;
      if (i === this.index) index = cuts.length - 1;
      sum += shares[i];
      cuts.push(rational(sum, v));
    }
    return new ExecutionSegment(cuts, index);
  }
}

/** Parses a sequence '0,1/3,2/3,1' (0 and 1 are added when missing). */
export function parseSequence(text: string): Rational[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const cuts = parts.map((p) => parseRational(p, 'segment sequence'));
  if (cuts.length === 0 || compare(cuts[0], rational(0, 1)) !== 0) cuts.unshift(rational(0, 1));
  if (compare(cuts[cuts.length - 1], rational(1, 1)) !== 0) cuts.push(rational(1, 1));
  for (let i = 1; i < cuts.length; i++) {
    if (compare(cuts[i], cuts[i - 1]) <= 0) {
      throw new OptionsError('segment sequence', text, 'strictly increasing cut points from 0 to 1, e.g. 0,1/3,2/3,1');
    }
  }
  return cuts;
}

/**
 * The segment `segment` ('1/3:2/3', or a bare '1/3' meaning '0:1/3') within `sequence`
 * (default: the segment's own cut points filled out to 0 and 1). The segment must be two
 * consecutive cut points of the sequence.
 */
export function executionSegment(segment: string, sequence?: string): ExecutionSegment {
  const parts = segment.split(':');
  if (parts.length > 2) throw new OptionsError('segment', segment, "'from:to', e.g. '1/3:2/3'");
  const from = parts.length === 2 ? parseRational(parts[0]) : rational(0, 1);
  const to = parseRational(parts[parts.length - 1]);
  if (compare(from, to) >= 0) throw new OptionsError('segment', segment, "'from:to' with from < to, e.g. '1/3:2/3'");
  const cuts = parseSequence(sequence ?? `${formatRational(from)},${formatRational(to)}`);
  const index = cuts.findIndex((c) => compare(c, from) === 0);
  if (index < 0 || index + 1 >= cuts.length || compare(cuts[index + 1], to) !== 0) {
    throw new OptionsError('segment', segment, `two consecutive cut points of the sequence ${cuts.map(formatRational).join(',')}`);
  }
  return new ExecutionSegment(cuts, index);
}

/** The i-th (0-based) of n equal segments: what `--workers n` uses. */
export function equalSegment(i: number, n: number): ExecutionSegment {
  const cuts: Rational[] = [];
  for (let k = 0; k <= n; k++) cuts.push(rational(k, n));
  return new ExecutionSegment(cuts, i);
}

/** Every segment of a sequence, in order. */
export function segmentsOf(sequence: string): ExecutionSegment[] {
  const cuts = parseSequence(sequence);
  return cuts.slice(1).map((_, i) => new ExecutionSegment(cuts, i));
}

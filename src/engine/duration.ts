// Durations as users write them ('30s', '2m', '250ms', '1h30m', '1.5s', or a number of ms).

import type { Duration } from './types';
import { OptionsError } from './errors';

const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(us|µs|ms|s|m|h|d)/y;
const ALLOWED = "a duration such as '30s', '2m', '250ms', '1h30m', '1.5s' or a number of milliseconds (>= 0)";

/** Milliseconds in `d`; throws OptionsError naming `field` when `d` is not a valid duration. */
export function parseDuration(d: Duration, field: string): number {
  if (typeof d === 'number') {
    if (Number.isFinite(d) && d >= 0) return d;
    throw new OptionsError(field, d, ALLOWED);
  }
  if (typeof d !== 'string') throw new OptionsError(field, d, ALLOWED);
  const text = d.trim();
  // A bare number in a string means milliseconds, as a number would.
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === '') throw new OptionsError(field, d, ALLOWED);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) throw new OptionsError(field, d, ALLOWED);
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  return total;
}

/** Human form of a millisecond count: '250ms', '1.5s', '1m30s', '1h', '1h0m5s'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return '-' + formatDuration(-ms);
  if (ms < 1000) return `${trimNumber(ms)}ms`;
  const totalMs = Math.round(ms);
  const h = Math.floor(totalMs / 3_600_000);
  const m = Math.floor((totalMs % 3_600_000) / 60_000);
  const s = (totalMs % 60_000) / 1000;
  let out = '';
  if (h) out += `${h}h`;
  if (m || (h && s)) out += `${m}m`;
  if (s || !out) out += `${trimNumber(s)}s`;
  return out;
}

function trimNumber(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

// Durations as users write them: '30s', '2m', '250ms', '1h30m', '1.5s', or a bare number of
// seconds (5 or '5'), as in k6, Locust, Gatling and Artillery: `sleep(1)` is one second.
// Internal code passes milliseconds as numbers and never goes through parseDuration: it keeps
// them in the *Ms fields of NormalLoad, TransportOptions and the like.

import type { Duration } from './types';
import { OptionsError } from './errors';

const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(us|µs|ms|s|m|h|d)/y;
const BARE_NUMBER = /^(\d+(\.\d+)?|\.\d+)$/;
/** What a duration may be, for error messages. */
export const DURATION_ALLOWED = "a duration such as '30s', '2m', '250ms', '1h30m', '1.5s' or a number of seconds (>= 0)";

/**
 * Milliseconds in the user-written duration `d`: a bare number (or numeric string) is seconds,
 * a string with units is read as written. Throws OptionsError naming `field` when `d` is not
 * a valid duration.
 */
export function parseDuration(d: Duration, field: string): number {
  if (typeof d === 'number') {
    if (Number.isFinite(d) && d >= 0) return secondsToMs(d);
    throw new OptionsError(field, d, DURATION_ALLOWED);
  }
  if (typeof d !== 'string') throw new OptionsError(field, d, DURATION_ALLOWED);
  const text = d.trim();
  // A bare number in a string means seconds, as a number does ('--duration 5').
  if (BARE_NUMBER.test(text)) return secondsToMs(Number(text));
  if (text === '') throw new OptionsError(field, d, DURATION_ALLOWED);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) throw new OptionsError(field, d, DURATION_ALLOWED);
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  return total;
}

/** 1.5 s -> 1500 ms, without binary noise (0.1 s is 100 ms, not 100.00000000000001). */
function secondsToMs(s: number): number {
  return Math.round(s * 1e6) / 1e3;
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

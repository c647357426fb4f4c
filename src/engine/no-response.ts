// The live warning that a target has stopped answering, shared by the CLI's live line and the
// panel: no request has finished for a while although requests are waiting for their response.

/** The warning shows once no request has finished for this long while requests are in flight. */
export const NO_RESPONSE_WARN_MS = 5000;

/** e.g. 'no response for 5 s: 50 requests in flight', or undefined while responses arrive. */
export function noResponseWarning(live: { inFlight?: number; noResponseMs?: number }): string | undefined {
  const n = live.inFlight ?? 0;
  const ms = live.noResponseMs ?? 0;
  if (n <= 0 || ms < NO_RESPONSE_WARN_MS) return undefined;
  return `no response for ${Math.floor(ms / 1000)} s: ${n} request${n === 1 ? '' : 's'} in flight`;
}

/** Seconds for the end-of-run sentence: '33 s', '1.5 s', '250 ms'. */
export function waitedText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return ms < 10_000 ? `${(Math.round(ms / 100) / 10).toString()} s` : `${Math.round(ms / 1000)} s`;
}

/** e.g. '50 requests never completed; the oldest waited 33 s'. */
export function unfinishedText(u: { requests: number; oldestMs: number }): string {
  return `${u.requests} request${u.requests === 1 ? '' : 's'} never completed; the oldest waited ${waitedText(u.oldestMs)}`;
}

// Texts shown after a run (result lens, threshold lenses, status bar, Test Explorer messages),
// built from the runner's summary. Pure: unit-tested under plain Node. Number formats are the
// presentation module's (src/presentation/format.ts), so every surface shows the same figures.

import type { LiveStats, SummaryData, ThresholdVerdict } from '../engine/types';
import { aggregationOf, formatCount, formatMs, formatObserved } from '../presentation/format';
import { headline, summaryFigures } from '../view-model/reducers';

export { headline };

/** `p99 212 ms · 1,980 req/s · thresholds ✓ 3/3` (the result lens above a scenario). */
export function resultLensText(summary: SummaryData): string {
  const { p99, rps } = headline(summary);
  const parts = [`p99 ${formatMs(p99)}`, `${formatCount(rps)} req/s`];
  const total = summary.thresholds.length;
  if (total > 0) {
    const passed = summary.thresholds.filter((t) => t.ok).length;
    parts.push(`thresholds ${passed === total ? '✓' : '✗'} ${passed}/${total}`);
  }
  if (summary.state.status !== 'completed') parts.push(summary.state.status);
  return parts.join(' · ');
}

/** `✓ p(99) = 212 ms` on a threshold's line (several expressions may share a line). */
export function thresholdLensText(verdict: ThresholdVerdict): string {
  return `${verdict.ok ? '✓' : '✗'} ${aggregationOf(verdict.expression)} = ${formatObserved(verdict)}`;
}

/** Test Explorer message of a failed threshold, with expected and actual texts for the diff view. */
export function thresholdFailure(verdict: ThresholdVerdict): { message: string; expected: string; actual: string } {
  // The message is drawn inline after the threshold's line: lead with what was observed.
  const actual = `${aggregationOf(verdict.expression)} = ${formatObserved(verdict)}`;
  return {
    message: `${verdict.metric}: ${actual}, threshold '${verdict.expression}' failed`,
    expected: verdict.expression,
    actual,
  };
}

/** Status bar text while running: `$(pulse) 1,980 req/s · p99 212 ms`. */
export function statusBarText(live: LiveStats | undefined): string {
  if (!live) return '$(loading~spin) Loadlens: starting…';
  return `$(pulse) ${formatCount(live.rps)} req/s · p99 ${formatMs(live.p99)}`;
}

/** What a run had measured, for the report of a runner that died or was stopped early. */
export function liveSummaryText(live: LiveStats): string {
  return `${formatCount(live.requests)} requests in ${(live.elapsedMs / 1000).toFixed(1)}s, ` +
    `${formatCount(live.errors)} errors, last p99 ${formatMs(live.p99)}, ${formatCount(live.rps)} req/s`;
}

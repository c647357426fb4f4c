// CI outputs of a run: JUnit XML (--junit) and a Markdown summary for CI job pages
// (--summary-md, $GITHUB_STEP_SUMMARY). Pure: built from the summaries, with the panel's number
// formats (src/presentation/format.ts), so CI, the panel and the editor show the same figures.

import type { SummaryData, ThresholdVerdict } from '../engine/types';
import { escapeControl } from '../text';
import { formatDuration } from '../engine/duration';
import { formatCount, formatObserved } from '../presentation/format';
import { summaryFigures } from '../view-model/reducers';
import { formatFigure } from './compare';

/** Text for an XML attribute or element: control characters (not allowed in XML 1.0) made visible, markup escaped. */
function xml(text: string): string {
  return escapeControl(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** `http_req_duration: p(95) < 200`, the name of a threshold's test case. */
export function thresholdName(t: Pick<ThresholdVerdict, 'metric' | 'expression'>): string {
  return `${t.metric}: ${t.expression}`;
}

function checkFailureText(passes: number, fails: number): string {
  return `${formatCount(fails)} of ${formatCount(passes + fails)} failed (${formatCount(passes)} passed)`;
}

/**
 * JUnit XML: one <testsuite> per scenario; one <testcase> per threshold (named by metric and
 * expression, a <failure> with the observed value when it failed) and per check (a <failure>
 * with the pass and fail counts when any failed). A run that did not complete (cancelled,
 * aborted, incomplete) gets a failing `run completed` test case, so CI never reads it as green.
 */
export function junitXml(summaries: SummaryData[]): string {
  let tests = 0;
  let failures = 0;
  let time = 0;
  const suites = summaries.map((s) => {
    const cases: string[] = [];
    let suiteFailures = 0;
    const scenario = xml(s.scenario);
    const addCase = (classname: string, name: string, failure?: { message: string; type: string; body: string }, out?: string) => {
      const inner = failure
        ? `\n      <failure message="${xml(failure.message)}" type="${failure.type}">${xml(failure.body)}</failure>\n    `
        : out !== undefined ? `\n      <system-out>${xml(out)}</system-out>\n    ` : '';
      if (failure) suiteFailures++;
      cases.push(`    <testcase classname="loadlens.${scenario}.${classname}" name="${xml(name)}" time="0">${inner}</testcase>`);
    };
    if (s.state.status !== 'completed') {
      addCase('run', 'run completed', { message: `the run ended ${s.state.status}`, type: 'run', body: `${s.state.status} in ${formatDuration(Math.round(s.state.testRunDurationMs))}` });
    }
    for (const t of s.thresholds) {
      const observed = `observed ${formatObserved(t)}`;
      if (t.ok) addCase('thresholds', thresholdName(t), undefined, observed);
      else addCase('thresholds', thresholdName(t), { message: `${observed}; threshold '${t.expression}' failed`, type: 'threshold', body: `${thresholdName(t)}\n${observed}` });
    }
    for (const c of s.checks) {
      const counts = checkFailureText(c.passes, c.fails);
      if (c.fails === 0) addCase('checks', c.name, undefined, `${formatCount(c.passes)} of ${formatCount(c.passes)} passed`);
      else addCase('checks', c.name, { message: counts, type: 'check', body: `check '${c.name}': ${counts}` });
    }
    tests += cases.length;
    failures += suiteFailures;
    time += s.state.testRunDurationMs;
    const props = [['file', s.file], ['model', s.model], ['status', s.state.status]]
      .map(([k, v]) => `      <property name="${k}" value="${xml(v)}"/>`).join('\n');
    return `  <testsuite name="loadlens.${scenario}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="0" time="${seconds(s.state.testRunDurationMs)}">\n` +
      `    <properties>\n${props}\n    </properties>\n${cases.join('\n')}${cases.length ? '\n' : ''}  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="loadlens" tests="${tests}" failures="${failures}" errors="0" time="${seconds(time)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** Text for a Markdown table cell: controls made visible, HTML and Markdown syntax inert. */
function md(text: string): string {
  return escapeControl(text)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1');
}

const HEADLINE = ['rps', 'requests', 'failed', 'p50', 'p95', 'p99', 'max'];

/**
 * A Markdown summary per scenario for CI job pages: the verdict, the headline figures, the
 * thresholds with their observed values, checks with pass counts, errors by kind.
 */
export function summaryMarkdown(summaries: SummaryData[]): string {
  const out: string[] = [];
  for (const s of summaries) {
    const failed = s.thresholds.filter((t) => !t.ok).length;
    const verdict = s.state.status !== 'completed'
      ? `⚠️ ${s.state.status}`
      : failed > 0 ? `❌ ${failed} of ${s.thresholds.length} threshold(s) failed` : s.thresholds.length ? `✅ ${s.thresholds.length} threshold(s) passed` : '✅ completed (no thresholds)';
    out.push(`### Loadlens: ${md(s.scenario)} — ${verdict}`, '');
    out.push(`${md(s.file)} · ${s.model} model · ${s.state.status} in ${formatDuration(Math.round(s.state.testRunDurationMs))}`, '');
    const figures = summaryFigures(s);
    const shown = HEADLINE.map((k) => figures.find((f) => f.key === k)!);
    out.push(`| ${shown.map((f) => f.label).join(' | ')} |`, `|${shown.map(() => '---:').join('|')}|`);
    out.push(`| ${shown.map((f) => (f.value === null ? '–' : formatFigure(f.unit, f.value))).join(' | ')} |`, '');
    if (s.thresholds.length) {
      out.push('| | threshold | observed |', '|---|---|---:|');
      for (const t of s.thresholds) out.push(`| ${t.ok ? '✅' : '❌'} | ${md(thresholdName(t))} | ${md(formatObserved(t))} |`);
      out.push('');
    }
    if (s.checks.length) {
      out.push('| | check | passed | failed |', '|---|---|---:|---:|');
      for (const c of s.checks) out.push(`| ${c.fails === 0 ? '✅' : '❌'} | ${md(c.name)} | ${formatCount(c.passes)} | ${formatCount(c.fails)} |`);
      out.push('');
    }
    const errors = Object.entries(s.errorsByKind).sort((a, b) => b[1] - a[1]).slice(0, 10);
    if (errors.length) {
      out.push('| error kind | count |', '|---|---:|');
      for (const [kind, n] of errors) out.push(`| ${md(kind.replace(/\s+/g, ' ').slice(0, 100))} | ${formatCount(n)} |`);
      out.push('');
    }
  }
  return out.join('\n') + '\n';
}

// `loadlens compare BASE NEW`: reads two run files, prints the deltas (src/report/compare.ts, the
// code the panel's Compare uses) and gates on --fail-on rules: exit 99 when one is broken, 2 when
// a file or a rule is bad.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../protocol';
import { CompareError, CompareInputError, comparisonText, compareRuns, parseRule, parseRunFile, type RunFile } from '../report/compare';
import { escapeControl } from '../text';
import type { CompareCommand } from './args';
import { red } from './terminal';
// Type-only imports there: the constant, not VS Code.
import { DEFAULT_RESULTS_FOLDER as RUNS_FOLDER } from '../extension/settings';

/** The file `arg` names: a path, a saved run's path without `.json`, or a run id under .loadlens/runs/. */
function locate(arg: string): string {
  for (const candidate of [arg, `${arg}.json`, join(RUNS_FOLDER, `${arg}.json`)]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new CompareInputError(`${arg}: no such file (nor ${arg}.json, nor ${join(RUNS_FOLDER, `${arg}.json`)})`);
}

function readRun(arg: string): RunFile {
  const path = locate(arg);
  if (statSync(path).isDirectory()) throw new CompareInputError(`${path}: a folder; give a run file (a --summary-export JSON or .loadlens/runs/<id>.json)`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CompareInputError(`${path}: cannot read it: ${(err as Error).message}`);
  }
  return parseRunFile(text, path);
}

export function compareCommand(command: CompareCommand): number {
  try {
    // Rules first: a typo is reported before any file is read.
    const rules = command.failOn.map(parseRule);
    const comparison = compareRuns(readRun(command.base), readRun(command.new), rules, command.scenario);
    if (command.json) {
      process.stdout.write(JSON.stringify(comparison, null, 2) + '\n');
    } else {
      const color = command.display.color;
      const green = (s: string) => (color ? `\x1b[32m${s}\x1b[0m` : s);
      process.stdout.write(comparisonText(comparison, escapeControl, { ok: green, bad: (s) => red(s, color) }));
    }
    for (const r of comparison.rules.filter((x) => !x.ok)) {
      process.stderr.write(`loadlens compare: rule broken: ${escapeControl(r.text)} (scenario ${escapeControl(r.scenario)})\n`);
    }
    return comparison.ok ? ExitCode.ok : ExitCode.thresholdsFailed;
  } catch (err) {
    if (err instanceof CompareError || err instanceof CompareInputError) {
      process.stderr.write(`loadlens compare: ${escapeControl(err.message)}\n`);
      return ExitCode.badOptions;
    }
    throw err;
  }
}

// Saved runs: one JSON file per scenario run under the results folder (default .loadlens/runs/),
// holding the summary, the per-second series and the endpoints. The one writer and reader of the
// format, shared by the extension and the CLI. Plain Node fs, no vscode: unit-tested directly.

import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SavedRun, RunListItem } from '../view-model/messages';
import { headline } from '../view-model/reducers';
import type { PlanInfo, SummaryData } from '../engine/types';
import type { RunDetails } from './collect';

export type { SavedRun, RunListItem };

/** File name stem of a run: sortable by time, readable, safe on every file system. */
export function runId(startedAt: number, scenario: string): string {
  const time = new Date(startedAt).toISOString().replace(/[:.]/g, '-');
  return `${time}-${scenario.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}

/** A finished scenario run as saved: what `started` and `finished` (with its details) said. */
export function savedRunOf(r: {
  scenario: string; file: string; startedAt: number; plan?: PlanInfo | null; summary: SummaryData; details?: RunDetails;
  /** The series seen live, for a run whose `finished` came without details. */
  series?: SavedRun['series'];
}): SavedRun {
  return {
    id: runId(r.startedAt, r.scenario), scenario: r.scenario, file: r.file, startedAt: r.startedAt, summary: r.summary,
    series: r.details?.series ?? r.series ?? [],
    ...(r.details ? { endpoints: r.details.endpoints } : {}),
    ...(r.plan ? { plan: r.plan } : {}),
  };
}

/** Writes the run (atomically: a reader never sees half a file) and returns its path. */
export function saveRun(folder: string, run: SavedRun): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${run.id}.json`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(run));
  renameSync(tmp, path);
  return path;
}

/** The CLI's folder for saved runs, relative to the current folder (the extension's default too). */
export const DEFAULT_RUNS_FOLDER = '.loadlens/runs';

export function isSavedRun(value: unknown): value is SavedRun {
  const v = value as SavedRun;
  return !!v && typeof v === 'object' && typeof v.id === 'string' && typeof v.scenario === 'string'
    && typeof v.startedAt === 'number' && !!v.summary && typeof v.summary === 'object' && Array.isArray(v.series);
}

/** Reads one run; throws an Error naming the file when it is missing or not a Loadlens run. */
export function loadRun(folder: string, id: string): SavedRun {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`Not a run id: '${id}'`);
  const path = join(folder, `${id}.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read saved run ${path}: ${(err as Error).message}`);
  }
  if (!isSavedRun(parsed)) throw new Error(`${path} is not a Loadlens run (expected id, scenario, startedAt, summary, series)`);
  return parsed;
}

export function runListItemOf(run: SavedRun): RunListItem {
  const { p99, rps } = headline(run.summary);
  return {
    id: run.id,
    scenario: run.scenario,
    file: run.file,
    startedAt: run.startedAt,
    status: run.summary.state.status,
    p99,
    rps,
    thresholdsOk: run.summary.thresholds.every((t) => t.ok),
  };
}

/** The saved runs, newest first. Files that are not runs (or half-written) are skipped. */
export function listRuns(folder: string): RunListItem[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const items: RunListItem[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      items.push(runListItemOf(loadRun(folder, name.slice(0, -'.json'.length))));
    } catch {
      // Not ours or unreadable: the Runs view lists what it can.
    }
  }
  return items.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1));
}

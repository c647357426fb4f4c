// Reads the runs `loadlens report` turns into HTML: a saved run (.loadlens/runs/<id>.json, by
// path or id) or an --out file (JSON lines: start, intervals, summary per scenario), replayed
// through the engine's aggregate and the details collector exactly as the runner did live.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunAggregate } from '../engine/aggregate';
import type { IntervalData, SummaryData } from '../engine/types';
import type { OutRecord, PlanInfo } from '../protocol';
import type { SavedRun } from '../view-model/messages';
import { DetailsCollector } from './collect';
import { isSavedRun, savedRunOf } from './saved-runs';

/** A report input that is missing, unreadable or not a Loadlens run: a usage error naming it. */
export class ReportInputError extends Error {
  override name = 'ReportInputError';
}

interface Replay {
  start: Extract<OutRecord, { type: 'start' }>;
  aggregate: RunAggregate;
  details: DetailsCollector;
  lastEndMs: number;
  summary?: SummaryData;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPlan(v: unknown): v is PlanInfo {
  return isObject(v) && (v.model === 'open' || v.model === 'closed') && typeof v.plannedMs === 'number';
}

function isInterval(v: unknown): v is IntervalData {
  return isObject(v) && typeof v.index === 'number' && typeof v.startMs === 'number' && typeof v.endMs === 'number'
    && Array.isArray(v.series) && typeof v.iterationsDue === 'number' && isObject(v.errors);
}

/** The runs of an --out file, in the order they started. Throws ReportInputError at the first bad line. */
export function runsOfOutFile(path: string, text: string): SavedRun[] {
  const replays = new Map<string, Replay>();
  const order: Replay[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch (err) {
      throw new ReportInputError(`${where}: not JSON (${(err as Error).message}); expected a Loadlens --out file or a saved run`);
    }
    if (!isObject(r) || typeof r.scenario !== 'string') throw new ReportInputError(`${where}: not a Loadlens --out record (expected "type" and "scenario")`);
    const scenario = r.scenario;
    if (r.type === 'start') {
      if (!isPlan(r.plan) || typeof r.startedAt !== 'number' || typeof r.file !== 'string') throw new ReportInputError(`${where}: a "start" record without plan, file and startedAt`);
      const start = r as unknown as Replay['start'];
      const replay: Replay = {
        start, details: new DetailsCollector(), lastEndMs: 0,
        aggregate: new RunAggregate({ scenario, file: start.file, model: start.plan.model, plannedMs: start.plan.plannedMs }),
      };
      replays.set(scenario, replay);
      order.push(replay);
      return;
    }
    const replay = replays.get(scenario);
    if (replay === undefined) throw new ReportInputError(`${where}: a "${String(r.type)}" record of scenario "${scenario}" before its "start" record`);
    if (r.type === 'interval') {
      if (!isInterval(r.interval)) throw new ReportInputError(`${where}: an "interval" record without a valid interval`);
      replay.aggregate.add(r.interval);
      replay.details.add(r.interval, replay.aggregate.live());
      replay.lastEndMs = Math.max(replay.lastEndMs, r.interval.endMs);
    } else if (r.type === 'summary') {
      if (!isObject(r.summary) || !isObject(r.summary.metrics)) throw new ReportInputError(`${where}: a "summary" record without a summary`);
      replay.summary = r.summary as unknown as SummaryData;
    } else {
      throw new ReportInputError(`${where}: unknown record type "${String(r.type)}"`);
    }
  });
  if (order.length === 0) throw new ReportInputError(`${path}: no "start" record: not a Loadlens --out file`);
  return order.map((r) => savedRunOf({
    scenario: r.start.scenario, file: r.start.file, startedAt: r.start.startedAt, plan: r.start.plan,
    // A run killed before its summary: summarised from its intervals, marked incomplete.
    summary: r.summary ?? r.aggregate.summary('incomplete', r.lastEndMs),
    details: r.details.details(),
  }));
}

/**
 * The runs named by `arg`: a saved run file (.json), an --out file (JSON lines), or the id of a
 * run saved under `runsFolder`.
 */
export function loadReportInput(arg: string, runsFolder: string): SavedRun[] {
  let path = arg;
  if (!existsSync(path)) {
    const byId = join(runsFolder, `${arg}.json`);
    if (/^[A-Za-z0-9_.-]+$/.test(arg) && existsSync(byId)) path = byId;
    else throw new ReportInputError(`${arg}: no such file, and no saved run with that id in ${runsFolder}`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ReportInputError(`${path}: cannot read it: ${(err as Error).message}`);
  }
  // A saved run is one JSON object; an --out file is one object per line.
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    return runsOfOutFile(path, text);
  }
  if (isSavedRun(whole)) return [whole];
  if (isObject(whole) && whole.type === 'start') return runsOfOutFile(path, text);
  throw new ReportInputError(`${path} is not a Loadlens run: expected a saved run (id, scenario, startedAt, summary, series) or an --out file (JSON lines)`);
}

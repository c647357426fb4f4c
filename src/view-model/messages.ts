// The extension ⇄ panel contract. Imported by both sides (webview/main.ts and src/extension/*),
// so it holds types only. The page sends `ready` once it listens; the host then sends state
// (GitLens' handshake): messages posted before `ready` or while the panel is hidden are lost,
// so the host queues them and replays after `ready`.

import type { FromRunner } from '../protocol';
import type { SummaryData } from '../engine/types';
import type { PanelState, SeriesPoint } from './reducers';

/** A run as saved under the results folder (default .loadlens/runs/<id>.json). */
export interface SavedRun {
  /** File name stem, unique per run, e.g. '2026-05-01T10-00-00-000Z-browse'. */
  id: string;
  scenario: string;
  file: string;
  /** Epoch ms. */
  startedAt: number;
  summary: SummaryData;
  /** One point per second (or per bucket for long runs): build it with `seriesPointOf`. */
  series: SeriesPoint[];
}

/** One row of the Runs list: a saved run without its series. */
export interface RunListItem {
  id: string;
  scenario: string;
  file: string;
  startedAt: number;
  status: SummaryData['state']['status'];
  p99: number | null;
  rps: number | null;
  thresholdsOk: boolean;
}

/** Host → page. */
export type ToPanel =
  /** A live runner message, forwarded as received. A `started` begins a new run view. */
  | { type: 'runner'; message: FromRunner }
  /** State kept by the serializer across a window reload (the page's own getState wins when present). */
  | { type: 'restore'; state: PanelState }
  /** Past runs, newest first. */
  | { type: 'history'; runs: RunListItem[] }
  /** Reopen one past run. */
  | { type: 'open'; run: SavedRun }
  /** Two past runs side by side: overlaid latency curves and a table of deltas. */
  | { type: 'compare'; a: SavedRun; b: SavedRun };

/** Page → host. */
export type FromPanel =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'runAgain' }
  | { type: 'export' }
  | { type: 'openRun'; id: string }
  | { type: 'compareRuns'; a: string; b: string }
  /** After each render: what the page shows, for tests (LOADLENS_E2E_OUT) and nothing else. */
  | {
      type: 'rendered';
      mode: PanelState['mode'];
      scenario: string | null;
      points: number;
      rps: number | null;
      p99: number | null;
      requests: number | null;
      paintedCharts: number;
    };

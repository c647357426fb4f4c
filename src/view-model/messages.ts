// The extension ⇄ panel contract. Imported by both sides (webview/main.ts and src/extension/*),
// so it holds types only. The page sends `ready` once it listens; the host then sends state
// (GitLens' handshake): messages posted before `ready` or while the panel is hidden are lost,
// so the host queues them and replays after `ready`.

import type { FromRunner } from '../protocol';
import type { PlanInfo, SummaryData } from '../engine/types';
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
  /** Per endpoint (method and `name` tag), busiest first (absent in runs saved before reports). */
  endpoints?: EndpointStats[];
  plan?: PlanInfo;
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
  /** After each render: what the page shows, for tests (the test-hook API, src/extension/test-hooks.ts) and nothing else. */
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

export type Phase = 'blocked' | 'connecting' | 'tls' | 'sending' | 'waiting' | 'receiving';

/** One endpoint (method and `name` tag) over the whole run. Times in ms. */
export interface EndpointStats {
  method: string;
  name: string;
  requests: number;
  /** Failed requests (http_req_failed: network errors and status >= 400). */
  failed: number;
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Sum of http_req_duration: its share of the total says where the time went. */
  totalMs: number;
  /** Mean time per request in each phase. */
  phases: Record<Phase, number>;
}

/** A run's details beyond the summary: what saved runs and reports keep. */
export interface RunDetails {
  series: SeriesPoint[];
  bucket: number;
  endpoints: EndpointStats[];
}

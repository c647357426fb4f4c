// The --out file: JSON lines (protocol OutRecord), one record per one-second interval, then the
// summary. Each record is written with a synchronous write as it happens, so a run killed with
// SIGKILL still leaves every finished interval as a complete line.

import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportSummary } from '../engine/aggregate';
import type { SummaryData } from '../engine/types';
import type { OutRecord } from '../protocol';

export class OutFile {
  private fd: number | undefined;

  /** `append`: add to the file as it is (a supervisor closing the file of a runner it stopped). */
  constructor(readonly path: string, append = false) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, append ? 'a' : 'w');
  }

  write(record: OutRecord): void {
    if (this.fd === undefined) return;
    // One write per record: a line is either all there or not at all (up to the kernel's page cache).
    writeSync(this.fd, JSON.stringify(record) + '\n');
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The --summary-export file: k6's summary layout for one scenario, that layout per name for several. */
export function writeSummaryExport(path: string, summaries: SummaryData[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const body =
    summaries.length === 1
      ? exportSummary(summaries[0])
      : { scenarios: Object.fromEntries(summaries.map((s) => [s.scenario, exportSummary(s)])) };
  writeFileSync(path, JSON.stringify(body, null, 2) + '\n');
}

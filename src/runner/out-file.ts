// The --out file: JSON lines (protocol OutRecord), one record per one-second interval, then the
// summary. Each record is written with a synchronous write as it happens, so a run killed with
// SIGKILL still leaves every finished interval as a complete line.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OutRecord } from '../protocol';

export class OutFile {
  private fd: number | undefined;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
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

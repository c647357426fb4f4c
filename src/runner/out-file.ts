// The one owner of every file a run writes (--out, --summary-export, and the report paths to
// come), and of the RunOutput interface every --out destination implements (JSON lines here,
// Prometheus remote write in prometheus.ts). Each output is created and opened before the scenario file is even bundled, so a bad
// path is a usage error (exit 2) before the first request, never a surprise after the load.
// Once open, nothing about an output can fail the run: a write that fails (disk full, I/O error)
// is reported once and the rest of that file's writes are dropped; the exit code stays the
// verdict's. Writes are synchronous: a run killed with SIGKILL still leaves every finished --out
// record as a complete line.
//
// Parent folders are created one at a time, never with Node's `mkdirSync(..., { recursive: true })`:
// on Node 20 that loops forever (at full CPU) on a path like /proc/x/summary.json, where mkdir
// answers ENOENT although the parent exists.

import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { exportSummary } from '../engine/aggregate';
import type { SummaryData } from '../engine/types';
import type { OutRecord, RunRequest } from '../protocol';
import { junitXml, summaryMarkdown } from '../report/ci';

/** An output path that cannot be written: a usage error, reported before the run starts. */
export class OutputPathError extends Error {
  override name = 'OutputPathError';
  constructor(
    /** The option that named it, e.g. '--summary-export'. */
    readonly flag: string,
    readonly path: string,
    reason: string,
  ) {
    super(`${flag} ${path}: ${reason}`);
  }
}

/** An output to open: the option that named it (for messages) and its path. */
export interface OutputTarget {
  flag: string;
  path: string;
  /** Add to the end of what the file holds instead of replacing it ($GITHUB_STEP_SUMMARY). */
  append?: boolean;
}

/** Reports a problem with an output once the run is under way (it never changes the exit code). */
export type OutputProblem = (message: string) => void;

/** Node's error code and its short description, e.g. 'EACCES: permission denied'. */
function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  ENXIO: 'it is a FIFO that no process is reading',
  EIO: 'I/O error',
  EFBIG: 'file too large',
};

function why(err: unknown): string {
  const code = codeOf(err);
  const reason = code ? REASONS[code] : undefined;
  if (reason) return `${reason} (${code})`;
  return err instanceof Error ? err.message : String(err);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    // ENOENT: missing. ENOTDIR: an ancestor is a file, found while walking up.
    if (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

const encoder = new TextEncoder();

/** The most folders a path may need created (a bound for the walk up, far above any real path). */
const MAX_DEPTH = 1024;

/**
 * Creates `dir` and its missing parents, one mkdir per level from the first existing ancestor
 * down. Throws OutputPathError naming the folder that could not be created and why.
 */
function ensureFolder(flag: string, path: string, dir: string): void {
  const missing: string[] = [];
  let d = dir;
  for (let i = 0; ; i++) {
    if (i > MAX_DEPTH) throw new OutputPathError(flag, path, 'the path is too deep');
    let st: Stats | undefined;
    try {
      st = statOrUndefined(d);
    } catch (err) {
      throw new OutputPathError(flag, path, `cannot look at ${d}: ${why(err)}`);
    }
    if (st) {
      if (!st.isDirectory()) throw new OutputPathError(flag, path, `${d} is a file, not a folder`);
      break;
    }
    missing.push(d);
    const up = dirname(d);
    if (up === d) throw new OutputPathError(flag, path, `the root ${d} does not exist`);
    d = up;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (err) {
      // Created meanwhile by someone else: fine if it is a folder.
      if (codeOf(err) === 'EEXIST' && statOrUndefined(m)?.isDirectory()) continue;
      // ENOENT although the parent exists: the file system (e.g. /proc) allows no new folder there.
      const reason = codeOf(err) === 'ENOENT' ? `this file system does not allow creating folders in ${dirname(m)}` : why(err);
      throw new OutputPathError(flag, path, `cannot create the folder ${m}: ${reason}`);
    }
  }
}

/**
 * One output file, open from before the run to its end. Opening does not truncate: the old
 * content is replaced by the first write (a run that fails before writing anything leaves an
 * existing file as it was, and removes a file it created).
 */
export class OutputFile {
  private fd: number | undefined;
  private written = false;
  private failed = false;
  private readonly regular: boolean;

  private constructor(
    readonly flag: string,
    readonly path: string,
    fd: number,
    /** True when opening created the file. */
    private readonly created: boolean,
    private readonly problem: OutputProblem,
    private readonly appending = false,
  ) {
    this.fd = fd;
    this.regular = fstatSync(fd).isFile();
    if (created) process.on('exit', this.onExit);
  }

  /** The process ends without close() (a second Ctrl-C): no empty file left behind. */
  private readonly onExit = (): void => {
    if (this.written) return;
    try {
      unlinkSync(this.path);
    } catch {
      // Nothing more to do on the way out.
    }
  };

  /** Creates the missing parent folders and opens `path` for writing. Throws OutputPathError. */
  static open(target: OutputTarget, problem: OutputProblem): OutputFile {
    const { flag } = target;
    const path = resolve(target.path);
    ensureFolder(flag, path, dirname(path));
    let before: Stats | undefined;
    try {
      before = statOrUndefined(path);
    } catch (err) {
      throw new OutputPathError(flag, path, why(err));
    }
    if (before?.isDirectory()) throw new OutputPathError(flag, path, 'it is a folder, not a file');
    // A FIFO nobody reads would block open() for ever: non-blocking, it fails with ENXIO instead.
    const fifo = before?.isFIFO() === true && constants.O_NONBLOCK !== undefined;
    const flags = constants.O_WRONLY | constants.O_CREAT | (target.append ? constants.O_APPEND : 0);
    let fd: number;
    try {
      if (fifo) {
        const probe = openSync(path, flags | constants.O_NONBLOCK);
        // A reader is there: reopen blocking (it will not block now) before closing the probe,
        // so the reader never sees the writer count drop to zero (an early end of file).
        try {
          fd = openSync(path, flags);
        } finally {
          closeSync(probe);
        }
      } else {
        fd = openSync(path, flags, 0o666);
      }
    } catch (err) {
      throw new OutputPathError(flag, path, `cannot open it for writing: ${why(err)}`);
    }
    return new OutputFile(flag, path, fd, before === undefined, problem, target.append);
  }

  /**
   * Opens an output the run's own thread opened and wrote to, to add its last records (a
   * supervisor closing the --out of a runner it had to stop): no truncation, nothing removed.
   */
  static append(target: OutputTarget, problem: OutputProblem): OutputFile | undefined {
    const path = resolve(target.path);
    try {
      const f = new OutputFile(target.flag, path, openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o666), false, problem);
      f.written = true;
      return f;
    } catch (err) {
      problem(`${target.flag} ${path}: could not reopen it to add the summary: ${why(err)} (the exit code is still the run's verdict)`);
      return undefined;
    }
  }

  /** Appends `text`. Never throws: the first failure is reported and later writes are dropped. */
  write(text: string): void {
    if (this.fd === undefined || this.failed) return;
    try {
      // The first write replaces what the file held before this run.
      if (!this.written && this.regular && !this.appending) ftruncateSync(this.fd, 0);
      this.written = true;
      const data = encoder.encode(text);
      // One write per record: a line is either all there or not at all (up to the page cache).
      // writeSync may write less than asked (a pipe, a signal): finish it, a bounded number of times.
      let offset = 0;
      for (let tries = 0; offset < data.length; tries++) {
        if (tries > 1000) throw new Error('the file accepts no more data');
        offset += writeSync(this.fd, data, offset, data.length - offset);
      }
    } catch (err) {
      this.failed = true;
      this.problem(`${this.flag} ${this.path}: could not write: ${why(err)}; the rest of this file is lost (the exit code is still the run's verdict)`);
    }
  }

  /**
   * Closes the file. A file this run created and never wrote is removed. A file deleted during
   * the run (its folder removed, say) is reported: the data went nowhere anyone can read.
   */
  close(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    process.off('exit', this.onExit);
    let deleted = false;
    try {
      deleted = this.regular && fstatSync(fd).nlink === 0;
    } catch {
      // Nothing to learn: closing is what matters.
    }
    try {
      closeSync(fd);
    } catch (err) {
      if (!this.failed) this.problem(`${this.flag} ${this.path}: could not close: ${why(err)} (the exit code is still the run's verdict)`);
      this.failed = true;
    }
    if (deleted && this.written && !this.failed) {
      this.problem(`${this.flag} ${this.path}: the file was deleted during the run, so what was written to it is lost (the exit code is still the run's verdict)`);
    } else if (!this.written && this.created && !deleted) {
      try {
        unlinkSync(this.path);
      } catch {
        // Left empty: harmless.
      }
    }
  }
}

/**
 * One `--out` destination: gets every record of the run as it happens (start, one interval a
 * second, summary). write() never throws and never waits; close() delivers what is left within
 * a bound of its own and reports problems itself: no output can slow the run or change its exit code.
 */
export interface RunOutput {
  write(record: OutRecord): void;
  close(): Promise<void>;
}

/** `--out PATH` / `--out json=PATH`: the records as JSON lines in a file opened by Outputs. */
export class JsonLinesOutput implements RunOutput {
  constructor(private readonly file: OutputFile) {}

  write(record: OutRecord): void {
    this.file.write(outRecord(record));
  }

  async close(): Promise<void> {
    // The file is closed with the other outputs (Outputs.close).
  }
}

/** The open outputs of one run, by flag (an option given several times opens several files). */
export class Outputs {
  private constructor(private readonly files: Array<[string, OutputFile]>) {}

  /**
   * Opens every target (in order) before the run; on the first failure closes the ones already
   * open and throws OutputPathError. Two options naming one file are an error too.
   */
  static open(targets: OutputTarget[], problem: OutputProblem): Outputs {
    const files: Array<[string, OutputFile]> = [];
    try {
      const seen = new Map<string, string>();
      for (const t of targets) {
        const path = resolve(t.path);
        const other = seen.get(path);
        if (other !== undefined) throw new OutputPathError(t.flag, path, `${other} writes the same file`);
        seen.set(path, t.flag);
        files.push([t.flag, OutputFile.open(t, problem)]);
      }
    } catch (err) {
      for (const [, f] of files) f.close();
      throw err;
    }
    return new Outputs(files);
  }

  /** The output the option opened, if it was given (the first one, if given several times). */
  get(flag: string): OutputFile | undefined {
    return this.files.find(([f]) => f === flag)?.[1];
  }

  /** Every output the option opened, in order. */
  all(flag: string): OutputFile[] {
    return this.files.filter(([f]) => f === flag).map(([, file]) => file);
  }

  close(): void {
    for (const [, f] of this.files) f.close();
  }
}

/**
 * The --summary-export file's content: k6's summary layout for one scenario alone; for a mix,
 * that layout per name under `scenarios` and the totals under `total`.
 */
export function summaryExportText(summaries: SummaryData[], total?: SummaryData): string {
  const body =
    summaries.length === 1 && total === undefined
      ? exportSummary(summaries[0])
      : {
          scenarios: Object.fromEntries(summaries.map((s) => [s.scenario, exportSummary(s)])),
          ...(total !== undefined ? { total: exportSummary(total) } : {}),
        };
  return JSON.stringify(body, null, 2) + '\n';
}

/** A file written once, at the end, from the run's summaries. */
export interface EndOfRunFile extends OutputTarget {
  /** `total`: a workload mix's totals, when several scenarios ran together. */
  text(summaries: SummaryData[], total?: SummaryData): string;
}

/**
 * The files a request asks for that are written from the summaries at the end, by option: the
 * runner writes them after the last scenario, the host when it had to end the run itself.
 */
export function endOfRunFiles(request: RunRequest): EndOfRunFile[] {
  const files: EndOfRunFile[] = [];
  if (request.summaryExportPath) files.push({ flag: '--summary-export', path: request.summaryExportPath, text: summaryExportText });
  if (request.junitPath) files.push({ flag: '--junit', path: request.junitPath, text: junitXml });
  // The step summary holds every step's Markdown: ours is added to it. --summary-md naming that
  // same file writes it once, appended too (replacing it would lose the earlier steps').
  const step = request.stepSummaryPath;
  const mdIsStep = step !== undefined && request.summaryMdPath !== undefined && resolve(request.summaryMdPath) === resolve(step);
  if (request.summaryMdPath) files.push({ flag: '--summary-md', path: request.summaryMdPath, append: mdIsStep, text: summaryMarkdown });
  if (step && !mdIsStep) files.push({ flag: '$GITHUB_STEP_SUMMARY', path: step, append: true, text: summaryMarkdown });
  return files;
}

/** One --out line: a protocol OutRecord as JSON, newline-terminated (one write per record). */
export function outRecord(record: OutRecord): string {
  return JSON.stringify(record) + '\n';
}

// Test data: CSV and JSON files a scenario reads in its init code (the file's top level), once
// per process, never once per VU: every VU of the process shares the same frozen rows. The
// rows come with the ways load tests hand them out (Gatling's feeders, k6's
// `data[iterationInTest % data.length]`): a row unique to each iteration across the whole run
// (across --workers and agents too: the iteration index is global, see the executors), a row per
// VU, cycling or random.

import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseCsv, CsvError } from 'csv-parse/sync';
import { OptionsError } from './errors';
import type { IterationContext } from './types';

/** A data file that is missing or malformed: reported before any load, naming the file. */
export class DataFileError extends OptionsError {
  override name = 'DataFileError';
  constructor(readonly file: string, readonly line: number | undefined, why: string) {
    super(`data file ${file}`, file, why);
    this.message = `${file}${line === undefined ? '' : `:${line}`}: ${why}`;
  }
}

/** Asked for more unique rows than the file has. */
export class DataExhaustedError extends Error {
  override name = 'DataExhaustedError';
}

/**
 * Rows of a data file, read-only: `rows[i]`, `rows.length`, `for (const row of rows)`, plus ways
 * to pick a row in an iteration.
 */
export interface DataRows<T> extends Iterable<T> {
  readonly [index: number]: T;
  readonly length: number;
  /**
   * The row of this iteration, unique across the whole run (every VU, worker process and agent):
   * row `ctx.vu.iterationInScenario`. Throws (failing the iteration) once the rows run out.
   */
  unique(ctx: IterationContext<unknown>): T;
  /** Like unique(), wrapping around to the first row when the rows run out. */
  cycle(ctx: IterationContext<unknown>): T;
  /** The same row for every iteration of a VU: row `(vu.id - 1) % length`. */
  perVU(ctx: IterationContext<unknown>): T;
  /** A random row. */
  random(): T;
}

export interface CsvOptions {
  /** Field separator (default ','). */
  delimiter?: string;
}

/** The folder of the scenario file being loaded: relative data paths resolve against it. */
let loadingFolder: string | null = null;

/**
 * @internal Runs `load` (a scenario module's top level) with `folder` as the base of relative
 * data file paths. Data files can only be read while a scenario file loads.
 */
export function withDataFolder<T>(folder: string, load: () => T): T {
  const outer = loadingFolder;
  loadingFolder = folder;
  try {
    return load();
  } finally {
    loadingFolder = outer;
  }
}

/** Parsed files of this process, by path and kind: a module loaded twice reads its data once. */
const cache = new Map<string, { stamp: string; rows: DataRows<unknown> }>();

function load<T>(call: string, path: string, parse: (bytes: Buffer, file: string) => DataRows<T>): DataRows<T> {
  if (typeof path !== 'string' || path === '') throw new OptionsError(`${call} path`, path, 'the path of a data file, relative to the scenario file');
  if (loadingFolder === null) {
    throw new Error(`${call}('${path}'): read data files at the top level of the scenario file (its init code), where they are read once per process and shared by every VU; not inside iteration(), setup() or a callback`);
  }
  const file = isAbsolute(path) ? path : resolve(loadingFolder, path);
  let stamp: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new DataFileError(file, undefined, 'is not a file');
    stamp = `${st.size}:${st.mtimeMs}`;
  } catch (err) {
    if (err instanceof DataFileError) throw err;
    throw new DataFileError(file, undefined, (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such file (${call}('${path}') resolves it against the scenario's folder)` : (err as Error).message);
  }
  const key = `${call}\0${file}`;
  const hit = cache.get(key);
  if (hit && hit.stamp === stamp) return hit.rows as DataRows<T>;
  const rows = parse(readFileSync(file), file);
  cache.set(key, { stamp, rows });
  return rows;
}

/** Row access shared by both kinds of files: `get(i)` for 0 <= i < length. */
function dataRows<T>(file: string, length: number, get: (i: number) => T): DataRows<T> {
  const at = (i: number): T => {
    if (length === 0) throw new DataExhaustedError(`${file} has no rows`);
    return get(i);
  };
  const methods = {
    length,
    unique(ctx: IterationContext<unknown>): T {
      const i = ctx.vu.iterationInScenario;
      if (i >= length) throw new DataExhaustedError(`${file}: iteration ${i} needs a unique row, but the file has ${length}; use cycle() to wrap around, or plan at most ${length} iterations`);
      return at(i);
    },
    cycle: (ctx: IterationContext<unknown>): T => at(length && ctx.vu.iterationInScenario % length),
    perVU: (ctx: IterationContext<unknown>): T => at(length && (ctx.vu.id - 1) % length),
    random: (): T => at(Math.floor(Math.random() * length)),
    *[Symbol.iterator](): Iterator<T> {
      for (let i = 0; i < length; i++) yield get(i);
    },
  };
  // rows[i], as on an array (k6 users write data[i % data.length]).
  return new Proxy(Object.freeze(methods), {
    get(target, key, receiver) {
      if (typeof key === 'string') {
        const i = Number(key);
        if (Number.isInteger(i) && String(i) === key) return i >= 0 && i < length ? get(i) : undefined;
      }
      return Reflect.get(target, key, receiver);
    },
  }) as unknown as DataRows<T>;
}

/**
 * A CSV file's fields, stored compactly: per chunk of rows one string of all their fields and
 * the end offset of each field, instead of an object per row (~6x the file's size in V8 for a
 * 100 MB file, measured: bench/data-memory.mjs). A row is built when it is read: a fresh object,
 * so an iteration that changes it changes nothing shared.
 */
class CsvColumns {
  private static readonly CHUNK = 4096;
  private readonly texts: string[] = [];
  private readonly ends: Uint32Array[] = [];
  private parts: string[] = [];
  private offsets: number[] = [];
  private at = 0;
  length = 0;

  constructor(readonly names: string[]) {}

  add(fields: string[]): void {
    for (const f of fields) {
      this.parts.push(f);
      this.at += f.length;
      this.offsets.push(this.at);
    }
    if (++this.length % CsvColumns.CHUNK === 0) this.seal();
  }

  /** Ends the chunk being filled. */
  seal(): void {
    if (this.parts.length === 0) return;
    this.texts.push(this.parts.join(''));
    this.ends.push(Uint32Array.from(this.offsets));
    this.parts = [];
    this.offsets = [];
    this.at = 0;
  }

  row(i: number): Record<string, string> {
    const chunk = Math.floor(i / CsvColumns.CHUNK);
    const text = this.texts[chunk];
    const ends = this.ends[chunk];
    const n = this.names.length;
    let k = (i - chunk * CsvColumns.CHUNK) * n;
    let start = k === 0 ? 0 : ends[k - 1];
    const row: Record<string, string> = {};
    for (let c = 0; c < n; c++, k++) {
      row[this.names[c]] = text.slice(start, ends[k]);
      start = ends[k];
    }
    return row;
  }
}

/**
 * Reads a CSV file with a header row into objects keyed by the header (values are strings;
 * quoted fields, embedded separators, quotes and newlines as in RFC 4180). Call it at the top
 * level of the scenario file; `path` is relative to the scenario file.
 *
 *   const users = csv<{ username: string; password: string }>('users.csv');
 *   ... iteration({ http, ...ctx }) { const user = users.unique(ctx); ... }
 */
export function csv<T extends Record<string, string> = Record<string, string>>(path: string, options: CsvOptions = {}): DataRows<T> {
  return load<T>('csv', path, (bytes, file) => {
    let columns: CsvColumns | undefined;
    try {
      parseCsv(bytes, {
        delimiter: options.delimiter ?? ',',
        bom: true,
        skip_empty_lines: true,
        // Each record goes straight into the compact store; csv-parse keeps none of them.
        on_record: (fields: string[], context: { lines: number }) => {
          if (columns) columns.add(fields);
          else columns = new CsvColumns(headerOf(fields, file, context.lines));
          return null;
        },
      });
    } catch (err) {
      if (err instanceof CsvError) {
        const line = (err as CsvError & { lines?: number }).lines;
        throw new DataFileError(file, line, err.message.replace(/^Invalid Record Length: expect (\d+), got (\d+).*$/, 'a row with the wrong number of fields: $2 instead of $1').replace(/,? at line \d+\.?$/, ''));
      }
      throw err;
    }
    if (!columns) throw new DataFileError(file, undefined, 'is empty: expected a header row naming the columns');
    const store = columns;
    store.seal();
    return dataRows(file, store.length, (i) => store.row(i) as T);
  });
}

function headerOf(fields: string[], file: string, line: number): string[] {
  const seen = new Set<string>();
  for (const f of fields) {
    if (f === '') throw new DataFileError(file, line, 'the header row has an empty column name');
    if (seen.has(f)) throw new DataFileError(file, line, `the header row names the column "${f}" twice`);
    seen.add(f);
  }
  return fields;
}

/**
 * Reads a JSON file whose top level is an array (each element is a row). Call it at the top
 * level of the scenario file; `path` is relative to the scenario file.
 */
export function json<T = unknown>(path: string): DataRows<T> {
  return load<T>('json', path, (bytes, file) => {
    const text = bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // V8 names a position for most syntax errors (Node 22+ also the line); not for all.
      const message = (err as Error).message;
      const position = /position (\d+)/.exec(message);
      const lineOf = /\(line (\d+) column \d+\)/.exec(message);
      const line = lineOf ? Number(lineOf[1]) : position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
      throw new DataFileError(file, line, `not valid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(value)) throw new DataFileError(file, undefined, `expected a JSON array of rows at the top level, got ${value === null ? 'null' : typeof value}`);
    const rows = Object.freeze(value.map((row) => (typeof row === 'object' && row !== null ? Object.freeze(row) : row))) as T[];
    return dataRows(file, rows.length, (i) => rows[i]);
  });
}

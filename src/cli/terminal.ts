// Renders the runner's messages in a terminal: a live line on stderr (rewritten in place on a
// TTY, one line every few seconds otherwise), errors with their location, and the summary on
// stdout at the end of each scenario. Text from the scenario, the server or the runner is
// escaped (src/text.ts) before it is written: only our own colours reach the terminal raw.

import { relative } from 'node:path';
import type { FromRunner, SourceLocation } from '../protocol';
import type { SummaryData } from '../engine/types';
import { formatLiveLine, formatSummary } from '../presentation/summary-text';
import { noResponseWarning } from '../engine/no-response';
import { escapeControl, escapeControlLines } from '../text';
import type { DisplayOptions } from './args';

/** Non-TTY output (CI logs) gets a live line this often instead of every second. */
const PLAIN_LIVE_EVERY_MS = 5000;

const ansi = (code: string) => (text: string, on: boolean) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = ansi('1');
export const red = ansi('31');
export const dim = ansi('2');
export const cyan = ansi('36');

/** A path relative to the working directory when it lies inside it (reads better), else as is; escaped. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return escapeControl(rel && !rel.startsWith('..') ? rel : file);
}

export function where(loc: SourceLocation | undefined): string {
  return loc ? `${displayPath(loc.file)}:${loc.line}:${loc.column}` : '';
}

export class TerminalReporter {
  /** The exit code the runner announced in its last message. */
  exitCode: number | undefined;
  private liveShown = false;
  private lastPlainLive = 0;
  /** The last live line carried the "no response" warning. */
  private stallShown = false;

  constructor(
    private readonly display: DisplayOptions,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {}

  private get tty(): boolean {
    return Boolean(this.err.isTTY);
  }

  /** Summaries not printed yet (see 'finished'). */
  private summaries: SummaryData[] = [];

  /** Prints the summaries held so far (the run ended, with or without its `done`). */
  printSummaries(): void {
    for (const s of this.summaries) this.line(this.out, formatSummary(s, { color: this.display.color }));
    this.summaries = [];
  }

  /** Erases the in-place live line so other output starts on a clean line. */
  clearLive(): void {
    if (this.liveShown && this.tty) this.err.write('\r\x1b[K');
    this.liveShown = false;
  }

  private line(stream: NodeJS.WriteStream, text: string): void {
    this.clearLive();
    stream.write(text + '\n');
  }

  handle(m: FromRunner): void {
    const color = this.display.color;
    switch (m.type) {
      case 'started':
        if (!this.display.quiet) {
          this.line(this.err, `${bold('▶ ' + escapeControl(m.scenario), color)}  ${escapeControl(m.plan.shape)}  ${dim(displayPath(m.file), color)}`);
        }
        break;
      case 'progress': {
        if (this.display.quiet) break;
        const text = formatLiveLine(m.progress.live);
        // A target that stops answering is said at once in CI logs too, not at the next 5 s line.
        const stalled = noResponseWarning(m.progress.live) !== undefined;
        const stallBegins = stalled && !this.stallShown;
        this.stallShown = stalled;
        if (this.tty) {
          this.err.write('\r\x1b[K' + text);
          this.liveShown = true;
        } else if (stallBegins || Date.now() - this.lastPlainLive >= PLAIN_LIVE_EVERY_MS) {
          this.lastPlainLive = Date.now();
          this.err.write(text + '\n');
        }
        break;
      }
      case 'thresholds':
        break;
      case 'log':
        if (m.level === 'info' && this.display.quiet) break;
        this.line(this.err, m.level === 'info' ? escapeControlLines(m.message) : `${m.level}: ${escapeControlLines(m.message)}`);
        break;
      case 'error': {
        // A compile message starts with its own file:line:col.
        const loc = m.kind === 'compile' ? '' : where(m.location);
        const count = m.count && m.count > 1 ? ` (${m.count} times so far)` : '';
        const head = `${red('✗', color)} ${m.kind} error${m.scenario ? ` in ${escapeControl(m.scenario)}` : ''}${loc ? ` at ${loc}` : ''}${count}`;
        // The stack's first line repeats the message: show its frames only.
        const frames = (m.stack ?? '').split('\n').filter((l) => l.trim().startsWith('at '));
        const stack = frames.length ? '\n' + indent(frames.map((f) => escapeControl(f.trim())).join('\n')) : '';
        // Paths relative to the working directory read better in a terminal.
        const raw = escapeControlLines(m.message);
        const message = m.location ? raw.split(escapeControl(m.location.file)).join(displayPath(m.location.file)) : raw;
        this.line(this.err, `${head}\n${indent(message)}${stack}`);
        break;
      }
      case 'finished':
        // Held until the run ends: a mix's scenarios finish in any order, its summary reads in the file's.
        this.summaries.push(m.summary);
        break;
      case 'mix-finished': {
        const order = m.summary.mix ?? [];
        const at = (s: SummaryData) => order.indexOf(s.scenario);
        this.summaries.sort((a, b) => at(a) - at(b));
        this.summaries.push(m.summary);
        this.printSummaries();
        break;
      }
      case 'listed':
        break;
      case 'done':
        this.printSummaries();
        this.clearLive();
        this.exitCode = m.exitCode;
        break;
    }
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
}

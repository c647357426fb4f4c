// Shared by the extension (lenses, Test Explorer items) and the runner (locating option errors),
// so it lives outside both.
// Static discovery of the scenarios in a *.load.ts file, without running user code and without
// the TypeScript compiler (not bundled in the extension): a small tolerant tokenizer that knows
// strings, template literals, comments and regex literals, then a scan for
// `export const NAME = scenario({...})` and the `load` and `thresholds` properties inside.
// Syntax errors never throw: what can be recognised is returned, with problems.

import { describeLoadShape } from './presentation/load-shape';

/** 0-based, as VS Code positions. */
export interface TextPosition {
  line: number;
  character: number;
}

export interface TextSpan {
  start: TextPosition;
  end: TextPosition;
}

export interface DiscoveredThreshold {
  /** The key as written, e.g. 'http_req_duration{name:items}' (matches ThresholdVerdict.metric). */
  metric: string;
  /** The expression as written, e.g. 'p(95) < 200' (matches ThresholdVerdict.expression). */
  expression: string;
  /** The expression's string literal. */
  span: TextSpan;
}

export interface DiscoveredScenario {
  /** Export name ('default' for `export default scenario(...)`). */
  name: string;
  /** From the `export` keyword to the end of the `scenario(...)` call. */
  span: TextSpan;
  /** The exported name. */
  nameSpan: TextSpan;
  /** Source text of the `load` value, comments removed and whitespace collapsed; null if absent. */
  loadText: string | null;
  /** A human summary of a literal `load` (e.g. '200 it/s for 30s (max 500 VUs)'), null when not literal. */
  shape: string | null;
  thresholds: DiscoveredThreshold[];
}

export interface DiscoveryProblem {
  message: string;
  span: TextSpan;
}

export interface DiscoveryResult {
  scenarios: DiscoveredScenario[];
  problems: DiscoveryProblem[];
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'template' | 'regex';

interface Token {
  kind: TokenKind;
  /** Identifier or punctuation text; the decoded value of a string or plain template literal. */
  value: string;
  start: number;
  end: number;
  /** Template literals with `${}` substitutions are not constant strings. */
  dynamic?: boolean;
}

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set([')', ']', '}']);
// After these keywords a `/` starts a regex literal, not a division.
const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);
const PUNCTUATORS = ['>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '&&=', '||=', '??=', '=>', '==', '!=', '<=', '>=',
  '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '**', '<<'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };

class Tokenizer {
  readonly tokens: Token[] = [];
  readonly problems: Array<{ message: string; start: number; end: number }> = [];
  private pos = 0;
  /** For each open `{`/`${`: whether it is a template substitution, so `}` knows where to resume. */
  private braceStack: boolean[] = [];

  constructor(private readonly text: string) {}

  run(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\uFEFF' || c === '\u00A0') { this.pos++; continue; }
      if (c === '/' && t[this.pos + 1] === '/') { this.skipLineComment(); continue; }
      if (c === '/' && t[this.pos + 1] === '*') { this.skipBlockComment(); continue; }
      if (c === '"' || c === "'") { this.readString(c); continue; }
      if (c === '`') { this.readTemplate(this.pos, this.pos + 1); continue; }
      if (/[A-Za-z_$\u0080-\uFFFF]/.test(c)) { this.readIdent(); continue; }
      if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(t[this.pos + 1] ?? ''))) { this.readNumber(); continue; }
      if (c === '/' && this.regexAllowed()) { this.readRegex(); continue; }
      if (c === '{') { this.braceStack.push(false); this.push('punct', '{', this.pos, this.pos + 1); this.pos++; continue; }
      if (c === '}') {
        const isTemplate = this.braceStack.pop();
        if (isTemplate) {
          // End of a `${...}` substitution: emit the closer, then continue the template literal.
          this.push('punct', '}', this.pos, this.pos + 1);
          this.readTemplate(this.pos, this.pos + 1, true);
          continue;
        }
        this.push('punct', '}', this.pos, this.pos + 1);
        this.pos++;
        continue;
      }
      const p = PUNCTUATORS.find((s) => t.startsWith(s, this.pos)) ?? c;
      this.push('punct', p, this.pos, this.pos + p.length);
      this.pos += p.length;
    }
  }

  private push(kind: TokenKind, value: string, start: number, end: number, dynamic?: boolean): void {
    this.tokens.push(dynamic ? { kind, value, start, end, dynamic } : { kind, value, start, end });
  }

  private regexAllowed(): boolean {
    const prev = this.tokens[this.tokens.length - 1];
    if (!prev) return true;
    if (prev.kind === 'ident') return KEYWORDS_BEFORE_EXPRESSION.has(prev.value);
    if (prev.kind === 'punct') return !CLOSERS.has(prev.value) && prev.value !== '++' && prev.value !== '--';
    return false;
  }

  private skipLineComment(): void {
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.text.length : nl;
  }

  private skipBlockComment(): void {
    const close = this.text.indexOf('*/', this.pos + 2);
    if (close < 0) {
      this.problems.push({ message: 'Unterminated comment', start: this.pos, end: this.text.length });
      this.pos = this.text.length;
    } else {
      this.pos = close + 2;
    }
  }

  private readString(quote: string): void {
    const t = this.text;
    const start = this.pos;
    let value = '';
    let i = start + 1;
    while (i < t.length && t[i] !== quote) {
      if (t[i] === '\n') break;
      if (t[i] === '\\') {
        const e = t[i + 1] ?? '';
        if (e === '\r' && t[i + 2] === '\n') { i += 3; continue; }
        if (e === '\n') { i += 2; continue; }
        value += ESCAPES[e] ?? e;
        i += 2;
        continue;
      }
      value += t[i++];
    }
    if (t[i] !== quote) {
      this.problems.push({ message: 'Unterminated string literal', start, end: i });
      this.push('string', value, start, i);
      this.pos = i;
      return;
    }
    this.push('string', value, start, i + 1);
    this.pos = i + 1;
  }

  /**
   * Reads template text from `from` up to the closing backtick or a `${`. `start` is where the
   * token begins (the backtick, or the `}` that closed a substitution).
   */
  private readTemplate(start: number, from: number, continuation = false): void {
    const t = this.text;
    let value = '';
    let i = from;
    while (i < t.length) {
      const c = t[i];
      if (c === '\\') { value += ESCAPES[t[i + 1]] ?? t[i + 1] ?? ''; i += 2; continue; }
      if (c === '`') {
        this.push('template', value, start, i + 1, continuation || undefined);
        this.pos = i + 1;
        return;
      }
      if (c === '$' && t[i + 1] === '{') {
        this.push('template', value, start, i, true);
        this.push('punct', '${', i, i + 2);
        this.braceStack.push(true);
        this.pos = i + 2;
        return;
      }
      value += c;
      i++;
    }
    this.problems.push({ message: 'Unterminated template literal', start, end: t.length });
    this.push('template', value, start, t.length, true);
    this.pos = t.length;
  }

  private readIdent(): void {
    const m = /[A-Za-z_$0-9\u0080-\uFFFF]+/y;
    m.lastIndex = this.pos;
    const match = m.exec(this.text)!;
    this.push('ident', match[0], this.pos, this.pos + match[0].length);
    this.pos += match[0].length;
  }

  private readNumber(): void {
    const m = /(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)n?/y;
    m.lastIndex = this.pos;
    const match = m.exec(this.text);
    const raw = match && match[0].length > 0 ? match[0] : this.text[this.pos];
    this.push('number', raw.replace(/_/g, ''), this.pos, this.pos + raw.length);
    this.pos += raw.length;
  }

  private readRegex(): void {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    let inClass = false;
    while (i < t.length && t[i] !== '\n') {
      const c = t[i];
      if (c === '\\') { i += 2; continue; }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
      i++;
    }
    if (t[i] !== '/') {
      // Not a regex after all (or an unterminated one): treat the slash as an operator.
      this.push('punct', '/', start, start + 1);
      this.pos = start + 1;
      return;
    }
    i++;
    while (i < t.length && /[a-z]/.test(t[i])) i++;
    this.push('regex', t.slice(start, i), start, i);
    this.pos = i;
  }
}

// ---------------------------------------------------------------------------------------------
// Positions

class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): TextPosition {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }
  span(start: number, end: number): TextSpan {
    return { start: this.position(start), end: this.position(end) };
  }
}

// ---------------------------------------------------------------------------------------------
// Scanner

/** Sentinel for values that are not literals (identifiers, calls, expressions). */
const NOT_LITERAL = Symbol('not literal');
type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal } | typeof NOT_LITERAL;

class Scanner {
  readonly scenarios: DiscoveredScenario[] = [];
  readonly problems: DiscoveryProblem[] = [];
  /** Index of each token's matching closer (or tokens.length when unbalanced). */
  private readonly match: number[];
  /** `const x = scenario(...)` declarations that are not exported inline, by local name. */
  private readonly localScenarios = new Map<string, DiscoveredScenario>();

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly lines: LineIndex,
  ) {
    this.match = this.matchBrackets();
  }

  private matchBrackets(): number[] {
    const match = new Array<number>(this.tokens.length).fill(-1);
    const stack: number[] = [];
    this.tokens.forEach((tok, i) => {
      if (tok.kind !== 'punct') return;
      if (tok.value in OPENERS || tok.value === '${') {
        stack.push(i);
      } else if (CLOSERS.has(tok.value)) {
        const open = stack[stack.length - 1];
        const want = open === undefined ? undefined : (OPENERS[this.tokens[open].value] ?? '}');
        if (want === tok.value) {
          stack.pop();
          match[open] = i;
          match[i] = open;
        } else {
          this.problem(`Unexpected '${tok.value}'`, tok.start, tok.end);
        }
      }
    });
    for (const open of stack) {
      this.problem(`'${this.tokens[open].value}' is never closed`, this.tokens[open].start, this.tokens[open].end);
      match[open] = this.tokens.length;
    }
    return match;
  }

  private problem(message: string, start: number, end: number): void {
    this.problems.push({ message, span: this.lines.span(start, end) });
  }

  private is(i: number, kind: TokenKind, value?: string): boolean {
    const t = this.tokens[i];
    return t !== undefined && t.kind === kind && (value === undefined || t.value === value);
  }

  /** Index after the bracket group opened at `i`. */
  private after(i: number): number {
    return Math.min(this.match[i] + 1, this.tokens.length);
  }

  run(): void {
    const toks = this.tokens;
    let i = 0;
    while (i < toks.length) {
      // Only top-level statements: skip whole bracket groups.
      if (toks[i].kind === 'punct' && (toks[i].value in OPENERS || toks[i].value === '${')) { i = this.after(i); continue; }
      if (this.is(i, 'ident', 'export') && this.is(i + 1, 'ident', 'default')) {
        i = this.declaration(i, i + 2, 'default', i + 1) ?? i + 2;
        continue;
      }
      if (this.is(i, 'ident', 'export') && this.is(i + 1, 'punct', '{')) {
        this.exportList(i + 1);
        i = this.after(i + 1);
        continue;
      }
      const exported = this.is(i, 'ident', 'export');
      const kw = exported ? i + 1 : i;
      if (this.is(kw, 'ident', 'const') || this.is(kw, 'ident', 'let') || this.is(kw, 'ident', 'var')) {
        i = this.declarators(i, kw + 1, exported);
        continue;
      }
      i++;
    }
  }

  /** `NAME [: Type] = scenario(...)`, repeated with commas. Returns the index after the statement. */
  private declarators(stmtStart: number, i: number, exported: boolean): number {
    const toks = this.tokens;
    while (this.is(i, 'ident')) {
      const nameIndex = i;
      i++;
      if (this.is(i, 'punct', ':')) i = this.skipType(i + 1);
      if (!this.is(i, 'punct', '=')) return i;
      const end = this.declaration(stmtStart, i + 1, toks[nameIndex].value, nameIndex, exported);
      if (end === undefined) return this.skipExpression(i + 1);
      i = end;
      if (!this.is(i, 'punct', ',')) return i;
      i++;
      stmtStart = i;
    }
    return i;
  }

  /** Skips a type annotation up to the `=` (types may hold `<>`, `{}`, `[]`, `()`). */
  private skipType(i: number): number {
    let angle = 0;
    while (i < this.tokens.length) {
      const t = this.tokens[i];
      if (t.kind === 'punct') {
        if (t.value in OPENERS) { i = this.after(i); continue; }
        if (t.value === '<') angle++;
        else if (t.value === '>' && angle > 0) angle--;
        else if (t.value === '=' && angle === 0) return i;
        else if ((t.value === ';' || CLOSERS.has(t.value)) && angle === 0) return i;
      }
      i++;
    }
    return i;
  }

  /** Skips an initializer expression up to `,` or `;` at its level (or the next statement keyword). */
  private skipExpression(i: number): number {
    while (i < this.tokens.length) {
      const t = this.tokens[i];
      if (t.kind === 'punct' && (t.value in OPENERS || t.value === '${')) { i = this.after(i); continue; }
      if (t.kind === 'punct' && (t.value === ';' || t.value === ',')) return i;
      if (t.kind === 'ident' && (t.value === 'export' || t.value === 'import')) return i;
      i++;
    }
    return i;
  }

  /**
   * At `i`, an initializer: if it is `scenario(...)` (optionally `x.scenario`, with type arguments),
   * records the scenario and returns the index after the call; otherwise undefined.
   */
  private declaration(stmtStart: number, i: number, name: string, nameIndex: number, exported = true): number | undefined {
    const toks = this.tokens;
    // `loadlens.scenario(` or `ll.scenario(`
    if (this.is(i, 'ident') && this.is(i + 1, 'punct', '.') && this.is(i + 2, 'ident', 'scenario')) i += 2;
    if (!this.is(i, 'ident', 'scenario')) return undefined;
    i++;
    if (this.is(i, 'punct', '<')) {
      // Type arguments: `scenario<{ token: string }>(`
      let depth = 0;
      while (i < toks.length) {
        const t = toks[i];
        if (t.kind === 'punct' && t.value in OPENERS) { i = this.after(i); continue; }
        if (this.is(i, 'punct', '<')) depth++;
        else if (this.is(i, 'punct', '>')) depth--;
        else if (this.is(i, 'punct', '>>')) depth -= 2;
        i++;
        if (depth <= 0) break;
      }
    }
    if (!this.is(i, 'punct', '(')) return undefined;
    const open = i;
    const close = this.match[open];
    const endOffset = close < toks.length ? toks[close].end : this.text.length;
    const nameTok = toks[nameIndex];
    const scenario: DiscoveredScenario = {
      name,
      span: this.lines.span(toks[stmtStart].start, endOffset),
      nameSpan: this.lines.span(nameTok.start, nameTok.end),
      loadText: null,
      shape: null,
      thresholds: [],
    };
    if (this.is(open + 1, 'punct', '{')) this.options(open + 1, scenario);
    if (exported) this.scenarios.push(scenario);
    else this.localScenarios.set(name, scenario);
    return this.after(open);
  }

  /** `export { a, b as c }` of scenarios declared earlier without `export`. */
  private exportList(open: number): void {
    const end = Math.min(this.match[open], this.tokens.length);
    for (let i = open + 1; i < end; i++) {
      if (!this.is(i, 'ident')) continue;
      const local = this.tokens[i].value;
      let exportedName = local;
      let nameIndex = i;
      if (this.is(i + 1, 'ident', 'as') && (this.is(i + 2, 'ident') || this.is(i + 2, 'string'))) {
        exportedName = this.tokens[i + 2].value;
        nameIndex = i + 2;
        i += 2;
      }
      const found = this.localScenarios.get(local);
      if (found) {
        const t = this.tokens[nameIndex];
        this.scenarios.push({ ...found, name: exportedName, nameSpan: found.nameSpan ?? this.lines.span(t.start, t.end) });
      }
    }
  }

  /** The properties of an object literal opened at `open`: [key, key token index, value start, value end). */
  private properties(open: number): Array<{ key: string; keyIndex: number; valueStart: number; valueEnd: number }> {
    const out: Array<{ key: string; keyIndex: number; valueStart: number; valueEnd: number }> = [];
    const end = Math.min(this.match[open], this.tokens.length);
    let i = open + 1;
    while (i < end) {
      // One property: up to the next `,` at this level.
      let j = i;
      let colon = -1;
      while (j < end && !this.is(j, 'punct', ',')) {
        const t = this.tokens[j];
        if (colon < 0 && t.kind === 'punct' && t.value === ':') colon = j;
        if (t.kind === 'punct' && (t.value in OPENERS || t.value === '${')) {
          // A method `name(...) {...}` has no colon before its parameter list.
          if (colon < 0 && t.value === '(') colon = -2;
          j = this.after(j);
          continue;
        }
        j++;
      }
      if (colon > i) {
        const keyTok = this.tokens[colon - 1];
        if (keyTok.kind === 'ident' || keyTok.kind === 'string' || keyTok.kind === 'number') {
          out.push({ key: keyTok.value, keyIndex: colon - 1, valueStart: colon + 1, valueEnd: Math.min(j, end) });
        }
      }
      i = j + 1;
    }
    return out;
  }

  private options(open: number, scenario: DiscoveredScenario): void {
    for (const prop of this.properties(open)) {
      if (prop.key === 'load' && prop.valueStart < prop.valueEnd) {
        const first = this.tokens[prop.valueStart];
        const last = this.tokens[prop.valueEnd - 1];
        scenario.loadText = this.sourceWithoutComments(first.start, last.end);
        const value = this.literal(prop.valueStart, prop.valueEnd);
        scenario.shape = describeLoad(value);
      } else if (prop.key === 'thresholds' && this.is(prop.valueStart, 'punct', '{')) {
        this.thresholds(prop.valueStart, scenario);
      }
    }
  }

  private thresholds(open: number, scenario: DiscoveredScenario): void {
    for (const prop of this.properties(open)) {
      const add = (i: number) => {
        const t = this.tokens[i];
        if ((t.kind === 'string' || t.kind === 'template') && !t.dynamic) {
          scenario.thresholds.push({ metric: prop.key, expression: t.value, span: this.lines.span(t.start, t.end) });
        }
      };
      const addSpec = (i: number) => {
        if (this.is(i, 'punct', '{')) {
          const th = this.properties(i).find((p) => p.key === 'threshold');
          if (th) add(th.valueStart);
        } else if (i < this.tokens.length) {
          add(i);
        }
      };
      const v = prop.valueStart;
      if (this.is(v, 'punct', '[')) {
        const end = Math.min(this.match[v], this.tokens.length);
        let i = v + 1;
        while (i < end) {
          addSpec(i);
          // Next element: after the following `,` at this level.
          while (i < end && !this.is(i, 'punct', ',')) {
            if (this.tokens[i].kind === 'punct' && this.tokens[i].value in OPENERS) i = this.after(i);
            else i++;
          }
          i++;
        }
      } else {
        addSpec(v);
      }
    }
  }

  /** The value of the tokens [start, end) when they form a plain literal, else NOT_LITERAL. */
  private literal(start: number, end: number): Literal {
    // Trailing `as const` / `satisfies X` do not change the value.
    for (let k = start; k < end; k++) {
      if (this.is(k, 'ident', 'as') || this.is(k, 'ident', 'satisfies')) { end = k; break; }
    }
    if (end - start === 1) {
      const t = this.tokens[start];
      if (t.kind === 'string' || (t.kind === 'template' && !t.dynamic)) return t.value;
      if (t.kind === 'number') return Number(t.value);
      if (t.kind === 'ident' && (t.value === 'true' || t.value === 'false')) return t.value === 'true';
      if (t.kind === 'ident' && t.value === 'null') return null;
      return NOT_LITERAL;
    }
    if (end - start === 2 && this.is(start, 'punct', '-') && this.is(start + 1, 'number')) return -Number(this.tokens[start + 1].value);
    if (this.is(start, 'punct', '{') && this.match[start] === end - 1) {
      const obj: Record<string, Literal> = {};
      for (const p of this.properties(start)) obj[p.key] = this.literal(p.valueStart, p.valueEnd);
      return obj;
    }
    if (this.is(start, 'punct', '[') && this.match[start] === end - 1) {
      const arr: Literal[] = [];
      let i = start + 1;
      while (i < end - 1) {
        let j = i;
        while (j < end - 1 && !this.is(j, 'punct', ',')) j = this.tokens[j].kind === 'punct' && this.tokens[j].value in OPENERS ? this.after(j) : j + 1;
        if (j > i) arr.push(this.literal(i, j));
        i = j + 1;
      }
      return arr;
    }
    return NOT_LITERAL;
  }

  /** Source text between offsets with comments dropped and whitespace collapsed (strings kept). */
  private sourceWithoutComments(from: number, to: number): string {
    let out = '';
    let prevEnd = from;
    for (const t of this.tokens) {
      if (t.start < from || t.end > to) continue;
      if (t.start > prevEnd && out !== '') out += ' ';
      out += this.text.slice(t.start, t.end);
      prevEnd = t.end;
    }
    return out.replace(/\s+/g, ' ').replace(/([{[(]) /g, '$1').replace(/ ([}\])])/g, '$1').replace(/ ([,:])/g, '$1');
  }
}

/** True when a literal holds no NOT_LITERAL anywhere (a plain value the engine can describe). */
function isPlain(v: Literal): boolean {
  if (v === NOT_LITERAL) return false;
  if (Array.isArray(v)) return v.every(isPlain);
  if (v !== null && typeof v === 'object') return Object.values(v).every(isPlain);
  return true;
}

/** A short description of a literal load shape, in the engine's wording; null when it is not one. */
export function describeLoad(load: unknown): string | null {
  return isPlain(load as Literal) ? describeLoadShape(load) : null;
}

/** Finds the exported scenarios in a *.load.ts source text. Never throws. */
export function discoverScenarios(text: string): DiscoveryResult {
  const lines = new LineIndex(text);
  const tokenizer = new Tokenizer(text);
  tokenizer.run();
  const scanner = new Scanner(text, tokenizer.tokens, lines);
  scanner.run();
  const problems = [
    ...tokenizer.problems.map((p) => ({ message: p.message, span: lines.span(p.start, p.end) })),
    ...scanner.problems,
  ];
  return { scenarios: scanner.scenarios, problems };
}

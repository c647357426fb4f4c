// Turns a *.load.ts file into loaded scenario definitions: esbuild bundles it (the user's relative
// imports and npm packages resolve from the file's folder; `loadlens` resolves to the engine the
// runner already loaded, so scenario and runner share one engine instance), and the bundle is
// compiled as a CommonJS module whose filename is the scenario file, with an inline source map,
// so stack traces and the debugger show the .load.ts's own lines. The engine and the scenario's
// console reach the bundle through that module's own `require`, not through globalThis.

import { build, type Message, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { collectDeclaredMetrics } from '../engine/api';
import { withDataFolder } from '../engine/data';
import { OptionsError } from '../engine/errors';
import type { MetricKind, ScenarioDefinition, ScenarioOptions } from '../engine/types';
import type { KnownTags } from '../engine/thresholds';
import { SYSTEM_TAGS } from '../engine/metrics/names';
import type { ErrorKind, SourceLocation } from '../protocol';
import * as engine from '../index';
import { escapingConsole } from './console';
import { cleanStack, locateInStack } from './stack';

/** A scenario file that cannot be bundled, loaded or that exports no scenario. */
export class ScenarioFileError extends Error {
  override name = 'ScenarioFileError';
  constructor(
    message: string,
    readonly kind: Extract<ErrorKind, 'compile' | 'options'>,
    readonly location?: SourceLocation,
    readonly stackText?: string,
  ) {
    super(message);
  }
}

/** The module ids the bundle requires at run time, answered by loadBundle's `require`. */
const ENGINE_ID = 'loadlens';
const CONSOLE_ID = 'loadlens:console';
/** The scenario's `console` (bundled code only): strings escaped before they reach a terminal. */
const SCENARIO_CONSOLE = '__loadlensConsole';
let scenarioConsole: Console | undefined;

/** Leaves `import ... from 'loadlens'` to run time: loadBundle answers it with this engine instance. */
const engineModulePlugin: Plugin = {
  name: 'loadlens-engine',
  setup(b) {
    b.onResolve({ filter: /^loadlens$/ }, () => ({ path: ENGINE_ID, external: true }));
  },
};

/** esbuild reports paths relative to absWorkingDir (`dir`); locations carry absolute paths. */
function formatMessage(m: Message, dir: string): { text: string; location?: SourceLocation } {
  if (!m.location) return { text: m.text };
  const location = { file: resolve(dir, m.location.file), line: m.location.line, column: m.location.column + 1 };
  return { text: `${location.file}:${location.line}:${location.column}: ${m.text}`, location };
}

/** Bundles `file` (absolute path) into CommonJS source with an inline source map. */
export async function bundleScenarioFile(file: string): Promise<string> {
  const dir = dirname(file);
  try {
    const result = await build({
      entryPoints: [file],
      // Never written: it only anchors the source map's relative paths next to the scenario file.
      outfile: join(dir, `${basename(file)}.bundle.js`),
      absWorkingDir: dir,
      write: false,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'inline',
      sourcesContent: true,
      // No keepNames (H6, measured): it wraps every function the iteration creates, e.g. each
      // check predicate, in a __name() call that defines a property at run time: ~6% of the
      // CPU of a GET + check scenario. Unminified, the names stay as written anyway.
      logLevel: 'silent',
      define: { console: SCENARIO_CONSOLE },
      banner: { js: `var ${SCENARIO_CONSOLE} = require(${JSON.stringify(CONSOLE_ID)});` },
      plugins: [engineModulePlugin],
    });
    return result.outputFiles[0].text;
  } catch (err) {
    const errors: Message[] = (err as { errors?: Message[] }).errors ?? [];
    if (errors.length === 0) throw err;
    const text = errors.map((m) => formatMessage(m, dir).text).join('\n');
    throw new ScenarioFileError(text, 'compile', formatMessage(errors[0], dir).location);
  }
}

let sourceMapsEnabled = false;

/** Compiles the bundle as the module `file` and returns its exports. */
export function loadBundle(code: string, file: string): Record<string, unknown> {
  if (!sourceMapsEnabled) {
    // Node >= 16.6 has it; @types/node 20.9 does not declare it yet.
    (process as unknown as { setSourceMapsEnabled(on: boolean): void }).setSourceMapsEnabled(true);
    sourceMapsEnabled = true;
  }
  const ModuleCtor = Module as unknown as {
    new (id: string, parent?: unknown): NodeJS.Module & { _compile(code: string, filename: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const mod = new ModuleCtor(file, module);
  mod.filename = file;
  mod.paths = ModuleCtor._nodeModulePaths(dirname(file));
  // The scenario and the runner share this engine instance (check() records into its run).
  const nodeRequire = mod.require.bind(mod);
  mod.require = Object.assign((id: string) => {
    if (id === ENGINE_ID) return engine;
    if (id === CONSOLE_ID) return (scenarioConsole ??= escapingConsole(console));
    return nodeRequire(id);
  }, nodeRequire) as NodeJS.Require;
  try {
    withDataFolder(dirname(file), () => mod._compile(code, file));
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    // Bad options at the top level (e.g. `new Trend('bad name')`) are option errors, not compile errors.
    const kind = e instanceof OptionsError ? 'options' : 'compile';
    const location = locateInStack(e.stack, file);
    const where = location ? `${location.file}:${location.line}:${location.column}: ` : `${file}: `;
    throw new ScenarioFileError(`${where}threw while loading: ${e.message}`, kind, location, cleanStack(e.stack));
  }
  return mod.exports as Record<string, unknown>;
}

export interface FoundScenario {
  /** The export name, which is the scenario's name. */
  name: string;
  definition: ScenarioDefinition;
}

function isScenario(value: unknown): value is ScenarioDefinition {
  return typeof value === 'object' && value !== null && (value as { __loadlensScenario?: unknown }).__loadlensScenario === true;
}

const HOW_TO = [
  'Export each scenario by name, for example:',
  '',
  "  import { scenario, check } from 'loadlens';",
  '',
  '  export const browse = scenario({',
  "    target: 'http://127.0.0.1:8080',",
  "    load: { vus: 10, duration: '30s' },",
  '    async iteration({ http }) {',
  "      const res = await http.get('/');",
  "      check(res, { 'status is 200': (r) => r.status === 200 });",
  '    },',
  '  });',
].join('\n');

/** The exported scenarios of a loaded module, in export order; throws when there is none. */
export function findScenarios(exports: Record<string, unknown>, file: string): FoundScenario[] {
  const found: FoundScenario[] = [];
  for (const [name, value] of Object.entries(exports)) {
    if (isScenario(value)) found.push({ name, definition: value });
  }
  // `export default scenario(...)` becomes the 'default' export; keep it under that name.
  if (found.length > 0) return found;
  const names = Object.keys(exports).filter((n) => n !== '__esModule');
  const what = names.length
    ? `it exports ${names.map((n) => `${n} (${describeExport(exports[n])})`).join(', ')}, but none of them is a scenario(...)`
    : 'it exports nothing';
  throw new ScenarioFileError(`${file}: no scenario found: ${what}.\n${HOW_TO}`, 'compile', { file, line: 1, column: 1 });
}

function describeExport(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Picks scenarios by name (in the file's order), or all; an unknown name lists the ones that exist. */
export function selectScenarios(all: FoundScenario[], names: readonly string[] | undefined, file: string): FoundScenario[] {
  if (names === undefined || names.length === 0) return all;
  for (const name of names) {
    if (!all.some((s) => s.name === name)) {
      throw new ScenarioFileError(`${file}: no scenario named "${name}"; the file exports ${all.map((s) => s.name).join(', ')}`, 'options');
    }
  }
  return all.filter((s) => names.includes(s.name));
}

/**
 * The tags a threshold of `file` may filter on: the system tags, the scenarios' `tags`, and the
 * keys the source writes in `tags: { ... }` objects and custom metric adds (`.add(v, { ... })`).
 * Found statically: request tags are only known when a request is made.
 */
export function knownTagsOf(file: string, scenarios: readonly FoundScenario[]): KnownTags {
  const tags = new Set<string>(SYSTEM_TAGS);
  for (const s of scenarios) for (const k of Object.keys(s.definition.tags ?? {})) tags.add(k);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // Bundled already: unreadable now only if it was removed meanwhile.
  }
  const objects = /\btags\s*:\s*\{([^{}]*)\}|\.add\([^,()]*,\s*\{([^{}]*)\}/g;
  const key = /(?:^|,)\s*(?:([A-Za-z_$][\w$]*)|'([^']*)'|"([^"]*)")\s*:/g;
  for (let m; (m = objects.exec(text)); ) {
    const body = m[1] ?? m[2] ?? '';
    for (let k; (k = key.exec(body)); ) tags.add(k[1] ?? k[2] ?? k[3]);
  }
  return { tags, scenarios: scenarios.map((s) => s.name) };
}

// The stack mapping lives in stack.ts (no esbuild there: the CLI's supervising thread uses it too).
export { cleanStack, locateInStack } from './stack';

/** Export names in the order the source declares them (esbuild lists CommonJS exports sorted). */
function declarationOrder(file: string): Map<string, number> {
  const order = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return order;
  }
  const decl = /export\s+(?:const|let|var|function\*?|class)\s+([A-Za-z_$][\w$]*)|export\s+default\b/g;
  for (let m; (m = decl.exec(text)); ) {
    const name = m[1] ?? 'default';
    if (!order.has(name)) order.set(name, m.index);
  }
  return order;
}

/** A loaded scenario file: its scenarios and the custom metrics its top level created. */
export interface LoadedFile {
  scenarios: FoundScenario[];
  /** The file-wide thresholds (`export const thresholds = {...}`): they judge every scenario that runs, together. */
  thresholds?: ScenarioOptions['thresholds'];
  /** Custom metric name → the kinds it was created with (Trend, Counter, ...). */
  customMetrics: Map<string, MetricKind[]>;
}

/** Bundles, loads and finds the scenarios of `file` (absolute path), in declaration order. */
export async function loadScenarioFile(file: string): Promise<LoadedFile> {
  const code = await bundleScenarioFile(file);
  const { value: exports, metrics } = collectDeclaredMetrics(() => loadBundle(code, file));
  const found = findScenarios(exports, file);
  const order = declarationOrder(file);
  const at = (name: string) => order.get(name) ?? Number.MAX_SAFE_INTEGER;
  const thresholds = (exports as { thresholds?: ScenarioOptions['thresholds'] }).thresholds;
  return { scenarios: found.sort((a, b) => at(a.name) - at(b.name) || a.name.localeCompare(b.name)), customMetrics: metrics, thresholds };
}

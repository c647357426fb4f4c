// The TypeScript server plugin under the real TypeScript language service (the one tsserver
// wraps): in a folder with no node_modules, `import ... from 'loadlens'` type-checks against the
// declarations the build emits (dist/types: run `npm run build` first), completions and hovers
// carry loadlens types, real mistakes are still reported, and an installed loadlens wins.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { resolveLoadlensTo } from '../../src/ts-plugin/resolve';

const TYPES = resolve(__dirname, '..', '..', 'dist', 'types', 'index.d.ts');

const API = `import { scenario, check } from 'loadlens';
export const api = scenario({
  load: { vus: 2, duration: '10s' },
  thresholds: { http_req_duration: ['p(95) < 200'] },
  async iteration({ http, vu }) {
    const res = await http.get('/items');
    check(res, { 'status is 200': (r) => r.status === 200 && vu.id > 0 });
  },
});
`;

/** A language service over `files` in a fresh folder, resolving modules as tsserver's project does. */
function service(files: Record<string, string>, withPlugin: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-tsplugin-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  // What VS Code gives a loose .ts file (an inferred project), strict as many users set it.
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, noEmit: true };
  const roots = Object.keys(files).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => roots,
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => (ts.sys.fileExists(f) ? ts.ScriptSnapshot.fromString(readFileSync(f, 'utf8')) : undefined),
    getCurrentDirectory: () => dir,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    resolveModuleNameLiterals: (literals, containingFile, redirected, opts, sourceFile) =>
      literals.map((l) => ts.resolveModuleName(l.text, containingFile, opts, ts.sys, undefined, redirected, ts.getModeForUsageLocation(sourceFile, l, opts))),
  };
  if (withPlugin) resolveLoadlensTo(ts, host, TYPES);
  const ls = ts.createLanguageService(host, ts.createDocumentRegistry());
  const file = (name: string) => join(dir, name);
  const diagnostics = (name: string) =>
    [...ls.getSyntacticDiagnostics(file(name)), ...ls.getSemanticDiagnostics(file(name))].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  const at = (name: string, marker: string, offset = 0) => readFileSync(file(name), 'utf8').indexOf(marker) + offset;
  return { ls, file, diagnostics, at, dispose: () => { ls.dispose(); rmSync(dir, { recursive: true, force: true }); } };
}

test('without the plugin the import is an error (what a user saw before)', () => {
  const s = service({ 'api.load.ts': API }, false);
  try {
    assert.ok(s.diagnostics('api.load.ts').some((d) => /Cannot find module 'loadlens'/.test(d)), s.diagnostics('api.load.ts').join('\n'));
  } finally { s.dispose(); }
});

test('with the plugin a fresh api.load.ts has no errors, and its iteration parameters are typed', () => {
  const s = service({ 'api.load.ts': API }, true);
  try {
    assert.deepEqual(s.diagnostics('api.load.ts'), []);
    const httpHover = s.ls.getQuickInfoAtPosition(s.file('api.load.ts'), s.at('api.load.ts', 'http.get'));
    assert.match(ts.displayPartsToString(httpHover?.displayParts), /HttpClient/);
    const resHover = s.ls.getQuickInfoAtPosition(s.file('api.load.ts'), s.at('api.load.ts', 'res = '));
    assert.match(ts.displayPartsToString(resHover?.displayParts), /HttpResponse/);
    const members = s.ls.getCompletionsAtPosition(s.file('api.load.ts'), s.at('api.load.ts', 'http.get', 5), {})?.entries.map((e) => e.name) ?? [];
    for (const m of ['get', 'post', 'put', 'patch', 'del', 'head', 'request']) assert.ok(members.includes(m), `http.${m} offered: ${members.join(', ')}`);
    const scenarioHover = s.ls.getQuickInfoAtPosition(s.file('api.load.ts'), s.at('api.load.ts', 'scenario({'));
    assert.match(ts.displayPartsToString(scenarioHover?.displayParts), /scenario<unknown>\(options: ScenarioOptions<unknown>\): ScenarioDefinition/);
  } finally { s.dispose(); }
});

test('with the plugin real mistakes are still reported, against loadlens types', () => {
  const s = service({
    'bad.load.ts': `import { scenario } from 'loadlens';
export const bad = scenario({
  load: { vus: 'many', duration: '1s' },
  async iteration({ http }) { await http.gett('/x'); },
});
`,
  }, true);
  try {
    const d = s.diagnostics('bad.load.ts');
    assert.ok(d.some((m) => /Type 'string' is not assignable to type 'number'/.test(m)), d.join('\n'));
    assert.ok(d.some((m) => /Property 'gett' does not exist on type 'HttpClient'/.test(m)), d.join('\n'));
    assert.equal(d.length, 2, d.join('\n'));
  } finally { s.dispose(); }
});

test("an installed loadlens (node_modules) wins over the plugin's types", () => {
  const s = service({
    'node_modules/loadlens/package.json': JSON.stringify({ name: 'loadlens', version: '9.9.9', types: 'index.d.ts' }),
    'node_modules/loadlens/index.d.ts': 'export declare function scenario(name: string): void;\n',
    'api.load.ts': `import { scenario } from 'loadlens';\nscenario('installed');\n`,
  }, true);
  try {
    assert.deepEqual(s.diagnostics('api.load.ts'), []);
    const hover = s.ls.getQuickInfoAtPosition(s.file('api.load.ts'), s.at('api.load.ts', 'scenario('));
    assert.match(ts.displayPartsToString(hover?.displayParts), /scenario\(name: string\): void/);
  } finally { s.dispose(); }
});

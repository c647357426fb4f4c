// The layers' fences are real: eslint.config.mjs refuses an engine file that imports the runner
// (and the other listed directions), and the per-layer tsconfigs refuse DOM types in the engine
// and Node types in the page. Each probe is checked as if it were a file at that path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

/** The rule messages eslint reports for `code` placed at `path` (relative to the repository). */
async function lint(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result.messages.map((m) => `${m.line}: ${m.message}`);
}

test('the engine imports nothing from runner, cli, extension, protocol, presentation or webview', async () => {
  const out = await lint('src/engine/fence-probe.ts', [
    "import { runScenarioFile } from '../runner/x';",
    "import type { RunRequest } from '../protocol';",
    "import { formatMs } from '../presentation/format';",
    "import { x } from '../../webview/main';",
    "import * as vscode from 'vscode';",
    "import { parseDuration } from './duration';", // its own modules are fine
    "import { escapeControl } from '../text';",
  ].join('\n'));
  assert.deepEqual(out.map((m) => m.split(':')[0]), ['1', '2', '3', '4', '5'], out.join('\n'));
  assert.match(out[0], /'\.\.\/runner\/x'.*src\/engine imports nothing from runner/);
  // Deeper in the engine too.
  assert.equal((await lint('src/engine/http/fence-probe.ts', "export { x } from '../../cli/args';")).length, 1);
});

test('only src/extension/main.ts imports vscode at run time; the rest imports its types', async () => {
  const out = await lint('src/extension/fence-probe.ts', "import * as vscode from 'vscode';\nimport type { Uri } from 'vscode';");
  assert.equal(out.length, 1, out.join('\n'));
  assert.match(out[0], /^1: .*only src\/extension\/main\.ts imports vscode at run time/);
  assert.deepEqual(await lint('src/extension/main.ts', "import * as vscode from 'vscode';\nexport const v = vscode.version;"), []);
});

test('the page and the view model it bundles import no Node built-ins', async () => {
  for (const path of ['webview/fence-probe.ts', 'src/view-model/fence-probe.ts']) {
    const out = await lint(path, "import { readFileSync } from 'node:fs';\nimport { join } from 'path';\nimport { formatMs } from '../src/presentation/format';");
    assert.deepEqual(out.map((m) => m.split(':')[0]), ['1', '2'], `${path}: ${out.join('\n')}`);
    assert.match(out[0], /the panel page runs in a browser/);
  }
});

/** Type errors of `code` as a file in `folder`, under that folder's tsconfig.json. */
function typeErrors(folder: string, code: string): string[] {
  const configPath = join(ROOT, folder, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) })!;
  const probe = join(ROOT, folder, 'fence-probe.ts');
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    resolve(name) === probe ? ts.createSourceFile(name, code, lang) : getSourceFile(name, lang, ...rest);
  const program = ts.createProgram([probe], config.options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

test('per-layer types: no DOM in the engine, no Node in the page', () => {
  assert.deepEqual(typeErrors('src/engine', 'export const ok: Buffer = Buffer.from("x");'), []);
  assert.match(typeErrors('src/engine', 'export const title = document.title;').join('\n'), /Cannot find name 'document'/);
  assert.deepEqual(typeErrors('webview', 'export const title = document.title;'), []);
  assert.match(typeErrors('webview', 'export const b = Buffer.from("x");').join('\n'), /Cannot find name 'Buffer'/);
});

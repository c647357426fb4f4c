// Test-only extension, installed by test/e2e/harness.ts next to Loadlens in every code-server
// profile; it never ships (the .vsix is an allow list, npm `files` names dist/ only).
// - Appends what Loadlens did (its test-hook API, the extension's exports: src/extension/test-hooks.ts)
//   as JSON lines to LOADLENS_PROBE_EVENTS, the file the suites read.
// - "Loadlens Probe: Check Types" asks VS Code's language features (the TypeScript extension and
//   its tsserver, with whatever plugins are contributed) about the active *.load.ts, through the
//   public API a user's editor uses, and writes the answers as JSON to LOADLENS_PROBE_OUT.
// Plain JS, no build. The harness packages it with Loadlens's own activation events, so it
// activates exactly when Loadlens does (and, depending on it, right after it). It declares
// untrusted-workspace support: Restricted Mode would disable it, and the untrusted test needs it.
const vscode = require('vscode');
const { appendFileSync, writeFileSync } = require('node:fs');

const LOADLENS_ID = 'loadlens.loadlens';

/** Polls `read` every 250 ms until `done(value)` or `ms` pass; returns the last value. */
async function until(read, done, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function probe() {
  const editor = vscode.window.visibleTextEditors.find((e) => e.document.fileName.endsWith('.load.ts'));
  if (!editor) throw new Error('no *.load.ts editor is visible');
  const doc = editor.document;
  const uri = doc.uri;
  const at = (marker, offset = 0) => {
    const i = doc.getText().indexOf(marker);
    if (i < 0) throw new Error(`'${marker}' not in ${doc.fileName}`);
    return doc.positionAt(i + offset);
  };
  const hover = async (pos) => {
    const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, pos)) ?? [];
    return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  };
  const diagnostics = () => vscode.languages.getDiagnostics(uri)
    .map((d) => ({ line: d.range.start.line + 1, source: d.source, severity: d.severity, message: d.message }));
  const replace = async (from, to) => {
    const edit = new vscode.WorkspaceEdit();
    const start = at(from);
    edit.replace(uri, new vscode.Range(start, start.translate(0, from.length)), to);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`edit ${from} -> ${to} refused`);
  };

  // tsserver starts and loads the project first: the hover on `scenario` answers once it has.
  const scenarioHover = await until(() => hover(at('scenario({')), (h) => /ScenarioOptions/.test(h), 120_000);
  const initial = diagnostics();
  const httpHover = await hover(at('iteration({ http', 12));
  const resHover = await hover(at('res = '));
  const completions = (await vscode.commands.executeCommand('vscode.executeCompletionItemProvider', uri, at('http.get', 5)))
    .items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));

  // A real mistake on a loadlens type is reported (so an empty list below means something).
  await replace('http.get(', 'http.gett(');
  const broken = (await until(diagnostics, (d) => d.some((x) => /gett/.test(x.message)), 60_000));
  // Undone: the same text as the user's file, checked again after an edit.
  await replace('http.gett(', 'http.get(');
  const fixed = await until(diagnostics, (d) => d.length === 0, 60_000);
  await doc.save();
  return { file: doc.fileName, scenarioHover, httpHover, resHover, completions, initial, broken, fixed };
}

exports.activate = (context) => {
  // extensionDependencies: Loadlens is active, its exports are its test-hook API. The events of
  // its activation are replayed to this listener, so none is lost by attaching only now.
  const events = process.env.LOADLENS_PROBE_EVENTS;
  const hooks = vscode.extensions.getExtension(LOADLENS_ID).exports;
  if (events) {
    context.subscriptions.push(hooks.onDidRecord((e) => appendFileSync(events, JSON.stringify(e) + '\n')));
  }
  context.subscriptions.push(vscode.commands.registerCommand('loadlensProbe.types', async () => {
    let report;
    try { report = await probe(); } catch (err) { report = { error: String(err && err.stack || err) }; }
    writeFileSync(process.env.LOADLENS_PROBE_OUT, JSON.stringify(report, null, 2));
  }));
};

// A Debug run as VS Code's debugger sees it: the runner listens on the inspector port the run
// session reports, waits for the debugger, and pauses inside the scenario's iteration in a script
// whose inline source map names the .load.ts file by absolute path (what breakpoints bind to).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDemoServer, type DemoServer } from '../../src/demo/server';
import { RunManager } from '../../src/extension/runManager';
import { Cdp } from './helpers/cdp';

let server: DemoServer;
let dir: string;
before(async () => {
  server = await startDemoServer({ latencyScale: 0, errorRate: 0 });
  dir = mkdtempSync(join(tmpdir(), 'loadlens-debug-'));
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a debug run pauses inside iteration, in code mapped to the .load.ts by absolute path', async () => {
  const file = join(dir, 'debugged.load.ts');
  writeFileSync(file, [
    "import { scenario } from 'loadlens';",
    'export const stepped = scenario({',
    "  load: { vus: 5, duration: '1m' },",
    '  async iteration({ http, vu }) {',
    "    const res = await http.get('/api/items');",
    '    debugger; // line 6',
    '    if (res.status !== 200) throw new Error(String(vu.id));',
    '  },',
    '});',
    '',
  ].join('\n'));
  const session = new RunManager({ runnerPath: resolve('dist/runner.js'), nodePath: () => undefined, resultsFolder: () => undefined })
    .start({ file, target: server.url, debug: { iterations: 2 } });
  const port = await session.debugPort;
  assert.ok(port && port > 0, 'the session reports the inspector port');
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as Array<{ webSocketDebuggerUrl: string }>;
  const cdp = await Cdp.connect(target.webSocketDebuggerUrl);
  const scripts = new Map<string, { url: string; sourceMapURL: string }>();
  const pausesInScenario: Array<{ url: string; sources: string[] }> = [];
  cdp.on((method, params) => {
    // Node waits for the debugger to disconnect before it exits, as VS Code's debugger does.
    if (method === 'Runtime.executionContextDestroyed') cdp.close();
    if (method === 'Debugger.scriptParsed') scripts.set(params.scriptId, { url: params.url, sourceMapURL: params.sourceMapURL });
    if (method === 'Debugger.paused') {
      const frame = params.callFrames[0];
      const script = scripts.get(frame.location.scriptId);
      if (params.reason !== 'Break on start' && script?.sourceMapURL?.startsWith('data:')) {
        const map = JSON.parse(Buffer.from(script.sourceMapURL.split(',')[1], 'base64').toString('utf8'));
        pausesInScenario.push({ url: script.url, sources: map.sources });
      }
      void cdp.send('Debugger.resume');
    }
  });
  await cdp.send('Runtime.enable');
  await cdp.send('Debugger.enable');
  await cdp.send('Runtime.runIfWaitingForDebugger');
  const outcome = await session.outcome;
  assert.equal(outcome.ending, 'done');
  // One VU, `iterations` iterations: the debugger statement is hit exactly twice.
  assert.equal(pausesInScenario.length, 2, JSON.stringify(pausesInScenario));
  assert.ok(pausesInScenario[0].sources.some((s) => resolve(dir, s) === file || s === file || s === `file://${file}`),
    `source map sources ${JSON.stringify(pausesInScenario[0].sources)} name ${file}`);
  assert.equal(outcome.results[0].summary?.metrics.http_reqs.values.count, 2);
});

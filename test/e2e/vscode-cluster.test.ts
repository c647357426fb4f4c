// "Run on cluster" end to end in a real VS Code (code-server, see harness.ts): a real nats-server
// with JetStream and a token, two real `loadlens agent` processes and a loopback target, all
// started here. The user settings name the NATS server without credentials; the token is typed
// into "Loadlens: Set Cluster Credentials" (a password box, stored in VS Code's SecretStorage).
// Without it the lens refuses and says what to do; with it, the run spreads over both agents, the
// panel shows them (joined / running / lost) and ends at the runner's merged summary, which
// matches what the target received. The token appears in no settings file and no recorded event.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import {
  ROOT, VsCodeServer, lens, openFile, openWorkbench, panelFrame, runCommand, setUpE2e, shot, tearDownE2e, waitForEvent,
} from './harness';
import { startTarget, type RunningServer } from '../servers/target';
import { startNats, type RunningNats } from '../servers/nats';
import type { SummaryData } from '../../src/engine/types';

const TOKEN = 'e2e-Cluster-t0ken';
const SCENARIO_FILE = 'spread.load.ts';
const CLUSTER_LENS = '☁ Run on cluster';

before(setUpE2e);
after(tearDownE2e);

interface Agent { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function startAgent(url: string): Agent {
  const child = spawn(process.execPath, [resolve(ROOT, 'dist', 'cli.js'), 'agent', '--nats', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  return { child, output: () => out, exited };
}

function scenarioFile(target: string): string {
  return `import { scenario, check } from 'loadlens';

export const spread = scenario({
  target: '${target}',
  load: { rate: 20, duration: '6s', maxVUs: 10 },
  thresholds: { checks: ['rate == 1'] },
  async iteration({ http }) {
    const res = await http.get('/fast');
    check(res, { 'status is 200': (r) => r.status === 200 });
  },
});
`;
}

describe('Run on cluster in a real VS Code (code-server)', () => {
  test('settings + secret → the run spreads over 2 real agents through NATS; the panel shows the agents and the merged result', async () => {
    const target: RunningServer = await startTarget();
    const nats: RunningNats = await startNats(TOKEN);
    const agents: Agent[] = [];
    const server = new VsCodeServer('disabled', {
      settings: {
        'loadlens.cluster.natsUrl': nats.url,
        'loadlens.cluster.agents': 2,
        'loadlens.cluster.agentsTimeout': '60s',
      },
    });
    let page: Page | undefined;
    try {
      await server.start({ [SCENARIO_FILE]: scenarioFile(target.url) });
      page = await openWorkbench(server);
      await waitForEvent(server, (e) => e.event === 'activated', 'activated');
      await openFile(page, SCENARIO_FILE);
      const clusterLens = lens(page, CLUSTER_LENS);
      await clusterLens.first().waitFor({ timeout: 60_000 });
      assert.equal(await clusterLens.count(), 1, 'one Run on cluster lens per scenario');

      // No credentials stored yet: the run is refused with what to do, and nothing is sent.
      await clusterLens.first().click();
      const refused = await waitForEvent(server, (e) => e.event === 'refused' && e.reason === 'cluster-settings', 'refused (no credentials)', 30_000);
      assert.match(String(refused.message), new RegExp(`No credentials for ${nats.url.replace(/[.]/g, '\\.')}: run "Loadlens: Set Cluster Credentials"`));
      await page.locator('.notifications-toasts', { hasText: 'No credentials for' }).waitFor({ timeout: 30_000 });
      assert.equal(server.events().filter((e) => e.event === 'run-started').length, 0, 'no run started');

      // The token, typed into a password box.
      await runCommand(page, 'Loadlens: Set Cluster Credentials');
      const secretBox = page.locator('.quick-input-widget input[type="password"]');
      await secretBox.waitFor({ timeout: 10_000 });
      await secretBox.fill(TOKEN);
      await page.keyboard.press('Enter');
      await waitForEvent(server, (e) => e.event === 'cluster-credentials' && e.stored === true, 'cluster-credentials', 30_000);

      // The panel open and listening first (as in vscode.test.ts: a webview can load slower than a short run).
      await runCommand(page, 'Loadlens: Show Panel');
      const frame = panelFrame(page);
      await frame.locator('body[data-state="idle"]').waitFor({ timeout: 60_000 });
      assert.equal(await frame.locator('#agents').isHidden(), true, 'no agents line before a cluster run');
      await frame.locator('body').evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { __agents: string[] }).__agents = seen;
        const agentsLine = document.getElementById('agents')!;
        new MutationObserver(() => { if (seen[seen.length - 1] !== agentsLine.textContent) seen.push(agentsLine.textContent ?? ''); })
          .observe(agentsLine, { childList: true, characterData: true, subtree: true });
      });

      // Two agents wait for the run; ☁ Run on cluster.
      agents.push(startAgent(nats.urlWithToken), startAgent(nats.urlWithToken));
      await page.locator('.tabs-container .tab', { hasText: SCENARIO_FILE }).click();
      await lens(page, CLUSTER_LENS).first().click();
      const started = await waitForEvent(server, (e) => e.event === 'run-started' && e.scenario === 'spread', 'run-started', 30_000);
      assert.deepEqual(started.cluster, { agents: 2 });
      await frame.locator('#agents[data-joined="2"]').waitFor({ timeout: 90_000 });
      await shot(page, 'e2e-cluster-01-live.png');
      await frame.locator('body[data-state="finished"]').waitFor({ timeout: 120_000 });

      const ended = await waitForEvent(server, (e) => e.event === 'run-ended' && e.scenario === 'spread', 'run-ended', 60_000);
      assert.equal(ended.cluster, true);
      assert.equal(ended.verdict, 'passed', `the run passed: ${JSON.stringify(ended.errors)} ${ended.failure}`);
      assert.equal(ended.exitCode, 0);
      const summary = ended.summary as SummaryData;
      const requests = summary.metrics.http_reqs.values.count;
      assert.ok(requests > 0, 'requests were made');
      assert.equal(target.counts.get('fast'), requests, 'the target received exactly the requests of the merged summary');
      assert.equal(summary.metrics.checks.values.passes, requests);

      // The panel: both agents joined and ran, none lost; its totals are the merged summary's.
      const seen = await frame.locator('body').evaluate(() => (window as unknown as { __agents: string[] }).__agents);
      assert.ok(seen.includes('agents 2/2 joined, 2 running, 0 lost'), `the panel showed both agents running: ${JSON.stringify(seen)}`);
      assert.equal(await frame.locator('#agents').innerText(), 'agents 2/2 joined, 0 running, 0 lost');
      assert.equal(await frame.locator('#agents').getAttribute('data-lost'), '0');
      assert.equal(await frame.locator('#lost-segments').isHidden(), true);
      assert.equal(await frame.locator('#requests').getAttribute('data-value'), String(requests), 'panel total = merged summary');
      assert.match(await frame.locator('#status').innerText(), /Finished: spread completed/);
      await page.waitForTimeout(300); // let the canvas paint before the screenshot
      await shot(page, 'e2e-cluster-02-finished.png');

      // Each agent ran its segment and ended (a Job pod's semantics).
      const codes = await Promise.all(agents.map((a) => Promise.race([a.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))])));
      assert.deepEqual(codes, [0, 0], `agents' exit codes; output:\n${agents.map((a) => a.output()).join('\n---\n')}`);

      // The secret stayed secret: not in settings.json, not in anything the extension recorded.
      assert.doesNotMatch(readFileSync(join(server.dir, 'user-data', 'User', 'settings.json'), 'utf8'), new RegExp(TOKEN));
      assert.doesNotMatch(readFileSync(server.eventsPath, 'utf8'), new RegExp(TOKEN));
    } catch (err) {
      if (page) await shot(page, 'FAIL-cluster.png').catch(() => {});
      for (const a of agents) console.log(`# agent output:\n${a.output()}`);
      throw err;
    } finally {
      await page?.context().close();
      await server.stop();
      for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
      await nats.stop();
      await target.close();
    }
  });
});

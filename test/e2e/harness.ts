// The e2e harness shared by the suites that drive a real VS Code: code-server 4.139.1 (VS Code
// 1.139.1, Node 24 extension host) through headless Chromium, with the packaged .vsix installed into
// a fresh profile per server. test/e2e/setup.sh installs the pieces; the recipe is
// /work/shared/notes/vscode-e2e.md. A suite calls setUpE2e / tearDownE2e in before / after.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { launchChromium } from './browser';

export const ROOT = resolve(__dirname, '..', '..');
export const E2E = join(ROOT, '.e2e');
export const NODE24_BIN = join(E2E, 'node_modules', '.bin');
export const NODE24 = join(E2E, 'node_modules', 'node', 'bin', 'node');
export const CODE_SERVER = join(E2E, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const SHOTS = join(ROOT, 'test-results', 'screenshots');
export const EXT_ID = 'loadlens.loadlens';

/** PATH with Node 24 first: code-server and vsce 4 need it (recipe P2, P12). */
export const env24 = { ...process.env, PATH: `${NODE24_BIN}:${process.env.PATH}` };

export interface E2eEvent { event: string; at: number; [k: string]: unknown }

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

/** The packaged extension, the probe and the browser, shared by every server of a suite. */
export const e2e: { vsix: string; probe: string; browser: Browser | undefined; started: number } = { vsix: '', probe: '', browser: undefined, started: Date.now() };

/**
 * Packages the test-only probe extension (test/e2e/probe): it writes Loadlens's test-hook events
 * to the file a server names, and answers the type checks. Its activation events are Loadlens's
 * own (and each Loadlens command), so installing it activates Loadlens no earlier than a user's
 * editor would; it depends on Loadlens, so it activates right after it.
 */
function packageProbe(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-probe-'));
  cpSync(join(__dirname, 'probe'), join(dir, 'src'), { recursive: true });
  const loadlens = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { activationEvents: string[]; contributes: { commands: Array<{ command: string }> } };
  const manifest = join(dir, 'src', 'package.json');
  writeFileSync(manifest, JSON.stringify({
    ...JSON.parse(readFileSync(manifest, 'utf8')) as object,
    activationEvents: [...loadlens.activationEvents, ...loadlens.contributes.commands.map((c) => `onCommand:${c.command}`)],
  }, null, 2));
  const out = join(dir, 'probe.vsix');
  const pack = spawnSync(join(NODE24_BIN, 'vsce'), ['package', '--allow-missing-repository', '--skip-license', '--out', out],
    { cwd: join(dir, 'src'), env: env24, encoding: 'utf8' });
  assert.equal(pack.status, 0, `probe packaging failed:\n${pack.stdout}\n${pack.stderr}`);
  return out;
}

/** Packages the extension (LOADLENS_VSIX: use that one) and launches Chromium. */
export async function setUpE2e(): Promise<void> {
  assert.ok(existsSync(CODE_SERVER), `code-server missing at ${CODE_SERVER}: run bash test/e2e/setup.sh`);
  // Build and package the extension exactly as a user would get it (LOADLENS_VSIX: use that one).
  if (!process.env.LOADLENS_VSIX) {
    const pkg = spawnSync('npm', ['run', 'package'], { cwd: ROOT, env: env24, encoding: 'utf8' });
    assert.equal(pkg.status, 0, `npm run package failed:\n${pkg.stdout}\n${pkg.stderr}`);
  }
  const built = readdirSync(ROOT).filter((f) => f.endsWith('.vsix')).map((f) => join(ROOT, f));
  built.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const vsix = process.env.LOADLENS_VSIX ?? built[0];
  e2e.vsix = vsix;
  assert.ok(vsix && existsSync(vsix), 'npm run package produced no .vsix');
  e2e.probe = packageProbe();
  mkdirSync(SHOTS, { recursive: true });
  e2e.browser = await launchChromium();
}

export async function tearDownE2e(): Promise<void> {
  await e2e.browser?.close();
  if (e2e.probe) rmSync(dirname(e2e.probe), { recursive: true, force: true });
  console.log(`# e2e total ${((Date.now() - e2e.started) / 1000).toFixed(1)} s (vsix ${e2e.vsix ? (statSync(e2e.vsix).size / 1024).toFixed(0) : '?'} KiB)`);
}

/** One code-server instance with a fresh profile, workspace and extension install. */
export class VsCodeServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'loadlens-e2e-'));
  readonly workspace = join(this.dir, 'workspace');
  /** What Loadlens did, one JSON line per event (written by the probe: see events()). */
  readonly eventsPath = join(this.dir, 'events.jsonl');
  /** The probe's answer to "Loadlens Probe: Check Types". */
  readonly probeReportPath = join(this.dir, 'probe.json');
  port = 0;
  private proc: ChildProcess | undefined;

  /** `settings`: more user settings on top of the quiet defaults below; `extensions`: more .vsix files to install; `env`: reaches the extension host. */
  constructor(
    private readonly trust: 'disabled' | 'enabled',
    private readonly opts: { settings?: Record<string, unknown>; extensions?: string[]; env?: NodeJS.ProcessEnv } = {},
  ) {}

  private args(): string[] {
    return [CODE_SERVER, '--config', join(this.dir, 'config.yaml'), '--user-data-dir', join(this.dir, 'user-data'), '--extensions-dir', join(this.dir, 'extensions')];
  }

  async start(files: Record<string, string>): Promise<void> {
    this.port = await freePort();
    writeFileSync(join(this.dir, 'config.yaml'), `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
    mkdirSync(join(this.dir, 'user-data', 'User'), { recursive: true });
    writeFileSync(join(this.dir, 'user-data', 'User', 'settings.json'), JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'editor.codeLens': true,
      'git.enabled': false,
      'chat.disableAIFeatures': true,
      // The scenario is TypeScript: keep tsserver from competing for the 2 cores.
      'typescript.validate.enable': false,
      'typescript.suggest.enabled': false,
      ...(this.trust === 'disabled' ? { 'security.workspace.trust.enabled': false } : {}),
      ...this.opts.settings,
    }, null, 2));
    mkdirSync(this.workspace, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.workspace, name), text);

    // Loadlens first: the probe depends on it.
    for (const ext of [e2e.vsix, e2e.probe, ...(this.opts.extensions ?? [])]) {
      const install = spawnSync(NODE24, [...this.args(), '--install-extension', ext], { env: env24, encoding: 'utf8' });
      assert.match(install.stdout + install.stderr, /was successfully installed/, `install failed: ${install.stdout}${install.stderr}`);
    }
    const list = spawnSync(NODE24, [...this.args(), '--list-extensions', '--show-versions'], { env: env24, encoding: 'utf8' });
    assert.match(list.stdout, new RegExp(EXT_ID.replace('.', '\\.'), 'i'));

    // Its own process group, so teardown reaches the extension host, runner and tsserver (P14).
    this.proc = spawn(NODE24, [
      ...this.args(), '--disable-telemetry', '--disable-update-check', '--ignore-last-opened',
      ...(this.trust === 'disabled' ? ['--disable-workspace-trust'] : []), this.workspace,
    ], { env: { ...env24, ...this.opts.env, LOADLENS_PROBE_EVENTS: this.eventsPath, LOADLENS_PROBE_OUT: this.probeReportPath }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    this.proc.stdout!.on('data', (d) => log.push(String(d)));
    this.proc.stderr!.on('data', (d) => log.push(String(d)));
    // /healthz answers before VS Code can serve; the workbench page must answer too (P5).
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${this.port}/healthz`).then((r) => r.ok, () => false)
        && await fetch(this.url()).then((r) => r.status === 200, () => false);
      if (ok) break;
      assert.ok(i < 300 && this.proc.exitCode === null, `code-server did not come up:\n${log.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  url(): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
  }

  events(): E2eEvent[] {
    if (!existsSync(this.eventsPath)) return [];
    return readFileSync(this.eventsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as E2eEvent);
  }

  async stop(): Promise<void> {
    const pid = this.proc?.pid;
    if (pid) {
      const alive = () => { try { process.kill(-pid, 0); return true; } catch { return false; } };
      try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive()) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    }
    if (!process.env.KEEP_E2E) rmSync(this.dir, { recursive: true, force: true });
  }
}


export async function openWorkbench(server: VsCodeServer): Promise<Page> {
  const context = await e2e.browser!.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  await page.goto(server.url(), { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  return page;
}

/** Quick Open (Ctrl+P), retried: the file index can lag behind the workbench (P11). */
export async function openFile(page: Page, name: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab', { hasText: name });
  for (let attempt = 0; attempt < 20 && !(await tab.isVisible()); attempt++) {
    await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } }).catch(() => {});
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(name);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name });
    if (await row.first().waitFor({ timeout: 3_000 }).then(() => true, () => false)) await page.keyboard.press('Enter');
    else await page.keyboard.press('Escape');
    await tab.waitFor({ timeout: 3_000 }).catch(() => {});
  }
  await tab.waitFor({ timeout: 5_000 });
}

/** Runs a command from the palette (F1), by its full title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title.replace(/^[^:]*: /, '') }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
}

export function lens(page: Page, text: string | RegExp) {
  return page.locator('.monaco-editor .codelens-decoration a', { hasText: text });
}

export function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

export async function waitForEvent(server: VsCodeServer, pick: (e: E2eEvent) => boolean, what: string, timeoutMs = 120_000): Promise<E2eEvent> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = server.events().find(pick);
    if (found) return found;
    assert.ok(Date.now() < until, `no ${what} event; events so far: ${server.events().map((e) => e.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, name) });
}

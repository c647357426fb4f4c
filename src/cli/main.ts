// The `loadlens` command. It runs the same runner core and protocol messages as the extension's
// forked runner, in a worker thread of its own process (host.ts): a run starts one Node process,
// not two (issue 4's start-up target), and this main thread stays in control whatever the
// scenario does (signals, the summary, --out). The forked path stays tested by the runner and
// extension tests.

// First: starts the runner thread while the rest loads.
import { takeEarlyThread } from './prestart';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, type FromRunner, type PlanInfo, type RunRequest } from '../protocol';
import { ThreadRunner } from '../runner/host';
import { startDemoServer } from '../demo/server';
import { USAGE, UsageError, parseCommand, type Command, type DisplayOptions, type K8sCommand } from './args';
import { HarError, harToScenario } from '../convert/har';
import { K8sError, bundleForK8s, k8sOutput } from './k8s';
import { TerminalReporter, bold, cyan, dim, red } from './terminal';
import { escapeControl, escapeControlLines } from '../text';
import { OutputPathError, Outputs } from '../runner/out-file';
import { DEFAULT_RUNS_FOLDER, saveRun, savedRunOf } from '../report/saved-runs';
import { ReportInputError } from '../report/load';

const examplesDir = join(__dirname, '..', 'examples');

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function scenarioFile(file: string): string {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new UsageError(`no such file: ${file}`);
  return abs;
}

/** A runner in a worker thread of this process (dist/cli-thread.js, next to dist/cli.js). */
function newRunner(): ThreadRunner {
  return new ThreadRunner({ threadPath: join(__dirname, 'cli-thread.js'), worker: takeEarlyThread() });
}

/**
 * Runs one request in a fresh runner and renders it. The first Ctrl-C (SIGINT/SIGTERM) asks the
 * runner to stop gracefully (summary, exit 105; at once when the scenario is blocked, see
 * host.ts); a second one ends the process at once.
 */
async function runInRunner(request: RunRequest, display: DisplayOptions, save = true): Promise<number> {
  const runner = newRunner();
  const reporter = new TerminalReporter(display);
  const started = new Map<string, Extract<FromRunner, { type: 'started' }>>();
  runner.onMessage((m) => {
    reporter.handle(m);
    if (!save) return;
    // Saved as the extension saves its runs, so `loadlens report` and the Runs view read them.
    if (m.type === 'started') started.set(m.scenario, m);
    else if (m.type === 'finished') {
      const s = started.get(m.scenario);
      const folder = resolve(DEFAULT_RUNS_FOLDER);
      try {
        saveRun(folder, savedRunOf({ scenario: m.scenario, file: m.summary.file, startedAt: s?.startedAt ?? Date.now(), plan: s?.plan, summary: m.summary, details: m.details }));
      } catch (err) {
        process.stderr.write(`loadlens: could not save the run under ${folder}: ${escapeControl((err as Error).message)} (--no-save skips it)\n`);
      }
    }
  });
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      reporter.clearLive();
      process.stderr.write(dim('(press Ctrl-C again to kill the run at once)\n', display.color));
      runner.cancel('interrupted');
    } else {
      reporter.clearLive();
      process.stderr.write(red('✗ killed\n', display.color));
      runner.kill();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    runner.run(request);
    const exit = await runner.exited;
    // A runner that ended without `done` still gets its summaries printed.
    reporter.printSummaries();
    reporter.clearLive();
    return reporter.exitCode ?? exit.code ?? ExitCode.internal;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** FILE's scenarios and plans (the runner loads it); errors are reported on stderr. */
async function listPlans(file: string, display: DisplayOptions): Promise<{ scenarios: PlanInfo[]; code: number }> {
  const runner = newRunner();
  const reporter = new TerminalReporter(display);
  let scenarios: PlanInfo[] = [];
  runner.onMessage((m) => {
    if (m.type === 'listed') scenarios = m.scenarios;
    else reporter.handle(m);
  });
  runner.list(file);
  const exit = await runner.exited;
  return { scenarios, code: reporter.exitCode ?? exit.code ?? ExitCode.internal };
}

async function list(file: string, display: DisplayOptions): Promise<number> {
  const { scenarios, code } = await listPlans(file, display);
  const width = Math.max(8, ...scenarios.map((s) => escapeControl(s.scenario).length));
  for (const s of scenarios) {
    process.stdout.write(`${bold(escapeControl(s.scenario).padEnd(width), display.color)}  ${s.model.padEnd(6)}  ${escapeControl(s.shape)}\n`);
  }
  return code;
}

/** `loadlens k8s`: the manifests on stdout, what they are and how to follow them on stderr. */
async function k8s(command: K8sCommand): Promise<number> {
  const display = { color: false, quiet: true };
  const local = resolve(command.file);
  let bundle: string | undefined;
  if (command.scenarioInImage === undefined) bundle = await bundleForK8s(scenarioFile(command.file));
  // The planned duration sizes the Jobs' deadline; FILE is loaded here as `loadlens list` does.
  let plans: PlanInfo[] | undefined;
  if (command.deadline === undefined) {
    if (!existsSync(local)) throw new UsageError(`no such file: ${command.file} (with --scenario-in-image and no local copy, give --deadline D)`);
    const listed = await listPlans(local, display);
    if (listed.code !== ExitCode.ok) return listed.code;
    plans = listed.scenarios;
    if (command.scenario !== undefined && !plans.some((p) => p.scenario === command.scenario)) {
      throw new UsageError(`--scenario: ${command.file} has no scenario "${command.scenario}"; it has ${plans.map((p) => p.scenario).join(', ')}`);
    }
  }
  const out = k8sOutput(command, bundle, plans);
  process.stdout.write(out.yaml);
  for (const note of out.notes) process.stderr.write(`loadlens k8s: ${escapeControl(note)}\n`);
  return ExitCode.ok;
}

/** `loadlens convert REC.har`: writes the scenario, says what it left out on stderr. */
function convert(command: Extract<Command, { name: 'convert' }>): number {
  const har = resolve(command.file);
  if (!existsSync(har)) throw new UsageError(`no such file: ${command.file}`);
  const output = resolve(command.output ?? har.replace(/(\.har)?$/i, '.load.ts'));
  if (!output.endsWith('.load.ts')) throw new UsageError(`-o: got "${command.output}"; expected a file name ending in .load.ts, which Loadlens discovers`);
  if (existsSync(output) && !command.force) throw new UsageError(`${output} exists; give --force to overwrite it, or -o another path`);
  const result = harToScenario(readFileSync(har, 'utf8'), { source: har, includeStatic: command.includeStatic });
  writeFileSync(output, result.code);
  const notes = [
    `${result.requests} request(s)`,
    result.target && `target ${result.target}`,
    result.staticLeftOut && `${result.staticLeftOut} static asset(s) left out (--include-static keeps them)`,
    result.otherLeftOut && `${result.otherLeftOut} that cannot replay left out`,
    result.correlations && `${result.correlations} value(s) to correlate: see the CORRELATE comments`,
  ].filter(Boolean);
  process.stderr.write(`loadlens convert: wrote ${escapeControl(output)}: ${escapeControl(notes.join('; '))}\n`);
  return ExitCode.ok;
}

/** `loadlens report`: reads every input first (a bad one is exit 2 naming it), then writes the HTML. */
async function report(inputs: string[], outPath: string): Promise<number> {
  // Loaded on demand: a run does not need the report's code in its start-up.
  const [{ loadReportInput }, { renderReport }] = await Promise.all([import('../report/load'), import('../report/html')]);
  const runs = inputs.flatMap((input) => loadReportInput(input, resolve(DEFAULT_RUNS_FOLDER)));
  const outputs = Outputs.open([{ flag: '-o', path: outPath }], (message) => process.stderr.write(`loadlens: ${escapeControl(message)}\n`));
  try {
    outputs.get('-o')!.write(renderReport(runs));
  } finally {
    outputs.close();
  }
  process.stderr.write(`loadlens: wrote ${resolve(outPath)} (${runs.map((r) => escapeControl(r.scenario)).join(', ')})\n`);
  return ExitCode.ok;
}

/** The exit code that matters most when several runs end differently. */
function worstExitCode(codes: number[]): number {
  const rank = [
    ExitCode.internal,
    ExitCode.outOfMemory,
    ExitCode.blocked,
    ExitCode.scenarioExit,
    ExitCode.compile,
    ExitCode.badOptions,
    ExitCode.setup,
    ExitCode.aborted,
    ExitCode.cancelled,
    ExitCode.thresholdsFailed,
  ] as number[];
  let worst: number = ExitCode.ok;
  for (const c of codes) {
    if (c === ExitCode.ok) continue;
    const r = rank.indexOf(c);
    if (worst === ExitCode.ok || (r !== -1 && (rank.indexOf(worst) === -1 || r < rank.indexOf(worst)))) worst = c;
  }
  return worst;
}

async function demo(display: DisplayOptions): Promise<number> {
  const files = existsSync(examplesDir)
    ? readdirSync(examplesDir).filter((f) => f.endsWith('.load.ts')).sort()
    : [];
  if (files.length === 0) {
    process.stderr.write(`no examples found in ${examplesDir}\n`);
    return ExitCode.internal;
  }
  const server = await startDemoServer();
  process.stderr.write(`${cyan('Loadlens demo', display.color)}: demo shop API on ${server.url}; running ${files.join(', ')}\n\n`);
  const codes: number[] = [];
  try {
    for (const f of files) {
      const code = await runInRunner({ file: join(examplesDir, f), target: server.url }, display);
      codes.push(code);
      if (code === ExitCode.cancelled) break;
    }
  } finally {
    await server.close();
  }
  const code = worstExitCode(codes);
  process.stderr.write(`\n${dim(`demo finished: exit code ${code}; write your own: see examples/ and README.md`, display.color)}\n`);
  return code;
}

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(argv, Boolean(process.stdout.isTTY));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`loadlens: ${escapeControlLines(err.message)}\n\n${USAGE}\n`);
    return ExitCode.badOptions;
  }
  try {
    switch (command.name) {
      case 'help':
        process.stdout.write(USAGE + '\n');
        return ExitCode.ok;
      case 'version':
        process.stdout.write(version() + '\n');
        return ExitCode.ok;
      case 'list':
        return await list(scenarioFile(command.file), command.display);
      case 'report':
        return await report(command.inputs, command.outPath);
      case 'demo':
        return await demo(command.display);
      case 'convert':
        return convert(command);
      case 'compare': {
        // Loaded only for this command, as the agent is: a run's start-up does not pay for it.
        const { compareCommand } = await import('./compare');
        return compareCommand(command);
      }
      case 'k8s':
        return await k8s(command);
      case 'agent': {
        const { runAgent } = await import('../runner/cluster/agent');
        return await runAgent({ nats: command.nats, serve: command.serve, credsFile: command.credsFile, log: (m) => process.stderr.write(`loadlens agent: ${escapeControlLines(m)}\n`) });
      }
      case 'run':
        return await runInRunner(
          {
            file: scenarioFile(command.file),
            scenarios: command.scenarios,
            overrides: command.overrides,
            target: command.target,
            env: command.env,
            outputs: command.outputs.map((o) => (o.kind === 'json' ? { ...o, path: resolve(o.path) } : o)),
            summaryExportPath: command.summaryExportPath && resolve(command.summaryExportPath),
            junitPath: command.junitPath && resolve(command.junitPath),
            summaryMdPath: command.summaryMdPath && resolve(command.summaryMdPath),
            // GitHub Actions' job page: each step appends its Markdown to this file.
            stepSummaryPath: process.env.GITHUB_STEP_SUMMARY ? resolve(process.env.GITHUB_STEP_SUMMARY) : undefined,
            reportPath: command.reportPath && resolve(command.reportPath),
            workers: command.workers,
            cluster: command.cluster,
            ...(command.httpDebug && { httpDebug: command.httpDebug }),
          },
          command.display,
          command.save ?? true,
        );
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof K8sError || err instanceof HarError || err instanceof ReportInputError || err instanceof OutputPathError) {
      process.stderr.write(`loadlens: ${escapeControlLines(err.message)}\n`);
      return ExitCode.badOptions;
    }
    throw err;
  }
}

// dist/cli.js is the program itself (run directly or required by bin/loadlens.js). It exits
// explicitly: a scenario may leave timers or sockets behind, which must not keep the CLI alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`loadlens: internal error: ${escapeControlLines(String(err.stack ?? err))}\n`);
    process.exit(ExitCode.internal);
  },
);

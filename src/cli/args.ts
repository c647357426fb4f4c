// Command-line parsing for `loadlens`: turns argv into a typed command, or a UsageError whose
// message names the flag, the value and what is allowed (exit code 2).

import { parseArgs } from 'node:util';
import { basename, resolve } from 'node:path';
import { parseDuration } from '../engine/duration';
import type { ClusterOptions, LoadOverrides, OutSpec } from '../protocol';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface DisplayOptions {
  color: boolean;
  quiet: boolean;
}

export type Command =
  | {
      name: 'run';
      file: string;
      /** --scenario NAME, repeatable: these run together; every scenario of the file when empty. */
      scenarios?: string[];
      overrides: LoadOverrides;
      env: Record<string, string>;
      target?: string;
      summaryExportPath?: string;
      /** --out, in order (JSON paths as given, not yet resolved). */
      outputs: OutSpec[];
      junitPath?: string;
      summaryMdPath?: string;
      /** --report: the HTML report's path. */
      reportPath?: string;
      /** False with --no-save: the run is not saved under .loadlens/runs/ (default: saved). */
      save?: boolean;
      workers?: number;
      cluster?: ClusterOptions;
      /** --http-debug (heads) or --http-debug=full (with bodies). */
      httpDebug?: 'headers' | 'full';
      display: DisplayOptions;
    }
  | { name: 'agent'; nats: string; serve: boolean; credsFile?: string; display: DisplayOptions }
  | { name: 'list'; file: string; display: DisplayOptions }
  | { name: 'convert'; file: string; output?: string; includeStatic: boolean; force: boolean }
  | CompareCommand
  /** `loadlens report RUN... -o FILE`: the HTML report of saved runs or --out files. */
  | { name: 'report'; inputs: string[]; outPath: string }
  | K8sCommand
  | { name: 'demo'; display: DisplayOptions }
  | { name: 'help' }
  | { name: 'version' };

/** `loadlens compare BASE NEW [--fail-on RULE]... [--json] [--scenario NAME]`. */
export interface CompareCommand {
  name: 'compare';
  base: string;
  new: string;
  /** --fail-on rules as written (parsed by src/report/compare.ts). */
  failOn: string[];
  json: boolean;
  scenario?: string;
  display: DisplayOptions;
}

/** `loadlens k8s FILE --agents N --image IMAGE`: prints the manifests of a distributed run. */
export interface K8sCommand {
  name: 'k8s';
  file: string;
  agents: number;
  image: string;
  /** An existing NATS server; none: a NATS Deployment + Service is generated. */
  natsUrl?: string;
  /** An existing Secret whose key `token` is the NATS token; none: a generated Secret. */
  natsTokenSecret?: string;
  natsImage?: string;
  agentsTimeout?: string;
  agentCpu: string;
  agentMemory: string;
  coordinatorCpu: string;
  coordinatorMemory: string;
  namespace?: string;
  runId?: string;
  deadline?: string;
  ttl: string;
  scenarioInImage?: string;
  scenario?: string;
  overrides: LoadOverrides;
  /** The `run` options for the coordinator's command line, as given. */
  runArgs: string[];
}

export const USAGE = `Usage:
  loadlens run FILE [options]    run the scenarios exported by FILE (*.load.ts)
  loadlens list FILE             list FILE's scenarios and their load shapes (runs nothing)
  loadlens report RUN... [-o F]  the HTML report (default report.html) of saved runs (a file or
                                 an id in .loadlens/runs/) or --out files
  loadlens demo                  run examples/ against the embedded demo API on loopback
  loadlens k8s FILE --agents N --image IMAGE
                                 print Kubernetes manifests of a distributed run of FILE
                                 (for kubectl apply -f -; see README "Run on Kubernetes")
  loadlens agent --nats URL      wait for a distributed run, run its share, exit (--serve: keep serving)
  loadlens convert REC.har [-o OUT.load.ts] [--include-static] [--force]
                                 write a scenario that replays a browser recording (HAR 1.2);
                                 default OUT: REC.load.ts next to it (--force: overwrite)
  loadlens compare BASE NEW      deltas between two runs (--summary-export files or saved runs);
                                 --fail-on RULE (repeatable) exits 99 on a regression, --json,
                                 --scenario NAME (see README "Comparing runs")

Options for run:
  --scenario NAME                run only this exported scenario; repeat it to run several
                                 together (default: every scenario, together)
  --vus N                        override the VU count (closed model) or maxVUs (open model)
  --duration D                   override the duration, e.g. 30s, 2m (a bare number is seconds)
  --rate R                       override the arrival rate (iterations per second, open model)
  --iterations N                 override the total iterations (closed model, shared by the VUs)
  --target URL                   base URL for every scenario (replaces the scenario's target)
  -e, --env KEY=VALUE            set env.KEY for setup() and iteration(); repeatable
  --summary-export PATH          write the k6-style summary JSON to PATH
  --out [json=]PATH              write JSON lines: one record per second, then the summary
  --out prometheus=URL           send the metrics live to Prometheus remote write, e.g.
                                 http://127.0.0.1:9090/api/v1/write (label testid: LOADLENS_TESTID,
                                 from -e or the environment; default FILE-DATE); --out is repeatable
  --junit PATH                   write JUnit XML to PATH: a test case per threshold and per check
  --summary-md PATH              write a Markdown summary to PATH (also appended to
                                 $GITHUB_STEP_SUMMARY when it is set)
  --report PATH                  write a self-contained HTML report (charts, analysis) to PATH
  --no-save                      do not save the run under .loadlens/runs/
  --workers N                    worker processes on this machine (default: cores - 1, at least 1)
  --nats URL                     distributed run through NATS: nats://TOKEN@host:4222, nats://USER:PASS@host:4222, tls://...
  --agents N                     with --nats: how many agents run the load (each one execution segment)
  --agents-timeout D             with --nats: how long to wait for the agents to join (default 60s; exit 110)
  --nats-creds FILE              with --nats (run or agent): a NATS credentials file (JWT and nkey seed)
  --http-debug[=full]            print each request and response on stderr (=full: with bodies);
                                 authorization and cookie values are redacted
  --no-color                     plain text output
  --quiet                        no live line, only the summary
  -h, --help, --version

Options for k8s (and run's --scenario, --vus, --duration, --rate, --iterations, --target, -e,
which the coordinator's run gets):
  --agents N                     agent pods (an Indexed Job of N)
  --image IMAGE                  the loadlens image the pods run (see the Dockerfile)
  --nats URL                     an existing NATS server (default: a NATS Deployment + Service)
  --nats-token-secret NAME       an existing Secret whose key "token" is the NATS token
                                 (default: a Secret with a random token, new each time)
  --nats-image IMAGE             the NATS server image (default: nats:2.10-alpine)
  --agents-timeout D             how long the coordinator waits for the agents to join
  --agent-cpu Q, --agent-memory Q          each agent's CPU and memory (default: 1, 1Gi)
  --coordinator-cpu Q, --coordinator-memory Q   the coordinator's (default: 500m, 512Mi)
  --namespace NS                 the objects' namespace (default: kubectl's current one)
  --run-id ID                    names the objects loadlens-ID-* (default: FILE's name + random)
  --deadline D                   the Jobs' activeDeadlineSeconds (default: planned duration
                                 + agents timeout + 5m)
  --ttl D                        delete the finished Jobs after D (default: 1h)
  --scenario-in-image PATH       the scenario is baked into IMAGE at PATH: no ConfigMap`;

function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: got "${text}"; expected a whole number >= 1`);
  return n;
}

function positiveNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: got "${text}"; expected a number > 0`);
  return n;
}

function durationText(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    if (parseDuration(text, flag) <= 0) throw new Error('zero');
  } catch {
    throw new UsageError(`${flag}: got "${text}"; expected a duration > 0 such as 30s, 2m, 250ms, 1h30m or a number of seconds`);
  }
  return text;
}

/** A Kubernetes resource quantity such as 500m, 1, 1.5, 512Mi, 2Gi. */
function quantity(flag: string, text: string | undefined, fallback: string): string {
  if (text === undefined) return fallback;
  if (!/^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.test(text) || Number(text.replace(/[a-zA-Z]+$/, '')) <= 0) {
    throw new UsageError(`${flag}: got "${text}"; expected a Kubernetes quantity > 0 such as 500m, 2, 512Mi or 2Gi`);
  }
  return text;
}

// --agents, --nats and --agents-timeout are not listed: `run` takes them too (the coordinator of a
// distributed run), and parses them itself.
const K8S_ONLY = ['image', 'nats-token-secret', 'nats-image', 'agent-cpu', 'agent-memory',
  'coordinator-cpu', 'coordinator-memory', 'namespace', 'run-id', 'deadline', 'ttl', 'scenario-in-image'] as const;
const NOT_FOR_K8S = ['summary-export', 'junit', 'summary-md', 'out', 'report', 'workers', 'no-color', 'quiet', 'http-debug'] as const;

function envPairs(list: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of list ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`-e: got "${pair}"; expected KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function targetUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--target: got "${text}"; expected an absolute http(s) URL such as http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--target: got "${text}"; expected an http:// or https:// URL`);
  }
  return text;
}

/** A NATS server URL, for `run --nats`, `agent` and `k8s` alike (the Node client speaks nats:// and tls://). */
function natsUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--nats: got "${text}"; expected a URL such as nats://TOKEN@host:4222`);
  }
  if ((url.protocol !== 'nats:' && url.protocol !== 'tls:') || !url.hostname) throw new UsageError(`--nats: got "${text}"; expected a nats:// or tls:// URL with a host`);
  return text;
}

/** The `testid` label of a Prometheus output: LOADLENS_TESTID (-e first), else FILE-YYYYMMDD-HHMMSS (UTC). */
function testidFor(file: string, env: Record<string, string>): string {
  const given = env.LOADLENS_TESTID ?? process.env.LOADLENS_TESTID;
  if (given !== undefined) {
    if (given.trim() === '') throw new UsageError('LOADLENS_TESTID: is empty; expected a name for this run (the testid label)');
    return given;
  }
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `${basename(file).replace(/\.load\.ts$/, '')}-${stamp}`;
}

const OUT_KINDS = 'json=PATH (or a bare PATH) or prometheus=URL';

/** One --out value: `json=PATH`, `prometheus=URL`, or a bare PATH (JSON lines). */
function outSpec(text: string, testid: () => string): OutSpec {
  const typed = /^([a-z][a-z0-9-]*)=(.*)$/s.exec(text);
  if (typed === null) {
    if (text === '') throw new UsageError(`--out: got ""; expected ${OUT_KINDS}`);
    return { kind: 'json', path: text };
  }
  const [, kind, value] = typed;
  if (kind === 'json') {
    if (value === '') throw new UsageError(`--out: got "${text}"; expected a path after json=`);
    return { kind: 'json', path: value };
  }
  if (kind === 'prometheus') {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      // Reported below.
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(`--out: got "${text}"; expected prometheus=URL with an http(s) URL of a remote write endpoint, e.g. prometheus=http://127.0.0.1:9090/api/v1/write`);
    }
    return { kind: 'prometheus', url: value, testid: testid() };
  }
  throw new UsageError(`--out: got "${text}"; unknown output "${kind}", expected ${OUT_KINDS} (a file whose name holds "=": json=${text})`);
}

function httpDebugMode(text: string): 'headers' | 'full' {
  if (text === 'headers' || text === 'full') return text;
  throw new UsageError(`--http-debug: got "${text}"; expected --http-debug (heads) or --http-debug=full (with bodies)`);
}

export function parseCommand(argv: string[], isTTY: boolean): Command {
  let parsed;
  try {
    parsed = parseArgs({
      // A bare --http-debug is heads only (parseArgs has no optional values).
      args: argv.map((a) => (a === '--http-debug' ? '--http-debug=headers' : a)),
      allowPositionals: true,
      strict: true,
      options: {
        scenario: { type: 'string', multiple: true },
        vus: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        iterations: { type: 'string' },
        target: { type: 'string' },
        env: { type: 'string', short: 'e', multiple: true },
        'summary-export': { type: 'string' },
        out: { type: 'string', multiple: true },
        junit: { type: 'string' },
        'summary-md': { type: 'string' },
        'fail-on': { type: 'string', multiple: true },
        json: { type: 'boolean' },
        report: { type: 'string' },
        'no-save': { type: 'boolean' },
        workers: { type: 'string' },
        agents: { type: 'string' },
        image: { type: 'string' },
        nats: { type: 'string' },
        'nats-token-secret': { type: 'string' },
        'nats-image': { type: 'string' },
        'agents-timeout': { type: 'string' },
        'agent-cpu': { type: 'string' },
        'agent-memory': { type: 'string' },
        'coordinator-cpu': { type: 'string' },
        'coordinator-memory': { type: 'string' },
        namespace: { type: 'string' },
        'run-id': { type: 'string' },
        deadline: { type: 'string' },
        ttl: { type: 'string' },
        'scenario-in-image': { type: 'string' },
        serve: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        'include-static': { type: 'boolean' },
        force: { type: 'boolean' },
        'nats-creds': { type: 'string' },
        'no-color': { type: 'boolean' },
        'http-debug': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { name: 'help' };
  if (v.version) return { name: 'version' };
  const [command, ...rest] = positionals;
  // NO_COLOR (no-color.org) turns colour off; FORCE_COLOR (not '0') turns it on off a terminal, e.g. in CI logs.
  const force = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0' && process.env.FORCE_COLOR !== 'false';
  const display: DisplayOptions = {
    color: !v['no-color'] && (isTTY || force) && !process.env.NO_COLOR,
    quiet: Boolean(v.quiet),
  };
  if (command === undefined) return { name: 'help' };

  const needFile = () => {
    if (rest.length === 0) throw new UsageError(`${command}: missing FILE (a *.load.ts scenario file)`);
    if (rest.length > 1) throw new UsageError(`${command}: expected one FILE, got ${rest.length}: ${rest.join(' ')}`);
    return rest[0];
  };

  if (v.output !== undefined && command !== 'report' && command !== 'convert') throw new UsageError('-o/--output: only for the report and convert commands (run takes --report PATH)');
  for (const flag of ['include-static', 'force'] as const) {
    if (v[flag] !== undefined && command !== 'convert') throw new UsageError(`--${flag}: only for the convert command`);
  }
  if (command !== 'k8s') {
    const wrong = K8S_ONLY.find((f) => v[f] !== undefined);
    if (wrong) throw new UsageError(`--${wrong}: only for the k8s command`);
  }
  if (command !== 'compare') {
    const wrong = (['fail-on', 'json'] as const).find((f) => v[f] !== undefined);
    if (wrong) throw new UsageError(`--${wrong}: only for the compare command`);
  }

  switch (command) {
    case 'k8s': {
      const wrong = NOT_FOR_K8S.find((f) => v[f] !== undefined);
      if (wrong) throw new UsageError(`k8s: --${wrong} does not apply (the coordinator's output is its pod's log)`);
      const file = needFile();
      if (v.image === undefined || v.image === '') throw new UsageError('k8s: missing --image IMAGE (the loadlens image the pods run; see the Dockerfile)');
      if (v.agents === undefined) throw new UsageError('k8s: missing --agents N (how many agent pods)');
      const overrides = {
        vus: positiveInt('--vus', v.vus),
        duration: durationText('--duration', v.duration),
        rate: positiveNumber('--rate', v.rate),
        iterations: positiveInt('--iterations', v.iterations),
      };
      const env = envPairs(v.env);
      // The coordinator's agents take one scenario at a time: a k8s run names at most one.
      if ((v.scenario?.length ?? 0) > 1) throw new UsageError(`k8s: --scenario is given ${v.scenario!.length} times; a Kubernetes run takes one scenario (or none: every scenario in turn)`);
      const scenario = v.scenario?.[0];
      const runArgs: string[] = [];
      if (scenario !== undefined) runArgs.push('--scenario', scenario);
      for (const flag of ['vus', 'duration', 'rate', 'iterations'] as const) if (v[flag] !== undefined) runArgs.push(`--${flag}`, v[flag]);
      if (v.target !== undefined) runArgs.push('--target', targetUrl(v.target)!);
      for (const [k, val] of Object.entries(env)) runArgs.push('-e', `${k}=${val}`);
      if (v['nats-token-secret'] !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v['nats-token-secret'])) {
        throw new UsageError(`--nats-token-secret: got "${v['nats-token-secret']}"; expected a Secret name (lower-case letters, digits, '-', '.')`);
      }
      if (v.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.namespace)) {
        throw new UsageError(`--namespace: got "${v.namespace}"; expected a namespace name (lower-case letters, digits, '-')`);
      }
      if (v['scenario-in-image'] !== undefined && !v['scenario-in-image'].startsWith('/')) {
        throw new UsageError(`--scenario-in-image: got "${v['scenario-in-image']}"; expected an absolute path inside the image`);
      }
      return {
        name: 'k8s',
        file,
        agents: positiveInt('--agents', v.agents)!,
        image: v.image,
        natsUrl: v.nats !== undefined ? natsUrl(v.nats) : undefined,
        natsTokenSecret: v['nats-token-secret'],
        natsImage: v['nats-image'],
        agentsTimeout: durationText('--agents-timeout', v['agents-timeout']),
        agentCpu: quantity('--agent-cpu', v['agent-cpu'], '1'),
        agentMemory: quantity('--agent-memory', v['agent-memory'], '1Gi'),
        coordinatorCpu: quantity('--coordinator-cpu', v['coordinator-cpu'], '500m'),
        coordinatorMemory: quantity('--coordinator-memory', v['coordinator-memory'], '512Mi'),
        namespace: v.namespace,
        runId: v['run-id'],
        deadline: durationText('--deadline', v.deadline),
        ttl: durationText('--ttl', v.ttl) ?? '1h',
        scenarioInImage: v['scenario-in-image'],
        scenario,
        overrides,
        runArgs,
      };
    }
    case 'agent':
      if (rest.length) throw new UsageError(`agent: takes no FILE (got ${rest.join(' ')}); the coordinator sends the scenario`);
      if (!v.nats) throw new UsageError('agent: missing --nats URL (e.g. nats://TOKEN@host:4222)');
      return { name: 'agent', nats: natsUrl(v.nats), serve: Boolean(v.serve), ...(v['nats-creds'] !== undefined && { credsFile: v['nats-creds'] }), display };
    case 'run': {
      if ((v.agents || v['agents-timeout'] || v['nats-creds']) && !v.nats) throw new UsageError('--agents, --agents-timeout and --nats-creds need --nats URL');
      if (v.nats && v['http-debug'] !== undefined) throw new UsageError('--http-debug and --nats do not go together: debug a scenario on this machine (each agent would print to its own log)');
      if (v.nats && v.workers) throw new UsageError('--workers and --nats do not go together: each agent runs its segment in one worker process');
      const cluster: ClusterOptions | undefined = v.nats
        ? {
            nats: natsUrl(v.nats),
            agents: positiveInt('--agents', v.agents) ?? 1,
            agentsTimeoutMs: parseDuration(durationText('--agents-timeout', v['agents-timeout']) ?? '60s', '--agents-timeout'),
            ...(v['nats-creds'] !== undefined && { credsFile: resolve(v['nats-creds']) }),
          }
        : undefined;
      const file = needFile();
      const env = envPairs(v.env);
      return {
        name: 'run',
        file,
        scenarios: v.scenario,
        overrides: {
          vus: positiveInt('--vus', v.vus),
          duration: durationText('--duration', v.duration),
          rate: positiveNumber('--rate', v.rate),
          iterations: positiveInt('--iterations', v.iterations),
        },
        env,
        target: targetUrl(v.target),
        summaryExportPath: v['summary-export'],
        outputs: (v.out ?? []).map((o) => outSpec(o, () => testidFor(file, env))),
        junitPath: v.junit,
        summaryMdPath: v['summary-md'],
        ...(v.report !== undefined && { reportPath: v.report }),
        ...(v['no-save'] && { save: false }),
        workers: positiveInt('--workers', v.workers),
        ...(cluster && { cluster }),
        ...(v['http-debug'] !== undefined && { httpDebug: httpDebugMode(v['http-debug']) }),
        display,
      };
    }
    case 'list':
      return { name: 'list', file: needFile(), display };
    case 'convert':
      if (rest.length !== 1) throw new UsageError(`convert: expected one recording (a .har file), got ${rest.length ? rest.join(' ') : 'none'}`);
      return { name: 'convert', file: rest[0], output: v.output, includeStatic: Boolean(v['include-static']), force: Boolean(v.force) };
    case 'compare': {
      if (rest.length !== 2) throw new UsageError(`compare: expected BASE and NEW (two --summary-export files or saved runs), got ${rest.length}${rest.length ? `: ${rest.join(' ')}` : ''}`);
      const runOnly = Object.keys(v).find((k) => !['fail-on', 'json', 'scenario', 'no-color', 'quiet'].includes(k));
      if (runOnly) throw new UsageError(`compare: --${runOnly} does not apply (compare takes --fail-on, --json, --scenario)`);
      if ((v.scenario?.length ?? 0) > 1) throw new UsageError(`compare: --scenario takes one scenario, got ${v.scenario!.join(', ')}`);
      return { name: 'compare', base: rest[0], new: rest[1], failOn: v['fail-on'] ?? [], json: Boolean(v.json), scenario: v.scenario?.[0], display };
    }
    case 'report':
      if (rest.length === 0) throw new UsageError('report: missing RUN (a saved run: .loadlens/runs/<id>.json or its id; or an --out file)');
      return { name: 'report', inputs: rest, outPath: v.output ?? 'report.html' };
    case 'demo':
      if (rest.length) throw new UsageError(`demo: takes no FILE (got ${rest.join(' ')})`);
      return { name: 'demo', display };
    default:
      throw new UsageError(`unknown command "${command}"; expected run, list, report, compare, convert, demo, agent or k8s`);
  }
}

// `loadlens k8s FILE --agents N --image IMAGE`: the Kubernetes manifests of one distributed run,
// printed as multi-document YAML for `kubectl apply -f -`. buildManifests() is a pure function
// from options to API objects (tested against the Kubernetes OpenAPI schemas); toYaml() renders
// them without a YAML library (the CLI bundle stays small).
//
// What runs (the cluster commands of the "Distributed runs" issue):
//   - NATS with JetStream (Deployment + Service, token auth), unless --nats URL names one;
//   - the agents: an Indexed Job, parallelism = completions = N, backoffLimit 0 (a retried pod
//     would add load the plan does not count), each pod `loadlens agent --nats URL`;
//   - the coordinator: a Job of one pod, `loadlens run /scenario/FILE --nats URL --agents N ...`,
//     backoffLimit 0; its exit code is the run's (thresholds failed: 99...), so the Job's
//     Complete/Failed condition is the verdict `kubectl wait` and CI read;
//   - the scenario as a ConfigMap holding the esbuild bundle of FILE (one file, no relative
//     imports; `loadlens` stays an import the runner resolves), mounted at /scenario. The
//     coordinator bundles it again and publishes it to the agents over NATS, so agents mount
//     nothing. A bundle over SCENARIO_LIMIT bytes is refused with the Dockerfile lines that bake
//     the scenario into an image instead (--scenario-in-image PATH then skips the ConfigMap).

import { randomBytes } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { parseDuration } from '../engine/duration';
import type { K8sCommand } from './args';

/** ConfigMaps hold at most 1 MiB of data; this leaves room for the object's other fields. */
export const SCENARIO_LIMIT = 1024 * 1024 - 16 * 1024;
/** `kubectl apply` (client side) copies the object into an annotation capped at 256 KiB. */
export const CLIENT_APPLY_LIMIT = 256 * 1024 - 8 * 1024;

export const DEFAULT_NATS_IMAGE = 'nats:2.10-alpine';
export const SCENARIO_DIR = '/scenario';
const NATS_PORT = 4222;
const NATS_MONITOR_PORT = 8222;
/** The `node` user of the node images (the Dockerfile's USER). */
const RUN_AS_USER = 1000;

export class K8sError extends Error {
  override name = 'K8sError';
}

/** What the manifests are made from: the command's own options (one owner: K8sCommand), resolved. */
export interface K8sOptions
  extends Pick<K8sCommand, 'file' | 'agents' | 'image' | 'namespace' | 'natsUrl' | 'natsTokenSecret' | 'natsImage' | 'agentsTimeout'
    | 'agentCpu' | 'agentMemory' | 'coordinatorCpu' | 'coordinatorMemory' | 'scenarioInImage' | 'runArgs'> {
  /** Identifies this run's objects (names and the app.kubernetes.io/instance label). */
  runId: string;
  /** The generated token (used when natsTokenSecret is not given and NATS is generated). */
  token?: string;
  /** Whole seconds; the Jobs' activeDeadlineSeconds. */
  deadlineSeconds: number;
  /** Whole seconds; the Jobs' ttlSecondsAfterFinished. */
  ttlSeconds: number;
  /** The bundled scenario (ConfigMap); omitted when scenarioInImage is given. */
  bundle?: string;
}

// A Kubernetes object as plain data: what kubectl reads, and what the schema tests validate.
export type K8sObject = { apiVersion: string; kind: string; metadata: Record<string, unknown>; [k: string]: unknown };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A run id from the file name: `checkout.load.ts` → `checkout-x7k2p` (DNS label, ≤ 20 chars). */
export function newRunId(file: string, random = randomBytes(5)): string {
  const stem = basename(file).replace(/\.load\.[cm]?[jt]s$|\.[cm]?[jt]s$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const slug = stem.replace(/^-+|-+$/g, '').slice(0, 14).replace(/-+$/, '') || 'run';
  const suffix = [...random].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('').slice(0, 5);
  return `${slug}-${suffix}`;
}

export function checkRunId(id: string): string {
  if (id.length > 30 || !DNS_LABEL.test(id)) {
    throw new K8sError(`--run-id: got "${id}"; expected at most 30 lower-case letters, digits and '-', starting and ending with a letter or digit`);
  }
  return id;
}

/** A random NATS token: hex, so it can stand in a nats:// URL as it is. */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}

/** The ConfigMap key (and mounted file name) for the scenario: `[-._a-zA-Z0-9]+`. */
export function scenarioKey(file: string): string {
  const key = basename(file).replace(/[^-._a-zA-Z0-9]/g, '-');
  return key === '' || key === '.' || key === '..' ? 'scenario.load.ts' : key;
}

/** The Dockerfile lines that bake a scenario (and its folder) into an image of its own. */
export function bakeInstructions(file: string, image: string): string {
  const name = basename(file);
  return [
    `# Dockerfile next to ${name}: the scenario, its local imports and data files in the image`,
    `FROM ${image}`,
    'WORKDIR /scenario',
    'COPY --chown=node:node . /scenario',
    '# only if the scenario imports npm packages:',
    '# RUN npm ci --omit=dev',
    '',
    `then: docker build -t ${image}-scenario . and`,
    `  loadlens k8s ${name} --image ${image}-scenario --scenario-in-image /scenario/${name} ...`,
  ].join('\n');
}

/** Refuses a bundle that a ConfigMap cannot hold, saying how to bake it into the image instead. */
export function checkBundleSize(bundle: string, file: string, image: string): void {
  const bytes = Buffer.byteLength(bundle, 'utf8');
  if (bytes > SCENARIO_LIMIT) {
    throw new K8sError(
      `${basename(file)}: the bundled scenario is ${bytes} bytes; a ConfigMap holds at most ${SCENARIO_LIMIT} ` +
        `(1 MiB less room for the object). Bake it into an image instead:\n\n${bakeInstructions(file, image)}`,
    );
  }
}

function natsUrlFor(o: K8sOptions, names: Names): string {
  if (o.natsUrl === undefined) return `nats://$(LOADLENS_NATS_TOKEN)@${names.nats}:${NATS_PORT}`;
  if (o.natsTokenSecret === undefined) return o.natsUrl;
  const url = new URL(o.natsUrl);
  if (url.username || url.password) {
    throw new K8sError(`--nats: the URL carries credentials and --nats-token-secret names a token; give one of them`);
  }
  return o.natsUrl.replace('://', '://$(LOADLENS_NATS_TOKEN)@');
}

/** host:port the pods wait for before they start (an init container). */
function natsAddress(o: K8sOptions, names: Names): { host: string; port: number } {
  if (o.natsUrl === undefined) return { host: names.nats, port: NATS_PORT };
  const url = new URL(o.natsUrl);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || NATS_PORT) };
}

interface Names {
  nats: string;
  token: string;
  scenario: string;
  agents: string;
  coordinator: string;
}

export function objectNames(runId: string): Names {
  const p = `loadlens-${runId}`;
  return { nats: `${p}-nats`, token: `${p}-nats-token`, scenario: `${p}-scenario`, agents: `${p}-agents`, coordinator: `${p}-coordinator` };
}

function labels(runId: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'loadlens',
    'app.kubernetes.io/instance': runId,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/managed-by': 'loadlens',
  };
}

function meta(o: K8sOptions, name: string, component: string): Record<string, unknown> {
  return { name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: labels(o.runId, component) };
}

// Waits (up to 10 minutes) until NATS accepts TCP connections: the agents and the coordinator
// start together with NATS, and a pod that failed to connect is not retried (backoffLimit 0).
const WAIT_FOR_NATS = [
  "const net = require('node:net');",
  'const host = process.env.NATS_HOST, port = Number(process.env.NATS_PORT), until = Date.now() + 600e3;',
  '(function attempt() {',
  '  const s = net.connect(port, host, () => { s.end(); console.log(`NATS at ${host}:${port} is up`); process.exit(0); });',
  "  s.on('error', () => { s.destroy(); if (Date.now() > until) { console.error(`NATS at ${host}:${port}: no answer in 10 minutes`); process.exit(1); } setTimeout(attempt, 1000); });",
  '})();',
].join('\n');

function securityContext(): Record<string, unknown> {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
}

function tokenEnv(o: K8sOptions, names: Names): Array<Record<string, unknown>> {
  if (o.natsUrl !== undefined && o.natsTokenSecret === undefined) return [];
  const secret = o.natsTokenSecret ?? names.token;
  return [{ name: 'LOADLENS_NATS_TOKEN', valueFrom: { secretKeyRef: { name: secret, key: 'token' } } }];
}

function podSpec(
  o: K8sOptions,
  names: Names,
  container: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const { host, port } = natsAddress(o, names);
  return {
    restartPolicy: 'Never',
    securityContext: { runAsNonRoot: true, runAsUser: RUN_AS_USER, runAsGroup: RUN_AS_USER },
    initContainers: [
      {
        name: 'wait-for-nats',
        image: o.image,
        command: ['node', '-e', WAIT_FOR_NATS],
        env: [
          { name: 'NATS_HOST', value: host },
          { name: 'NATS_PORT', value: String(port) },
        ],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
        securityContext: securityContext(),
      },
    ],
    containers: [{ ...container, securityContext: securityContext() }],
    ...extra,
  };
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, m: 1e-3 };

/** A memory quantity (512Mi, 2Gi, 1G, 1e9...) in bytes; NaN when it is not one. */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)([a-zA-Z]*)$/.exec(q);
  if (!m || !(m[2] in UNITS)) return NaN;
  return Number(m[1]) * UNITS[m[2]];
}

/**
 * LOADLENS_MAX_HEAP_MB for a container limited to `memory`: 3/4 of it for the scenario thread's
 * heap, so running out of memory ends the run with its summary (exit 107) before the kernel's
 * OOM killer ends the pod with nothing.
 */
export function heapEnv(memory: string): Array<Record<string, unknown>> {
  const mb = Math.floor((quantityBytes(memory) * 0.75) / 2 ** 20);
  return Number.isFinite(mb) && mb >= 64 ? [{ name: 'LOADLENS_MAX_HEAP_MB', value: String(mb) }] : [];
}

function resources(cpu: string, memory: string): Record<string, unknown> {
  // Requests = limits: Guaranteed QoS, so a load generator's measurements are not at the mercy
  // of its neighbours' bursts, and the scheduler places it only where the CPU really is.
  return { requests: { cpu, memory }, limits: { cpu, memory } };
}

/** The objects of one run, in the order kubectl should create them. */
export function buildManifests(o: K8sOptions): K8sObject[] {
  if (!Number.isInteger(o.agents) || o.agents < 1) throw new K8sError(`--agents: got ${o.agents}; expected a whole number >= 1`);
  checkRunId(o.runId);
  const names = objectNames(o.runId);
  const objects: K8sObject[] = [];
  const natsUrl = natsUrlFor(o, names);
  const generatedNats = o.natsUrl === undefined;

  if (generatedNats && o.natsTokenSecret === undefined) {
    if (!o.token) throw new K8sError('internal: no NATS token');
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(o, names.token, 'nats-token'),
      type: 'Opaque',
      stringData: { token: o.token },
    });
  }

  let scenarioPath: string;
  if (o.scenarioInImage !== undefined) {
    scenarioPath = o.scenarioInImage;
  } else {
    if (o.bundle === undefined) throw new K8sError('internal: no bundled scenario');
    checkBundleSize(o.bundle, o.file, o.image);
    const key = scenarioKey(o.file);
    scenarioPath = `${SCENARIO_DIR}/${key}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(o, names.scenario, 'scenario'),
      data: { [key]: o.bundle },
    });
  }

  if (generatedNats) {
    const natsLabels = labels(o.runId, 'nats');
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(o, names.nats, 'nats'),
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/instance': o.runId, 'app.kubernetes.io/component': 'nats' } },
        template: {
          metadata: { labels: natsLabels },
          spec: {
            containers: [
              {
                name: 'nats',
                image: o.natsImage ?? DEFAULT_NATS_IMAGE,
                // JetStream (the object store and streams the run uses), token auth, monitoring.
                args: ['--jetstream', '--store_dir', '/data', '--http_port', String(NATS_MONITOR_PORT), '--auth', '$(NATS_TOKEN)'],
                env: [{ name: 'NATS_TOKEN', valueFrom: { secretKeyRef: { name: o.natsTokenSecret ?? names.token, key: 'token' } } }],
                ports: [
                  { name: 'client', containerPort: NATS_PORT },
                  { name: 'monitor', containerPort: NATS_MONITOR_PORT },
                ],
                readinessProbe: {
                  httpGet: { path: '/healthz?js-enabled-only=true', port: 'monitor' },
                  periodSeconds: 2,
                  failureThreshold: 3,
                },
                resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                volumeMounts: [{ name: 'jetstream', mountPath: '/data' }],
                securityContext: securityContext(),
              },
            ],
            volumes: [{ name: 'jetstream', emptyDir: { sizeLimit: '1Gi' } }],
          },
        },
      },
    });
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(o, names.nats, 'nats'),
      spec: {
        selector: { 'app.kubernetes.io/instance': o.runId, 'app.kubernetes.io/component': 'nats' },
        ports: [
          { name: 'client', port: NATS_PORT, targetPort: 'client' },
          { name: 'monitor', port: NATS_MONITOR_PORT, targetPort: 'monitor' },
        ],
      },
    });
  }

  const common = [
    ...tokenEnv(o, names),
    { name: 'LOADLENS_RUN_ID', value: o.runId },
    { name: 'NO_COLOR', value: '1' },
  ];
  const jobSpec = (component: string, spec: Record<string, unknown>, pod: Record<string, unknown>) => ({
    ...spec,
    backoffLimit: 0,
    activeDeadlineSeconds: o.deadlineSeconds,
    ttlSecondsAfterFinished: o.ttlSeconds,
    template: { metadata: { labels: labels(o.runId, component) }, spec: pod },
  });

  objects.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(o, names.agents, 'agent'),
    spec: jobSpec(
      'agent',
      { completionMode: 'Indexed', completions: o.agents, parallelism: o.agents },
      podSpec(
        o,
        names,
        {
          name: 'agent',
          image: o.image,
          args: ['agent', '--nats', natsUrl],
          env: [
            ...common,
            ...heapEnv(o.agentMemory),
            // The completion index (0..N-1). The coordinator assigns segments as agents join; the
            // index names the pod in logs (JOB_COMPLETION_INDEX is the same number, set by Kubernetes).
            {
              name: 'LOADLENS_AGENT_INDEX',
              valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
            },
          ],
          resources: resources(o.agentCpu, o.agentMemory),
        },
        {
          // One agent per node where the cluster has room: a node's NIC and CPU are shared.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: { 'app.kubernetes.io/instance': o.runId, 'app.kubernetes.io/component': 'agent' } },
            },
          ],
        },
      ),
    ),
  });

  const coordinatorArgs = ['run', scenarioPath, '--nats', natsUrl, '--agents', String(o.agents)];
  if (o.agentsTimeout !== undefined) coordinatorArgs.push('--agents-timeout', o.agentsTimeout);
  coordinatorArgs.push(...o.runArgs);
  objects.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(o, names.coordinator, 'coordinator'),
    spec: jobSpec(
      'coordinator',
      { completions: 1, parallelism: 1 },
      podSpec(
        o,
        names,
        {
          name: 'coordinator',
          image: o.image,
          args: coordinatorArgs,
          env: [...common, ...heapEnv(o.coordinatorMemory)],
          resources: resources(o.coordinatorCpu, o.coordinatorMemory),
          ...(o.scenarioInImage === undefined ? { volumeMounts: [{ name: 'scenario', mountPath: SCENARIO_DIR, readOnly: true }] } : {}),
        },
        o.scenarioInImage === undefined ? { volumes: [{ name: 'scenario', configMap: { name: names.scenario } }] } : {},
      ),
    ),
  });
  return objects;
}

// --- YAML ---------------------------------------------------------------------------------------

const PLAIN = /^[A-Za-z_/][-A-Za-z0-9_./]*$/;
const YAML_WORDS = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;

/** A string as a YAML scalar: plain when unambiguous, a literal block for text, else JSON-quoted. */
function scalar(s: string, indent: string): string {
  if (PLAIN.test(s) && !YAML_WORDS.test(s)) return s;
  // A literal block keeps a scenario readable in `kubectl get cm -o yaml`; only for text whose
  // lines survive it exactly: no control characters but tab, no CR or BOM, no line of blanks only
  // and no blank at the start (both would be read as indentation).
  if (s.includes('\n') && !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(s) && !/^[ \t\n]|(^|\n)[ \t]+(\n|$)/.test(s)) {
    const chomp = s.endsWith('\n\n') ? '+' : s.endsWith('\n') ? '' : '-';
    const body = chomp === '-' ? s : s.slice(0, -1);
    return `|${chomp}\n` + body.split('\n').map((l) => (l === '' ? '' : indent + l)).join('\n');
  }
  return JSON.stringify(s);
}

function key(k: string): string {
  return PLAIN.test(k) && !YAML_WORDS.test(k) ? k : JSON.stringify(k);
}

function node(value: unknown, indent: string): string {
  if (typeof value === 'string') return ' ' + scalar(value, indent);
  if (typeof value === 'number' || typeof value === 'boolean') return ' ' + String(value);
  if (value === null || value === undefined) return ' null';
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value.map((v) => '\n' + indent + '-' + inline(v, indent + '  ')).join('');
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return ' {}';
  return entries.map(([k, v]) => '\n' + indent + key(k) + ':' + node(v, indent + '  ')).join('');
}

/** An array item: a mapping starts on the dash's line. */
function inline(value: unknown, indent: string): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    const text = node(value, indent);
    return ' ' + text.slice(1 + indent.length);
  }
  return node(value, indent);
}

/** One YAML document for one object. */
export function toYaml(value: Record<string, unknown>): string {
  return node(value, '').slice(1) + '\n';
}

/** Multi-document YAML, as kubectl reads it from stdin. */
export function renderManifests(objects: K8sObject[], header: string[] = []): string {
  return header.map((l) => `# ${l.replace(/[\r\n\u0085\u2028\u2029]/g, ' ')}\n`).join('') + objects.map((o) => '---\n' + toYaml(o)).join('');
}

// --- The command --------------------------------------------------------------------------------

/** FILE bundled into one ESM file: its relative imports and npm packages inlined, `loadlens` kept. */
export async function bundleForK8s(file: string): Promise<string> {
  const { build } = await import('esbuild');
  try {
    const result = await build({
      entryPoints: [file],
      absWorkingDir: dirname(file),
      write: false,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // The runner in the pod resolves `loadlens` to its own engine, as for any scenario file.
      external: ['loadlens'],
      logLevel: 'silent',
      banner: { js: `// ${basename(file).replace(/[\r\n\u2028\u2029]/g, ' ')}, bundled by \`loadlens k8s\` (its imports inlined) for the coordinator pod.` },
    });
    return result.outputFiles[0].text;
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors;
    if (!errors?.length) throw err;
    throw new K8sError(
      errors.map((m) => (m.location ? `${resolve(dirname(file), m.location.file)}:${m.location.line}:${m.location.column + 1}: ` : '') + m.text).join('\n'),
    );
  }
}

export interface PlannedScenario {
  scenario: string;
  plannedMs: number;
}

/** Seconds the Jobs may run: the planned load, the agents' join time and 5 minutes to spare. */
export function deadlineSeconds(command: K8sCommand, plans: PlannedScenario[] | undefined): number {
  if (command.deadline !== undefined) return Math.ceil(parseDuration(command.deadline, '--deadline') / 1000);
  const chosen = (plans ?? []).filter((p) => command.scenario === undefined || p.scenario === command.scenario);
  const perScenario = (p: PlannedScenario) => (command.overrides.duration !== undefined ? parseDuration(command.overrides.duration, '--duration') : p.plannedMs);
  const plannedMs = chosen.reduce((sum, p) => sum + perScenario(p), 0);
  const joinMs = parseDuration(command.agentsTimeout ?? '60s', '--agents-timeout');
  return Math.ceil((plannedMs + joinMs) / 1000) + 300;
}

export interface K8sOutput {
  yaml: string;
  /** What to tell the user on stderr: the objects, and the commands to follow the run. */
  notes: string[];
  objects: K8sObject[];
}

/**
 * The whole command but the printing: bundles FILE (unless it is in the image), computes the
 * deadline from `plans` (the scenarios' planned durations, from the runner's list), generates.
 */
export function k8sOutput(command: K8sCommand, bundle: string | undefined, plans: PlannedScenario[] | undefined, token = newToken()): K8sOutput {
  const runId = command.runId !== undefined ? checkRunId(command.runId) : newRunId(command.file);
  const objects = buildManifests({
    file: command.file,
    agents: command.agents,
    image: command.image,
    runId,
    namespace: command.namespace,
    natsUrl: command.natsUrl,
    natsTokenSecret: command.natsTokenSecret,
    token: command.natsUrl === undefined && command.natsTokenSecret === undefined ? token : undefined,
    natsImage: command.natsImage,
    agentsTimeout: command.agentsTimeout,
    agentCpu: command.agentCpu,
    agentMemory: command.agentMemory,
    coordinatorCpu: command.coordinatorCpu,
    coordinatorMemory: command.coordinatorMemory,
    deadlineSeconds: deadlineSeconds(command, plans),
    ttlSeconds: Math.ceil(parseDuration(command.ttl, '--ttl') / 1000),
    bundle,
    scenarioInImage: command.scenarioInImage,
    runArgs: command.runArgs,
  });
  const names = objectNames(runId);
  const ns = command.namespace ? ` -n ${command.namespace}` : '';
  const notes = [
    `run ${runId}: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    `follow it:  kubectl logs${ns} -f job/${names.coordinator}   (once its pod runs)`,
    `verdict:    kubectl wait${ns} --for=condition=complete --timeout=${deadlineSeconds(command, plans)}s job/${names.coordinator}`,
    `clean up:   kubectl delete${ns} job,deployment,service,configmap,secret -l app.kubernetes.io/instance=${runId}`,
  ];
  if (bundle !== undefined && Buffer.byteLength(bundle, 'utf8') > CLIENT_APPLY_LIMIT) {
    notes.push(
      `the bundled scenario is ${Buffer.byteLength(bundle, 'utf8')} bytes: client-side \`kubectl apply\` keeps a copy in an annotation capped at 256 KiB; ` +
        'use `kubectl apply --server-side -f -` or `kubectl create -f -`',
    );
  }
  if (command.natsUrl !== undefined && command.natsTokenSecret === undefined && /^[a-z]+:\/\/[^/]*@/i.test(command.natsUrl)) {
    notes.push('the --nats URL carries credentials, which the Jobs show to anyone who can read them; prefer --nats-token-secret');
  }
  const header = [
    `loadlens k8s ${basename(command.file)}: run ${runId}, ${command.agents} agent(s); apply with kubectl apply -f -`,
  ];
  return { yaml: renderManifests(objects, header), notes, objects };
}

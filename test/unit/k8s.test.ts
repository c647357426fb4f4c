// `loadlens k8s`: the generated objects (kinds, the Indexed Job, env, secret refs, resources, the
// coordinator's command line), their validity against the Kubernetes OpenAPI schemas, the YAML
// rendering (parsed back by a real YAML parser), and the options' usage errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments, parse } from 'yaml';
import { parseCommand, UsageError, type K8sCommand } from '../../src/cli/args';
import {
  K8sError,
  SCENARIO_LIMIT,
  buildManifests,
  deadlineSeconds,
  heapEnv,
  k8sOutput,
  quantityBytes,
  newRunId,
  renderManifests,
  scenarioKey,
  toYaml,
  type K8sObject,
  type K8sOptions,
} from '../../src/cli/k8s';
import { validateObject } from './helpers/k8s-schema';

const BUNDLE = "// bundled\nimport { scenario } from 'loadlens';\nexport const checkout = scenario({ load: { vus: 1, duration: '1s' }, async iteration() {} });\n";

function options(extra: Partial<K8sOptions> = {}): K8sOptions {
  return {
    file: 'checkout.load.ts',
    agents: 8,
    image: 'registry.example/loadlens:1.0',
    runId: 'checkout-ab12c',
    token: 'f00d',
    agentCpu: '2',
    agentMemory: '2Gi',
    coordinatorCpu: '500m',
    coordinatorMemory: '512Mi',
    deadlineSeconds: 900,
    ttlSeconds: 3600,
    bundle: BUNDLE,
    runArgs: ['--vus', '40', '-e', 'BASE=https://shop'],
    ...extra,
  };
}

function k8sCommand(argv: string[]): K8sCommand {
  const c = parseCommand(['k8s', ...argv], false);
  assert.equal(c.name, 'k8s');
  return c as K8sCommand;
}

type AnyRecord = Record<string, any>;
const byName = (objects: K8sObject[], kind: string, suffix: string) =>
  objects.find((o) => o.kind === kind && String(o.metadata.name).endsWith(suffix)) as K8sObject & AnyRecord;
const container = (job: AnyRecord) => job.spec.template.spec.containers[0] as AnyRecord;
const env = (c: AnyRecord, name: string): any => (c.env as AnyRecord[]).find((e) => e.name === name);

test('without --nats: token Secret, scenario ConfigMap, NATS Deployment + Service, agents and coordinator Jobs', () => {
  const objects = buildManifests(options());
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`), [
    'Secret/loadlens-checkout-ab12c-nats-token',
    'ConfigMap/loadlens-checkout-ab12c-scenario',
    'Deployment/loadlens-checkout-ab12c-nats',
    'Service/loadlens-checkout-ab12c-nats',
    'Job/loadlens-checkout-ab12c-agents',
    'Job/loadlens-checkout-ab12c-coordinator',
  ]);
  for (const o of objects) assert.equal((o.metadata.labels as AnyRecord)['app.kubernetes.io/instance'], 'checkout-ab12c');

  const secret = byName(objects, 'Secret', '-nats-token');
  assert.deepEqual(secret.stringData, { token: 'f00d' });
  const cm = byName(objects, 'ConfigMap', '-scenario');
  assert.deepEqual(cm.data, { 'checkout.load.ts': BUNDLE });

  const nats = byName(objects, 'Deployment', '-nats');
  const natsC = container(nats);
  assert.ok(natsC.args.includes('--jetstream'));
  assert.deepEqual(natsC.args.slice(-2), ['--auth', '$(NATS_TOKEN)']);
  assert.deepEqual(env(natsC, 'NATS_TOKEN').valueFrom, { secretKeyRef: { name: 'loadlens-checkout-ab12c-nats-token', key: 'token' } });
  assert.equal(natsC.readinessProbe.httpGet.port, 'monitor');
  assert.equal(natsC.ports.find((p: AnyRecord) => p.name === 'monitor').containerPort, 8222);
  assert.deepEqual(nats.spec.selector.matchLabels, byName(objects, 'Service', '-nats').spec.selector);

  const agents = byName(objects, 'Job', '-agents');
  assert.equal(agents.spec.completionMode, 'Indexed');
  assert.equal(agents.spec.completions, 8);
  assert.equal(agents.spec.parallelism, 8);
  assert.equal(agents.spec.backoffLimit, 0);
  assert.equal(agents.spec.activeDeadlineSeconds, 900);
  assert.equal(agents.spec.ttlSecondsAfterFinished, 3600);
  assert.equal(agents.spec.template.spec.restartPolicy, 'Never');
  const agent = container(agents);
  assert.deepEqual(agent.args, ['agent', '--nats', 'nats://$(LOADLENS_NATS_TOKEN)@loadlens-checkout-ab12c-nats:4222']);
  assert.equal(agent.image, 'registry.example/loadlens:1.0');
  assert.deepEqual(env(agent, 'LOADLENS_NATS_TOKEN').valueFrom, { secretKeyRef: { name: 'loadlens-checkout-ab12c-nats-token', key: 'token' } });
  assert.deepEqual(env(agent, 'LOADLENS_AGENT_INDEX').valueFrom, {
    fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
  });
  // $(VAR) in args expands only from variables declared before use in the container's env.
  assert.ok(agent.env.findIndex((e: AnyRecord) => e.name === 'LOADLENS_NATS_TOKEN') >= 0);
  assert.deepEqual(agent.resources, { requests: { cpu: '2', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } });
  // The scenario thread's heap: 3/4 of the memory limit, so out of memory is a summary, not an OOM kill.
  assert.equal(env(agent, 'LOADLENS_MAX_HEAP_MB').value, '1536');
  assert.equal(agents.spec.template.spec.volumes, undefined, 'agents mount no scenario');

  const coordinator = byName(objects, 'Job', '-coordinator');
  assert.equal(coordinator.spec.completionMode, undefined);
  assert.equal(coordinator.spec.completions, 1);
  assert.equal(coordinator.spec.backoffLimit, 0);
  const co = container(coordinator);
  assert.deepEqual(co.args, [
    'run', '/scenario/checkout.load.ts',
    '--nats', 'nats://$(LOADLENS_NATS_TOKEN)@loadlens-checkout-ab12c-nats:4222',
    '--agents', '8',
    '--vus', '40', '-e', 'BASE=https://shop',
  ]);
  assert.deepEqual(co.resources, { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
  assert.equal(env(co, 'LOADLENS_MAX_HEAP_MB').value, '384');
  assert.deepEqual(co.volumeMounts, [{ name: 'scenario', mountPath: '/scenario', readOnly: true }]);
  assert.deepEqual(coordinator.spec.template.spec.volumes, [{ name: 'scenario', configMap: { name: 'loadlens-checkout-ab12c-scenario' } }]);

  // Both Jobs' pods wait for NATS before they start (a failed pod is not retried).
  for (const job of [agents, coordinator]) {
    const init = job.spec.template.spec.initContainers[0];
    assert.equal(init.name, 'wait-for-nats');
    assert.deepEqual(init.env, [{ name: 'NATS_HOST', value: 'loadlens-checkout-ab12c-nats' }, { name: 'NATS_PORT', value: '4222' }]);
    assert.equal(job.spec.template.spec.securityContext.runAsNonRoot, true);
  }
});

test('with --nats URL: no NATS objects and no token Secret; with --nats-token-secret the token comes from that Secret', () => {
  const plain = buildManifests(options({ natsUrl: 'nats://nats.infra:4222', token: undefined }));
  assert.deepEqual(plain.map((o) => o.kind), ['ConfigMap', 'Job', 'Job']);
  const agent = container(byName(plain, 'Job', '-agents'));
  assert.deepEqual(agent.args, ['agent', '--nats', 'nats://nats.infra:4222']);
  assert.equal(env(agent, 'LOADLENS_NATS_TOKEN'), undefined);
  assert.deepEqual(byName(plain, 'Job', '-agents').spec.template.spec.initContainers[0].env, [
    { name: 'NATS_HOST', value: 'nats.infra' },
    { name: 'NATS_PORT', value: '4222' },
  ]);

  const secret = buildManifests(options({ natsUrl: 'tls://nats.infra:4443', natsTokenSecret: 'team-nats', token: undefined }));
  assert.deepEqual(secret.map((o) => o.kind), ['ConfigMap', 'Job', 'Job']);
  const co = container(byName(secret, 'Job', '-coordinator'));
  assert.deepEqual(co.args.slice(2, 4), ['--nats', 'tls://$(LOADLENS_NATS_TOKEN)@nats.infra:4443']);
  assert.deepEqual(env(co, 'LOADLENS_NATS_TOKEN').valueFrom, { secretKeyRef: { name: 'team-nats', key: 'token' } });

  // A generated NATS with a token the user keeps in a Secret of their own.
  const own = buildManifests(options({ natsTokenSecret: 'team-nats', token: undefined }));
  assert.deepEqual(own.map((o) => o.kind), ['ConfigMap', 'Deployment', 'Service', 'Job', 'Job']);
  assert.deepEqual(env(container(byName(own, 'Deployment', '-nats')), 'NATS_TOKEN').valueFrom, { secretKeyRef: { name: 'team-nats', key: 'token' } });

  assert.throws(
    () => buildManifests(options({ natsUrl: 'nats://u:p@nats.infra:4222', natsTokenSecret: 'team-nats' })),
    /carries credentials and --nats-token-secret names a token/,
  );
});

test('--scenario-in-image: no ConfigMap, no volume, the coordinator runs the path in the image', () => {
  const objects = buildManifests(options({ bundle: undefined, scenarioInImage: '/scenario/checkout.load.ts', namespace: 'perf' }));
  assert.deepEqual(objects.map((o) => o.kind), ['Secret', 'Deployment', 'Service', 'Job', 'Job']);
  const coordinator = byName(objects, 'Job', '-coordinator');
  assert.equal(container(coordinator).args[1], '/scenario/checkout.load.ts');
  assert.equal(container(coordinator).volumeMounts, undefined);
  assert.equal(coordinator.spec.template.spec.volumes, undefined);
  for (const o of objects) assert.equal(o.metadata.namespace, 'perf');
});

test('every generated object is valid against the Kubernetes OpenAPI schemas', async () => {
  const variants: Array<[string, Partial<K8sOptions>]> = [
    ['generated NATS', {}],
    ['--nats URL', { natsUrl: 'nats://nats.infra:4222', token: undefined }],
    ['--nats URL + --nats-token-secret', { natsUrl: 'nats://nats.infra:4222', natsTokenSecret: 'team-nats', token: undefined }],
    ['--nats-token-secret', { natsTokenSecret: 'team-nats', token: undefined }],
    ['--scenario-in-image, namespace, 1 agent', { bundle: undefined, scenarioInImage: '/s/x.load.ts', namespace: 'perf', agents: 1 }],
    ['long file name, 100 agents', { file: 'a-very-long-scenario-file-name-indeed.load.ts', runId: newRunId('a-very-long-scenario-file-name-indeed.load.ts'), agents: 100 }],
  ];
  for (const [what, extra] of variants) {
    const objects = buildManifests(options(extra));
    for (const o of objects) await validateObject(o).catch((err: Error) => assert.fail(`${what}: ${err.message}`));
    // What kubectl reads is the YAML: it parses back to the same objects.
    assert.deepEqual(parseAllDocuments(renderManifests(objects, ['header', 'a file\nnamed: oddly'])).map((d) => d.toJS()), objects, what);
  }
  // The validator does catch mistakes (so the loop above proves something).
  const bad = buildManifests(options());
  (byName(bad, 'Job', '-agents').spec as AnyRecord).completionMode = 'indexed';
  container(byName(bad, 'Job', '-coordinator')).resources.limits.cpu = 'two';
  await assert.rejects(validateObject(byName(bad, 'Job', '-agents')), /completionMode must be equal to one of the allowed values/);
  await assert.rejects(validateObject(byName(bad, 'Job', '-coordinator')), /limits\/cpu must match format "quantity"/);
});

test('a scenario that a ConfigMap cannot hold is refused with the Dockerfile lines that bake it into an image', () => {
  const big = '// x\n' + `export const data = ${JSON.stringify('x'.repeat(SCENARIO_LIMIT))};\n`;
  assert.throws(
    () => buildManifests(options({ bundle: big })),
    (err: Error) => {
      assert.ok(err instanceof K8sError);
      assert.match(err.message, /checkout\.load\.ts: the bundled scenario is \d+ bytes; a ConfigMap holds at most 1032192/);
      assert.match(err.message, /FROM registry\.example\/loadlens:1\.0\nWORKDIR \/scenario\nCOPY --chown=node:node \. \/scenario/);
      assert.match(err.message, /--scenario-in-image \/scenario\/checkout\.load\.ts/);
      return true;
    },
  );
  // Just under the limit is fine (multi-byte characters count as bytes).
  const fits = 'é'.repeat(Math.floor(SCENARIO_LIMIT / 2));
  assert.doesNotThrow(() => buildManifests(options({ bundle: fits })));
  assert.throws(() => buildManifests(options({ bundle: fits + 'éé' })), K8sError);
});

test('YAML: any string survives the round trip through a YAML parser, in a map and in a list', () => {
  const samples = [
    '', ' ', 'yes', 'no', 'null', '~', 'true', '1', '0x10', '1e3', '-', '- a', ': a', 'a: b', '#c', 'a #b', "'", '"', '\\',
    '\n', '\n\n', 'a\n', 'a\n\n', 'a\n\n\n', '\na', '  indented\nnext', '\tx\n', 'x\n  y\n', 'tab\there', 'é ü 中文 😀',
    'cr\r\nlf', 'bom\ufeff', 'nul\u0000', 'line\u2028sep', '|', '>', '%x', '@x', '`x', '*x', '&x', '!x', '?x', '{a}', '[a]',
    '$(LOADLENS_NATS_TOKEN)', 'nats://$(T)@h:4222', "metadata.annotations['x']", 'x  \ny  \n', 'last line  ',
  ];
  const random = () => {
    const alphabet = ['a', ' ', '\n', '\t', ':', '#', '-', "'", '"', '\\', 'é', '{', '|', '\r', '0'];
    return Array.from({ length: Math.floor(Math.random() * 12) }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
  };
  for (const s of [...samples, ...Array.from({ length: 2000 }, random)]) {
    const value = { key: s, [s || 'empty']: 1, list: [s, { inner: s }], nested: { deeper: { text: s } } };
    const text = toYaml(value);
    assert.deepEqual(parse(text), value, `${JSON.stringify(s)} rendered as\n${text}`);
  }
});

test('parsing: k8s options, the run options the coordinator gets, and defaults', () => {
  const c = k8sCommand(['checkout.load.ts', '--agents', '8', '--image', 'loadlens:dev', '--vus', '40', '--duration', '2m', '-e', 'A=1=2',
    '--target', 'https://shop.example', '--scenario', 'buy', '--agent-cpu', '1500m', '--agent-memory', '3Gi', '--agents-timeout', '90s']);
  assert.equal(c.agents, 8);
  assert.equal(c.image, 'loadlens:dev');
  assert.deepEqual(c.runArgs, ['--scenario', 'buy', '--vus', '40', '--duration', '2m', '--target', 'https://shop.example', '-e', 'A=1=2']);
  assert.equal(c.agentCpu, '1500m');
  assert.equal(c.agentMemory, '3Gi');
  assert.equal(c.coordinatorCpu, '500m');
  assert.equal(c.coordinatorMemory, '512Mi');
  assert.equal(c.agentsTimeout, '90s');
  assert.equal(c.ttl, '1h');
  assert.equal(c.natsUrl, undefined);

  const d = k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i']);
  assert.equal(d.agentCpu, '1');
  assert.equal(d.agentMemory, '1Gi');
  assert.deepEqual(d.runArgs, []);
});

test('parsing: usage errors name the flag and what is allowed', () => {
  const cases: Array<[string[], RegExp]> = [
    [['k8s', 'x.load.ts', '--agents', '3'], /k8s: missing --image IMAGE/],
    [['k8s', 'x.load.ts', '--image', 'i'], /k8s: missing --agents N/],
    [['k8s', 'x.load.ts', '--agents', '0', '--image', 'i'], /--agents: got "0"; expected a whole number >= 1/],
    [['k8s', '--agents', '2', '--image', 'i'], /k8s: missing FILE/],
    [['k8s', 'x.load.ts', '--agents', '2', '--image', 'i', '--agent-cpu', 'lots'], /--agent-cpu: got "lots"; expected a Kubernetes quantity/],
    [['k8s', 'x.load.ts', '--agents', '2', '--image', 'i', '--agent-memory', '0'], /--agent-memory: got "0"/],
    [['k8s', 'x.load.ts', '--agents', '2', '--image', 'i', '--nats', 'http://x'], /--nats: got "http:\/\/x"; expected a nats:\/\//],
    [['k8s', 'x.load.ts', '--agents', '2', '--image', 'i', '--out', 'o.jsonl'], /k8s: --out does not apply/],
    [['k8s', 'x.load.ts', '--agents', '2', '--image', 'i', '--namespace', 'Perf'], /--namespace: got "Perf"/],
    [['k8s', 'x.load.ts', '--agents', '2', '--image', 'i', '--scenario-in-image', 'rel.ts'], /--scenario-in-image: got "rel.ts"; expected an absolute path/],
    [['run', 'x.load.ts', '--image', 'i'], /--image: only for the k8s command/],
    [['list', 'x.load.ts', '--agent-cpu', '1'], /--agent-cpu: only for the k8s command/],
  ];
  for (const [argv, message] of cases) assert.throws(() => parseCommand(argv, false), (e: Error) => e instanceof UsageError && message.test(e.message), argv.join(' '));
});

test('memory quantities in bytes, and the heap limit they give', () => {
  assert.equal(quantityBytes('512Mi'), 512 * 2 ** 20);
  assert.equal(quantityBytes('1G'), 1e9);
  assert.equal(quantityBytes('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(quantityBytes('1000'), 1000);
  assert.ok(Number.isNaN(quantityBytes('lots')));
  assert.deepEqual(heapEnv('1G'), [{ name: 'LOADLENS_MAX_HEAP_MB', value: '715' }]);
  assert.deepEqual(heapEnv('64Mi'), [], 'too small to bother: V8 decides');
});

test('the deadline: planned load + agents timeout + 5 minutes, or --deadline; the run id', () => {
  const plans = [{ scenario: 'a', plannedMs: 30_000 }, { scenario: 'b', plannedMs: 90_000 }];
  assert.equal(deadlineSeconds(k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i']), plans), 30 + 90 + 60 + 300);
  assert.equal(deadlineSeconds(k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i', '--scenario', 'b', '--agents-timeout', '2m']), plans), 90 + 120 + 300);
  assert.equal(deadlineSeconds(k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i', '--duration', '10m']), plans), 2 * 600 + 60 + 300);
  assert.equal(deadlineSeconds(k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i', '--deadline', '1h']), plans), 3600);

  assert.match(newRunId('/tmp/Checkout Flow.load.ts'), /^checkout-flow-[a-z0-9]{5}$/);
  assert.match(newRunId('___.load.ts'), /^run-[a-z0-9]{5}$/);
  assert.equal(scenarioKey('my scenario (v2).load.ts'), 'my-scenario--v2-.load.ts');
  assert.throws(() => k8sOutput(k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i', '--run-id', 'Bad_Id']), BUNDLE, plans), /--run-id: got "Bad_Id"/);

  const out = k8sOutput(k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i', '--run-id', 'r1']), BUNDLE, plans, 'tok');
  assert.match(out.yaml, /^# loadlens k8s x\.load\.ts: run r1, 2 agent\(s\)/);
  assert.ok(out.notes.some((n) => n.includes('kubectl wait --for=condition=complete --timeout=480s job/loadlens-r1-coordinator')));
  assert.ok(out.notes.some((n) => n.includes('-l app.kubernetes.io/instance=r1')));
  // Each invocation has a token of its own.
  const a = k8sOutput(k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i']), BUNDLE, plans);
  const b = k8sOutput(k8sCommand(['x.load.ts', '--agents', '2', '--image', 'i']), BUNDLE, plans);
  const token = (o: typeof a) => (o.objects[0] as AnyRecord).stringData.token as string;
  assert.match(token(a), /^[0-9a-f]{48}$/);
  assert.notEqual(token(a), token(b));
});

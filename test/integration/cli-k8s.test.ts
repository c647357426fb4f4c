// `loadlens k8s` as a user runs it (build first: npm run build): multi-document YAML on stdout
// that parses back to valid Kubernetes objects, a bundled scenario the pod's runner can load,
// usage errors (exit 2), and the refusal of a scenario too large for a ConfigMap.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { fixture, runCli } from './cli-helpers';
import { validateObject } from '../unit/helpers/k8s-schema';

type AnyRecord = Record<string, any>;

function documents(stdout: string): AnyRecord[] {
  const docs = parseAllDocuments(stdout);
  for (const d of docs) assert.deepEqual(d.errors, []);
  return docs.map((d) => d.toJS() as AnyRecord);
}

test('k8s FILE --agents 3 --image x: valid manifests on stdout, exit 0; the bundled scenario loads without its folder', async () => {
  const r = await runCli(['k8s', fixture('imports.load.ts'), '--agents', '3', '--image', 'x', '--vus', '2', '-e', 'K=v', '--run-id', 'cli-test']);
  assert.equal(r.code, 0, r.stderr);
  const objects = documents(r.stdout);
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`), [
    'Secret/loadlens-cli-test-nats-token',
    'ConfigMap/loadlens-cli-test-scenario',
    'Deployment/loadlens-cli-test-nats',
    'Service/loadlens-cli-test-nats',
    'Job/loadlens-cli-test-agents',
    'Job/loadlens-cli-test-coordinator',
  ]);
  for (const o of objects) await validateObject(o as never);
  const agents = objects[4];
  assert.equal(agents.spec.completionMode, 'Indexed');
  assert.equal(agents.spec.parallelism, 3);
  assert.equal(agents.spec.completions, 3);
  const coordinator = objects[5].spec.template.spec.containers[0];
  assert.deepEqual(coordinator.args, ['run', '/scenario/imports.load.ts', '--nats', 'nats://$(LOADLENS_NATS_TOKEN)@loadlens-cli-test-nats:4222', '--agents', '3', '--vus', '2', '-e', 'K=v']);
  // The deadline comes from the scenario's plan (the runner listed it).
  assert.ok(agents.spec.activeDeadlineSeconds > 360, String(agents.spec.activeDeadlineSeconds));
  assert.match(r.stderr, /kubectl wait --for=condition=complete --timeout=\d+s job\/loadlens-cli-test-coordinator/);

  // The ConfigMap's scenario is one file: the pod's runner loads it with no ./lib and no node_modules.
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-k8s-'));
  try {
    const bundled = objects[1].data['imports.load.ts'] as string;
    assert.doesNotMatch(bundled, /from ["']\.\.?\//, 'no relative imports left');
    writeFileSync(join(dir, 'imports.load.ts'), bundled);
    const listed = await runCli(['list', join(dir, 'imports.load.ts')], { cwd: dir });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^imports\s+closed/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('k8s with --nats URL: no NATS and no Secret in the output', async () => {
  const r = await runCli(['k8s', fixture('pass.load.ts'), '--agents', '2', '--image', 'x', '--nats', 'nats://nats.infra:4222', '--deadline', '10m']);
  assert.equal(r.code, 0, r.stderr);
  const objects = documents(r.stdout);
  assert.deepEqual(objects.map((o) => o.kind), ['ConfigMap', 'Job', 'Job']);
  for (const o of objects) await validateObject(o as never);
  assert.equal(objects[1].spec.activeDeadlineSeconds, 600);
});

test('bad input is a usage error, exit 2, with nothing on stdout', async () => {
  for (const [args, message] of [
    [['k8s', fixture('pass.load.ts'), '--agents', '3'], /missing --image IMAGE/],
    [['k8s', fixture('pass.load.ts'), '--agents', '0', '--image', 'x'], /--agents: got "0"; expected a whole number >= 1/],
    [['k8s', 'no-such.load.ts', '--agents', '1', '--image', 'x'], /no such file: no-such\.load\.ts/],
  ] as Array<[string[], RegExp]>) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});

test('a scenario too large for a ConfigMap: exit 2 and the Dockerfile lines to bake it into an image', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-k8s-'));
  try {
    const file = join(dir, 'big.load.ts');
    writeFileSync(file, [
      "import { scenario } from 'loadlens';",
      `const blob = ${JSON.stringify('x'.repeat(1100 * 1024))};`,
      "export const big = scenario({ load: { vus: 1, duration: '1s' }, async iteration() { if (blob.length === 0) throw new Error(); } });",
    ].join('\n'));
    const r = await runCli(['k8s', file, '--agents', '2', '--image', 'reg/loadlens:1']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /big\.load\.ts: the bundled scenario is \d+ bytes; a ConfigMap holds at most/);
    assert.match(r.stderr, /FROM reg\/loadlens:1\nWORKDIR \/scenario\nCOPY --chown=node:node \. \/scenario/);
    // Baked into the image, the same file needs no ConfigMap.
    const baked = await runCli(['k8s', file, '--agents', '2', '--image', 'reg/loadlens:1-scenario', '--scenario-in-image', '/scenario/big.load.ts']);
    assert.equal(baked.code, 0, baked.stderr);
    assert.deepEqual(documents(baked.stdout).map((o) => o.kind), ['Secret', 'Deployment', 'Service', 'Job', 'Job']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

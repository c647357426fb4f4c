// Validates Kubernetes objects against the Kubernetes OpenAPI schemas (kubernetes-models, whose
// validators are generated from them), plus the name rules the schemas leave to the API server.

import assert from 'node:assert/strict';

type Model = new (data: unknown) => { validate(): void };

const MODELS: Record<string, string> = {
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'batch/v1/Job': 'kubernetes-models/batch/v1/Job',
};

// kubernetes-models is ESM only: a dynamic import with a computed specifier (tsc's node10
// resolution cannot see its subpath exports; Node loads it at run time).
const load = (specifier: string): Promise<Record<string, Model>> => import(specifier);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Throws with the schema's messages when `object` is not a valid Kubernetes object. */
export async function validateObject(object: { apiVersion: string; kind: string; metadata: Record<string, unknown> }): Promise<void> {
  const path = MODELS[`${object.apiVersion}/${object.kind}`];
  assert.ok(path, `no schema for ${object.apiVersion} ${object.kind}`);
  const Model = (await load(path))[object.kind];
  try {
    new Model(object).validate();
  } catch (err) {
    throw new Error(`${object.kind}/${String(object.metadata.name)}: ${(err as Error).message}`);
  }
  const name = String(object.metadata.name);
  assert.match(name, DNS_SUBDOMAIN, `${object.kind} name ${name}`);
  assert.ok(name.length <= 63, `${object.kind} name ${name} is longer than 63 (a Job's name is a label value)`);
  for (const [k, v] of Object.entries((object.metadata.labels ?? {}) as Record<string, string>)) {
    assert.match(v, LABEL_VALUE, `label ${k}=${v}`);
    assert.ok(v.length <= 63, `label ${k}=${v} is longer than 63`);
  }
}

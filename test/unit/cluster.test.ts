// Distributed runs, the parts without a NATS server: URLs and credentials, the CLI flags, and the
// validation every message gets on receipt (invalid ones are dropped, never trusted).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand, UsageError } from '../../src/cli/args';
import { packRecord, parseNatsUrl, unpackRecord } from '../../src/runner/cluster/nats';
import { resolveLoad } from '../../src/engine/run';
import { validAgentRecord, validControl, validFromWorker, validHeartbeat, validJoinReply, validJoinRequest, validPlan } from '../../src/runner/cluster/messages';

test('NATS URLs: a token, user and password, tls://, the default port; the display form has no credentials', () => {
  assert.deepEqual(parseNatsUrl('nats://T0K@127.0.0.1:4333'), { servers: '127.0.0.1:4333', token: 'T0K', user: undefined, pass: undefined, tls: false, display: 'nats://127.0.0.1:4333' });
  const up = parseNatsUrl('tls://me:p%40ss@nats.example');
  assert.equal(up.user, 'me');
  assert.equal(up.pass, 'p@ss');
  assert.equal(up.token, undefined);
  assert.equal(up.tls, true);
  assert.equal(up.display, 'tls://nats.example:4222');
  assert.throws(() => parseNatsUrl('http://x'), /expected nats:\/\/ or tls:\/\//);
});

test('CLI: agent --nats [--serve]; run --nats --agents --agents-timeout; misuse is a usage error', () => {
  assert.deepEqual(parseCommand(['agent', '--nats', 'nats://t@h:1', '--serve'], false), { name: 'agent', nats: 'nats://t@h:1', serve: true, display: { color: false, quiet: false } });
  const c = parseCommand(['run', 'a.load.ts', '--nats', 'nats://t@h:1', '--agents', '8', '--agents-timeout', '90s'], false);
  assert.deepEqual(c.name === 'run' && c.cluster, { nats: 'nats://t@h:1', agents: 8, agentsTimeoutMs: 90_000 });
  const d = parseCommand(['run', 'a.load.ts', '--nats', 'nats://t@h:1'], false);
  assert.deepEqual(d.name === 'run' && d.cluster, { nats: 'nats://t@h:1', agents: 1, agentsTimeoutMs: 60_000 });
  assert.throws(() => parseCommand(['agent'], false), UsageError);
  assert.throws(() => parseCommand(['agent', 'x.load.ts', '--nats', 'nats://h'], false), /takes no FILE/);
  assert.throws(() => parseCommand(['run', 'a.load.ts', '--agents', '2'], false), /need --nats/);
  const k = parseCommand(['agent', '--nats', 'nats://h', '--nats-creds', 'x.creds'], false);
  assert.equal(k.name === 'agent' && k.credsFile, 'x.creds');
  assert.throws(() => parseCommand(['run', 'a.load.ts', '--nats', 'redis://h'], false), /nats:\/\/ or tls:\/\//);
  assert.throws(() => parseCommand(['run', 'a.load.ts', '--nats', 'nats://h', '--agents', '0'], false), /--agents: got "0"/);
});

const interval = {
  index: 0, startMs: 0, endMs: 1000, series: [], vus: 1, vusMax: 1, iterationsDue: 0, iterationsStarted: 0,
  iterationsDropped: 0, backlog: 0, errors: {},
};

test('records from an agent are valid only for their own segment and shape', () => {
  assert.ok(validFromWorker({ type: 'worker-ready', index: 1 }, 1));
  assert.ok(!validFromWorker({ type: 'worker-ready', index: 0 }, 1), 'another segment\'s subject');
  assert.ok(validFromWorker({ type: 'worker-interval', index: 0, scenario: 's', interval }, 0));
  assert.ok(!validFromWorker({ type: 'worker-interval', index: 0, scenario: 's', interval: { ...interval, series: 'x' } }, 0));
  assert.ok(!validFromWorker({ type: 'worker-interval', index: 0, scenario: 's', interval: { ...interval, vus: '1' } }, 0));
  assert.ok(!validFromWorker({ type: 'worker-interval', index: 0, scenario: 's', interval: { ...interval, errors: { x: 'y' } } }, 0));
  assert.ok(!validFromWorker({ type: 'worker-interval', index: 0, scenario: 's',
    interval: { ...interval, series: [{ metric: 'http_req_duration', kind: 'trend', tags: {}, hist: '%%%not base64' }] } }, 0), 'an undecodable histogram');
  assert.ok(!validFromWorker({ type: 'worker-interval', index: 0, scenario: 's', interval: { ...interval, series: [{ metric: 'm', kind: 'bogus', tags: {} }] } }, 0));
  assert.ok(validFromWorker({ type: 'worker-interval', index: 0, scenario: 's', interval: { ...interval, series: [{ metric: 'http_reqs', kind: 'counter', tags: { name: 'x' }, value: 3 }] } }, 0));
  assert.ok(validFromWorker({ type: 'worker-done', index: 0, scenario: 's', durationMs: 5, interrupted: 0 }, 0));
  assert.ok(!validFromWorker({ type: 'worker-done', index: 0, scenario: 's', durationMs: 'soon' }, 0));
  assert.ok(validFromWorker({ type: 'worker-error', index: 0, error: { type: 'error', kind: 'iteration', message: 'm', count: 3 } }, 0));
  assert.ok(!validFromWorker({ type: 'worker-error', index: 0, error: 'boom' }, 0));
  assert.ok(validFromWorker({ type: 'worker-warning', index: 0, scenario: 's', message: 'check() was called while no scenario runs', stack: 'Error\n    at f.ts:3:1' }, 0));
  assert.ok(validFromWorker({ type: 'worker-warning', index: 0, scenario: 's', message: 'm' }, 0), 'a warning without a stack');
  assert.ok(!validFromWorker({ type: 'worker-warning', index: 0, scenario: 's', message: 'm', stack: 7 }, 0));
  assert.ok(!validFromWorker({ type: 'worker-warning', index: 0, scenario: 's' }, 0), 'no message');
  assert.ok(!validFromWorker({ type: 'rm -rf', index: 0 }, 0));
  for (const junk of [undefined, null, 1, 'x', [], {}]) assert.ok(!validFromWorker(junk, 0));
});

test('joins, replies, heartbeats, plans and control messages are checked too', () => {
  assert.ok(validJoinRequest({ agent: 'a', protocolVersion: 1, host: 'h', pid: 3 }));
  assert.ok(!validJoinRequest({ agent: '', protocolVersion: 1, host: 'h', pid: 3 }));
  assert.ok(!validJoinRequest({ agent: 'a', protocolVersion: '1', host: 'h', pid: 3 }));
  assert.ok(validJoinReply({ ok: true, index: 0, now: 1700000000000 }) && validJoinReply({ ok: false, error: 'no' }));
  assert.ok(!validJoinReply({ ok: true }) && !validJoinReply({ ok: true, index: 0 }), 'no clock: the agent could not place the start');
  assert.ok(validAgentRecord({ type: 'agent-stopped', index: 1, reason: 'SIGTERM' }, 1) && !validAgentRecord({ type: 'agent-stopped', index: 0, reason: 'x' }, 1));
  assert.ok(validAgentRecord({ type: 'worker-ready', index: 1 }, 1) && !validAgentRecord({ type: 'agent-stopped', index: 1 }, 1));
  assert.deepEqual(unpackRecord(packRecord({ type: 'worker-ready', index: 3 })), { type: 'worker-ready', index: 3 });
  assert.equal(unpackRecord(new TextEncoder().encode('{"type":"worker-ready","index":3}')), undefined, 'plain JSON is not a record');
  assert.ok(validHeartbeat({ agent: 'a', index: 2 }, 2) && !validHeartbeat({ agent: 'a', index: 1 }, 2));
  assert.ok(validControl({ type: 'worker-start', at: 5 }) && validControl({ type: 'cancel' }) && validControl({ type: 'end' }));
  assert.ok(!validControl({ type: 'worker-start', at: 'now' }) && !validControl({ type: 'worker-load' }));
  const resolved = resolveLoad({ rate: 10, duration: '2s', maxVUs: 4 }, { overrides: { duration: '3s' } });
  const load = { type: 'worker-load', workers: 2, code: '', file: 'f', scenario: 's', env: {}, load: resolved };
  assert.ok(validPlan(JSON.parse(JSON.stringify({ run: 'r', protocolVersion: 3, agents: 2, load }))));
  assert.ok(!validPlan({ run: 'r', protocolVersion: 3, agents: 2, load: { ...load, code: 1 } }));
  // A plan without the resolved load (an older coordinator sent overrides) is not one this agent can run.
  assert.ok(!validPlan({ run: 'r', protocolVersion: 2, agents: 2, load: { ...load, load: undefined, overrides: { duration: '3s' } } }));
});

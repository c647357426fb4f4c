// "Run on cluster" in the extension without VS Code: the loadlens.cluster.* settings and the
// secret from SecretStorage become the run request's ClusterOptions, and nothing the runner says
// shows the credentials (the real runner, refusing a URL it cannot parse, quotes it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ClusterSettingsError, clusterOptions, clusterSecretKey, clusterSettingsFrom, displayUrl, redactor, secretsOf,
  urlHasCredentials, withCredentials, type ClusterSettings,
} from '../../src/extension/cluster';
import { parseNatsUrl } from '../../src/runner/cluster/nats';
import { RunManager } from '../../src/extension/runManager';

const settings = (over: Partial<ClusterSettings> = {}): ClusterSettings =>
  ({ natsUrl: 'nats://nats.example:4222', agents: 3, agentsTimeout: '90s', ...over });

function getter(values: Record<string, unknown>) {
  return <T>(key: string) => values[key] as T | undefined;
}

test('settings: defaults are 2 agents and 60 s; the URL is trimmed', () => {
  assert.deepEqual(clusterSettingsFrom(getter({})), { natsUrl: '', agents: 2, agentsTimeout: '60s' });
  assert.deepEqual(clusterSettingsFrom(getter({ 'cluster.natsUrl': ' nats://h:4222 ', 'cluster.agents': 8, 'cluster.agentsTimeout': '2m' })),
    { natsUrl: 'nats://h:4222', agents: 8, agentsTimeout: '2m' });
});

test('the stored token goes into the URL the runner gets; agents and timeout as set', () => {
  const o = clusterOptions(settings(), 'tok3n');
  assert.deepEqual(o, { nats: 'nats://tok3n@nats.example:4222', agents: 3, agentsTimeoutMs: 90_000 });
  assert.deepEqual({ ...parseNatsUrl(o.nats) }, {
    servers: 'nats.example:4222', token: 'tok3n', user: undefined, pass: undefined, tls: false, display: 'nats://nats.example:4222',
  });
});

test('user:password, and secrets with URL-special characters, reach the runner unchanged', () => {
  const up = parseNatsUrl(clusterOptions(settings({ natsUrl: 'tls://nats.example:4443' }), 'alice:p@ss:w/rd#1').nats);
  assert.equal(up.user, 'alice');
  assert.equal(up.pass, 'p@ss:w/rd#1');
  assert.equal(up.tls, true);
  assert.equal(up.servers, 'nats.example:4443');
  const odd = 'a/b?c#d@e%f g';
  const t = parseNatsUrl(withCredentials('nats://127.0.0.1:4222', odd));
  assert.equal(t.token, odd);
  assert.equal(t.servers, '127.0.0.1:4222');
});

test('the stored secret replaces credentials written in the URL; without one, the URL\'s are used', () => {
  assert.ok(urlHasCredentials('nats://old@nats.example:4222'));
  assert.ok(urlHasCredentials('nats://u:p@nats.example:4222'));
  assert.ok(!urlHasCredentials('nats://nats.example:4222'));
  assert.equal(parseNatsUrl(clusterOptions(settings({ natsUrl: 'nats://old@nats.example:4222' }), 'new').nats).token, 'new');
  assert.equal(clusterOptions(settings({ natsUrl: 'nats://old@nats.example:4222' }), undefined).nats, 'nats://old@nats.example:4222');
});

test('what the user must fix is said, naming the setting or the command, never quoting a secret', () => {
  const fails = (s: ClusterSettings, secret: string | undefined, message: RegExp, fix: 'settings' | 'credentials') =>
    assert.throws(() => clusterOptions(s, secret), (err: unknown) => {
      assert.ok(err instanceof ClusterSettingsError);
      assert.match(err.message, message);
      assert.equal(err.fix, fix);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  fails(settings({ natsUrl: '' }), 'tok', /Set loadlens\.cluster\.natsUrl/, 'settings');
  fails(settings(), undefined, /No credentials for nats:\/\/nats\.example:4222: run "Loadlens: Set Cluster Credentials"/, 'credentials');
  fails(settings(), '   ', /No credentials/, 'credentials');
  fails(settings({ natsUrl: 'http://nats.example:4222' }), 'tok', /loadlens\.cluster\.natsUrl: got "http:\/\/"; expected nats:\/\/ or tls:\/\//, 'settings');
  fails(settings({ natsUrl: 'nats://s3cret@[nope' }), 'tok', /loadlens\.cluster\.natsUrl is not a URL/, 'settings');
  fails(settings({ agents: 0 }), 'tok', /loadlens\.cluster\.agents: got 0; expected a whole number >= 1/, 'settings');
  fails(settings({ agents: 1.5 }), 'tok', /loadlens\.cluster\.agents: got 1\.5/, 'settings');
  fails(settings({ agentsTimeout: 'soon' }), 'tok', /loadlens\.cluster\.agentsTimeout/, 'settings');
});

test('secrets are stored per server, so a workspace pointing the URL elsewhere does not get them', () => {
  assert.equal(clusterSecretKey('nats://nats.example:4222'), clusterSecretKey('nats://tok@nats.example:4222'));
  assert.notEqual(clusterSecretKey('nats://nats.example:4222'), clusterSecretKey('nats://evil.example:4222'));
  assert.equal(displayUrl('nats://u:p@nats.example:4222'), 'nats://nats.example:4222');
});

test('redaction hides the token, the user and the password, raw and percent-encoded', () => {
  const url = withCredentials('nats://nats.example:4222', 'alice:p@ss w');
  const hide = redactor(secretsOf(url));
  assert.equal(hide(`connect ${url} failed for alice (p@ss w, p%40ss%20w)`), 'connect nats://***:***@nats.example:4222 failed for *** (***, ***)');
  assert.equal(redactor(secretsOf('nats://nats.example:4222'))('nothing to hide'), 'nothing to hide');
});

// The real runner: a URL it cannot parse is quoted in its error; the session hides the secret.
const runnerPath = resolve('dist/runner.js');
let dir = '';
before(() => {
  assert.ok(existsSync(runnerPath), 'dist/runner.js is missing: run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'loadlens-ext-cluster-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a cluster run through the real runner: its error reaches the extension without the credentials', async () => {
  const file = join(dir, 'c.load.ts');
  writeFileSync(file, `import { scenario } from 'loadlens';
export const c = scenario({ load: { vus: 2, iterations: 2 }, async iteration({ http }) { await http.get('http://127.0.0.1:9/'); } });
`);
  const manager = new RunManager({ runnerPath, nodePath: () => undefined, resultsFolder: () => undefined });
  const nats = 'nats://s3cret-token@[::1';
  const session = manager.start({ file, scenario: 'c', cluster: { nats, agents: 2, agentsTimeoutMs: 1000 } });
  let said = '';
  session.onMessage((m) => { said += JSON.stringify(m); });
  session.onOutput((t) => { said += t; });
  const outcome = await session.outcome;
  const error = outcome.errors.find((e) => e.kind === 'cluster');
  assert.ok(error, `a cluster error: ${JSON.stringify(outcome.errors)}`);
  assert.match(error.message, /--nats: got "\*\*\*"/);
  assert.equal(outcome.exitCode, 110);
  assert.doesNotMatch(said, /s3cret/, 'no message or output line shows the token');
});

// The HTTP client against real loopback servers: methods, bodies, tags, cookies, redirects,
// timeouts, network error kinds, capped connections.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startTarget, type RunningServer } from '../servers/target';
import { runCollect } from '../servers/collect';
import type { HttpResponse } from '../../src/engine/types';

let srv: RunningServer;
before(async () => {
  srv = await startTarget();
});
after(() => srv.close());

/** Runs `fn` once as a one-iteration scenario against the target and returns what it returned. */
async function once<T>(fn: (http: import('../../src/engine/types').HttpClient) => Promise<T>, http?: object) {
  let out: T | undefined;
  const collected = await runCollect({
    target: srv.url,
    http,
    load: { vus: 1, iterations: 1 },
    async iteration(ctx) {
      out = await fn(ctx.http);
    },
  });
  return { out: out as T, ...collected };
}

test('methods, query, headers, JSON and text bodies reach the server', async () => {
  const { out } = await once(async (http) => [
    (await http.post('/echo', { json: { a: 1 }, query: { q: 'x y', n: 2 }, headers: { 'x-test': 'yes' } })).json(),
    (await http.put('/echo', { body: 'plain' })).json(),
    (await http.patch('/echo')).json(),
    (await http.del('/echo')).json(),
    await http.head('/fast'),
    (await http.request('OPTIONS', '/echo')).json(),
  ]);
  const [post, put, patch, del, head, options] = out as [any, any, any, any, HttpResponse, any];
  assert.equal(post.method, 'POST');
  assert.equal(post.url, '/echo?q=x%20y&n=2');
  assert.equal(post.headers['x-test'], 'yes');
  assert.equal(post.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(post.body), { a: 1 });
  assert.equal(put.method, 'PUT');
  assert.equal(put.body, 'plain');
  assert.equal(patch.method, 'PATCH');
  assert.equal(del.method, 'DELETE');
  assert.equal(head.status, 200);
  assert.equal(head.text(), '');
  assert.equal(head.headers['content-length'], '2');
  assert.equal(options.method, 'OPTIONS');
});

test('response: status, headers, text, json, url, timings', async () => {
  const { out } = await once((http) => http.get('/slow?ms=60'));
  assert.equal(out.status, 200);
  assert.equal(out.text(), 'slow');
  assert.equal(out.headers['content-type'], 'text/plain');
  assert.equal(out.url, `${srv.url}/slow?ms=60`);
  assert.ok(out.timings.waiting >= 55, `waiting ${out.timings.waiting}`);
  assert.ok(Math.abs(out.timings.duration - (out.timings.sending + out.timings.waiting + out.timings.receiving)) < 1e-9);
  assert.equal(out.error, undefined);
  const json = await once((http) => http.get(`${srv.url}/json`));
  assert.deepEqual(json.out.json(), { ok: true, items: [1, 2, 3] });
});

test('metrics: every request is counted and tagged with name, method and status', async () => {
  const { totals } = await runCollect({
    target: srv.url,
    tags: { team: 'shop' },
    load: { vus: 1, iterations: 3 },
    async iteration({ http }) {
      await http.get('/fast?x=1');
      await http.get('/status/404', { tags: { name: 'missing' } });
      await http.post('/echo', { body: 'abc', tags: { kind: 'write' } });
    },
  });
  assert.equal(totals.count('http_reqs'), 9);
  assert.equal(totals.count('http_reqs', { name: '/fast', method: 'GET', status: '200', team: 'shop' }), 3);
  assert.equal(totals.count('http_reqs', { name: 'missing', status: '404' }), 3);
  assert.equal(totals.count('http_reqs', { name: '/echo', method: 'POST', kind: 'write' }), 3);
  // 4xx fails, like k6's default expected statuses 200-399; as in k6 the rate counts failures
  // as its "true" samples, so `rate < 0.01` reads "less than 1% failed".
  assert.deepEqual(totals.rate('http_req_failed'), { passes: 3, fails: 6 });
  assert.equal(totals.hist('http_req_duration').totalCount, 9);
  for (const m of ['http_req_service_duration', 'http_req_blocked', 'http_req_connecting', 'http_req_sending', 'http_req_waiting', 'http_req_receiving']) {
    assert.equal(totals.hist(m).totalCount, 9, m);
  }
  // The first request opened the connection.
  assert.ok(totals.hist('http_req_connecting').maxValue > 0);
  assert.ok(totals.count('data_sent') > 9 * 30);
  assert.ok(totals.count('data_received') > 9 * 40);
});

test('cookies: a per-VU jar sends back what the server set, and VUs do not share it', async () => {
  const seen = new Map<number, string | null>();
  await runCollect({
    target: srv.url,
    load: { vus: 2, iterations: 2 },
    async iteration({ http, vu }) {
      if (vu.id === 1) await http.get('/cookies/set?session=abc&theme=dark');
      seen.set(vu.id, (await http.get('/cookies/echo')).json().cookie);
    },
  });
  assert.equal(seen.get(1), 'session=abc; theme=dark');
  assert.equal(seen.get(2), null);
  // Turned off, nothing is kept.
  const off = await once(async (http) => {
    await http.get('/cookies/set?a=1');
    return (await http.get('/cookies/echo')).json().cookie;
  }, { cookies: false });
  assert.equal(off.out, null);
});

test('redirects are followed (each hop recorded) up to the limit', async () => {
  const followed = await once((http) => http.get('/redirect/3'));
  assert.equal(followed.out.status, 200);
  assert.equal(followed.out.text(), 'done');
  assert.equal(followed.out.url, `${srv.url}/redirect/0`);
  assert.equal(followed.totals.count('http_reqs'), 4);
  assert.equal(followed.totals.count('http_reqs', { status: '302' }), 3);
  const stopped = await once((http) => http.get('/redirect/3', { redirects: 1 }));
  assert.equal(stopped.out.status, 302);
  assert.equal(stopped.out.headers.location, '/redirect/1');
  const none = await once((http) => http.get('/redirect/1', { redirects: 0 }));
  assert.equal(none.out.status, 302);
});

test('network failures are responses with status 0 and an error kind, never exceptions', async () => {
  // A port nobody listens on.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));

  const { out, totals, iterationErrors } = await once(async (http) => [
    await http.get(`http://127.0.0.1:${port}/`),
    await http.get('/reset'),
    await http.get('/hang', { timeout: '150ms' }),
  ]);
  assert.deepEqual(out.map((r) => [r.status, r.error]), [
    [0, 'ECONNREFUSED'],
    [0, 'ECONNRESET'],
    [0, 'ETIMEDOUT'],
  ]);
  assert.equal(iterationErrors.length, 0);
  assert.deepEqual(totals.errors, { ECONNREFUSED: 1, ECONNRESET: 1, ETIMEDOUT: 1 });
  assert.deepEqual(totals.rate('http_req_failed'), { passes: 3, fails: 0 });
  assert.equal(totals.count('http_reqs', { status: '0' }), 3);
  // The scenario's default timeout applies too (a bare number is seconds: 0.1 is 100 ms).
  const dflt = await once((http) => http.get('/hang'), { timeout: 0.1 });
  assert.equal(dflt.out.error, 'ETIMEDOUT');
});

test('an unknown host is ENOTFOUND; a malformed URL throws into the iteration', async () => {
  const { out } = await once((http) => http.get('http://loadlens-no-such-host.invalid/'));
  assert.equal(out.status, 0);
  assert.equal(out.error, 'ENOTFOUND');
  const { iterationErrors } = await runCollect({ load: { vus: 1, iterations: 1 }, iteration: ({ http }) => http.get('/no-target').then(() => undefined) });
  assert.match(String(iterationErrors[0]?.err), /relative URLs need the scenario's target/);
});

test('bad request input rejects the returned promise (a .catch sees it), it does not throw at the call', async () => {
  const { out } = await once(async (http) => {
    let promise: Promise<unknown> | undefined;
    try {
      promise = http.get('/', { timeout: 'soon' as never });
    } catch {
      return 'threw at the call';
    }
    return promise.then(() => 'sent', (err: unknown) => `rejected: ${String(err)}`);
  });
  assert.match(out, /^rejected: .*timeout/);
});

test('capped connections: the wait for a connection is blocked time and part of the latency', async () => {
  const { totals } = await runCollect({
    target: srv.url,
    http: { connections: 1 },
    load: { vus: 4, iterations: 8 },
    async iteration({ http }) {
      await http.get('/slow?ms=30');
    },
  });
  const blockedMax = totals.ms('http_req_blocked', 100);
  assert.ok(blockedMax >= 50, `blocked max ${blockedMax}`);
  assert.ok(totals.ms('http_req_duration', 100) >= totals.ms('http_req_service_duration', 100) + 50);
});

test('https: TLS handshake time is measured; self-signed certificates need insecureSkipTLSVerify', async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { spawnSync } = await import('node:child_process');
  const https = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-tls-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('secure'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const target = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const run = (insecureSkipTLSVerify: boolean) => {
      const out: HttpResponse[] = [];
      return runCollect({
        target,
        http: { insecureSkipTLSVerify },
        load: { vus: 1, iterations: 2 },
        async iteration({ http }) {
          out.push(await http.get('/'));
        },
      }).then((c) => ({ ...c, out }));
    };
    const ok = await run(true);
    assert.deepEqual(ok.out.map((r) => [r.status, r.text()]), [[200, 'secure'], [200, 'secure']]);
    assert.ok(ok.out[0].timings.tls > 0, 'the first request did the handshake');
    assert.equal(ok.out[1].timings.tls, 0, 'the second reused the connection');
    const refused = await run(false);
    assert.equal(refused.out[0].status, 0);
    assert.match(refused.out[0].error ?? '', /SELF_SIGNED|CERT/);
  } finally {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

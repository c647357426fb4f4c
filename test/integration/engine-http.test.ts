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
  assert.equal(stopped.out.error, 'EREDIRECTS');
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
    assert.equal(refused.out[0].error, 'ECERT');
  } finally {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- exact HTTP/1.1 handling, on both clients (the lean one and undici) ----------------------

import { createServer as createRawServer, type Socket } from 'node:net';
import type { HttpClientChoice } from '../../src/engine/http/transport';

const CLIENTS: HttpClientChoice[] = ['auto', 'undici'];

interface RawRequest {
  head: string;
  path: string;
  method: string;
  /** Connection number (1-based) and the request's number on it. */
  conn: number;
  onConn: number;
}

/** A raw-socket server: `answer` writes whatever bytes it likes for each request head. */
async function rawServer(answer: (s: Socket, r: RawRequest) => void) {
  let connections = 0;
  let bytes = 0;
  const requests: RawRequest[] = [];
  const clientEnded: number[] = [];
  const sockets = new Set<Socket>();
  const server = createRawServer((s) => {
    const conn = ++connections;
    let onConn = 0;
    let buf = '';
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('end', () => clientEnded.push(conn));
    s.on('data', (d) => {
      bytes += d.length;
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n\r\n'); i >= 0; i = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, i);
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        buf = buf.slice(i + 4 + (cl ? Number(cl[1]) : 0));
        const [method, path] = head.split(' ');
        const r = { head, method, path, conn, onConn: ++onConn };
        requests.push(r);
        answer(s, r);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    clientEnded,
    get connections() { return connections; },
    get bytes() { return bytes; },
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

function ok(body: string, extra = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

/** One iteration of `fn` against `url` on `client`; returns its value and the totals. */
async function onClient<T>(client: HttpClientChoice, url: string, fn: (http: import('../../src/engine/types').HttpClient) => Promise<T>) {
  let out: T | undefined;
  const collected = await runCollect({ target: url, load: { vus: 1, iterations: 1 }, async iteration(ctx) { out = await fn(ctx.http); } }, { httpClient: client });
  assert.deepEqual(collected.iterationErrors, []);
  return { out: out as T, ...collected };
}

const show = (r: HttpResponse) => [r.status, r.error ?? r.text()];

for (const client of CLIENTS) {
  test(`[${client}] 1xx responses before the final one never complete a request; 101 is EUPGRADE; an unasked-for 100 is skipped (undici: EBADRESPONSE)`, async () => {
    const srv = await rawServer((s, r) => {
      if (r.path === '/early') s.write(`HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n${ok(`final ${r.onConn}`, 'x-final: 1\r\n')}`);
      else if (r.path === '/upgrade') s.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
      else if (r.path === '/continue') s.write(`HTTP/1.1 100 Continue\r\n\r\n${ok('ok')}`);
    });
    try {
      const { out } = await onClient(client, srv.url, async (http) => {
        const a = await http.get('/early');
        const b = await http.get('/early');
        return [a, b, await http.get('/upgrade'), await http.get('/continue'), await http.get('/early')];
      });
      // RFC 9110 §15.2: a client must parse 1xx responses it did not expect. undici 7 fails an
      // unasked 100 (and drops the connection): the one case where the clients deliberately differ.
      const continued = client === 'undici' ? [[0, 'EBADRESPONSE'], [200, 'final 1']] : [[200, 'ok'], [200, 'final 2']];
      assert.deepEqual(out.map(show), [[200, 'final 1'], [200, 'final 2'], [0, 'EUPGRADE'], ...continued]);
      assert.equal(out[0].headers.link, undefined, 'the 103\'s headers are not the response\'s');
      assert.equal(out[0].headers['x-final'], '1');
    } finally {
      await srv.close();
    }
  });

  test(`[${client}] chunked trailers stay with their message and never show up in the next response`, async () => {
    const srv = await rawServer((s, r) => {
      if (r.path === '/chunked') s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-trailer\r\n\r\n2\r\nok\r\n0\r\nx-trailer: leaked\r\n\r\n');
      else s.write(ok('plain'));
    });
    try {
      const { out } = await onClient(client, srv.url, async (http) => [await http.get('/chunked'), await http.get('/plain'), await http.get('/chunked'), await http.get('/plain')]);
      assert.deepEqual(out.map(show), [[200, 'ok'], [200, 'plain'], [200, 'ok'], [200, 'plain']]);
      for (const r of out) assert.equal(r.headers['x-trailer'], undefined);
      assert.equal(srv.connections, 1);
    } finally {
      await srv.close();
    }
  });

  test(`[${client}] bytes with no request in flight end the connection and never reach the next request`, async () => {
    let strayWritten!: () => void;
    const stray = new Promise<void>((r) => (strayWritten = r));
    const srv = await rawServer((s, r) => {
      if (r.path === '/idle') {
        s.write(ok('idle'));
        setTimeout(() => { s.write(ok('stray')); strayWritten(); }, 20);
      } else if (r.path === '/long') s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nsurplus');
      else if (r.path === '/double') s.write(ok('one') + ok('two'));
      else s.write(ok(`answer to ${r.path}`));
    });
    try {
      const { out } = await onClient(client, srv.url, async (http) => {
        const idle = await http.get('/idle');
        await stray;
        await new Promise((r) => setTimeout(r, 30)); // the client reads the stray bytes
        return [idle, await http.get('/a'), await http.get('/long'), await http.get('/b'), await http.get('/double'), await http.get('/c')];
      });
      assert.deepEqual(out.map(show), [[200, 'idle'], [200, 'answer to /a'], [200, 'ok'], [200, 'answer to /b'], [200, 'one'], [200, 'answer to /c']]);
      assert.equal(srv.connections, 4, 'each connection that carried stray bytes was closed');
    } finally {
      await srv.close();
    }
  });

  test(`[${client}] HEAD responses keep the connection alive`, async () => {
    // undici closes after every HEAD unless told not to (the adapter does); the lean client
    // decides itself (a HEAD's response has no body whatever its headers say).
    const srv = await rawServer((s, r) => s.write(r.method === 'HEAD' ? `HTTP/1.1 200 OK\r\ncontent-length: 5\r\n${r.path === '/ka' ? 'connection: keep-alive\r\n' : ''}\r\n` : ok('hello')));
    try {
      const { out } = await onClient(client, srv.url, async (http) => [await http.head('/ka'), await http.head('/ka'), await http.head('/ka'), await http.get('/')]);
      assert.deepEqual(out.map(show), [[200, ''], [200, ''], [200, ''], [200, 'hello']]);
      assert.equal(srv.connections, 1);
      const plain = await onClient(client, srv.url, async (http) => [await http.head('/'), await http.head('/'), await http.get('/')]);
      assert.deepEqual(plain.out.map(show), [[200, ''], [200, ''], [200, 'hello']]);
      assert.equal(srv.connections, 2);
    } finally {
      await srv.close();
    }
  });

  test(`[${client}] a user's connection: close is sent and the client closes the connection after the response`, async () => {
    const srv = await rawServer((s) => s.write(ok('hi')));
    try {
      const { out } = await onClient(client, srv.url, async (http) => [await http.get('/a', { headers: { Connection: 'close' } }), await http.get('/b')]);
      assert.deepEqual(out.map(show), [[200, 'hi'], [200, 'hi']]);
      assert.equal(srv.requests[0].head.match(/\r\nconnection:/gi)?.length, 1);
      assert.match(srv.requests[0].head, /\r\nconnection: close/i);
      assert.equal(srv.connections, 2);
      assert.equal(srv.requests[1].conn, 2);
      assert.ok(srv.clientEnded.includes(1), 'the client closed the first connection');
    } finally {
      await srv.close();
    }
  });

  test(`[${client}] Keep-Alive: timeout hints: reuse only when the hint leaves more than the safety margin`, async () => {
    const srv = await rawServer((s, r) => s.write(ok('ka', `keep-alive: timeout=${r.path.slice(1)}\r\n`)));
    try {
      await onClient(client, srv.url, async (http) => [await http.get('/1'), await http.get('/1')]);
      assert.equal(srv.connections, 2, 'timeout=1 (minus 2 s) leaves nothing: not reused');
      await onClient(client, srv.url, async (http) => [await http.get('/5'), await http.get('/5')]);
      assert.equal(srv.connections, 3, 'timeout=5: reused');
    } finally {
      await srv.close();
    }
  });

  test(`[${client}] a bad method or header rejects at the call with a TypeError naming it, and nothing is sent`, async () => {
    const srv = await rawServer((s) => s.write(ok('sent')));
    try {
      const { out } = await onClient(client, srv.url, async (http) => {
        const settle = (p: Promise<unknown>) => p.then(() => 'sent', (e: unknown) => (e instanceof TypeError ? e.message : `not a TypeError: ${String(e)}`));
        return [
          await settle(http.request('GE T', '/')),
          await settle(http.request('GET\r\n', '/')),
          await settle(http.get('/', { headers: { 'x-inject': 'a\r\nx-evil: 1' } })),
          await settle(http.get('/', { headers: { 'x-nul': 'a\0b' } })),
          await settle(http.get('/', { headers: { 'bad name': 'x' } })),
          await settle(http.get('/', { headers: { 'x-lf\n': 'x' } })),
        ];
      });
      assert.match(out[0], /method "GE T"/);
      assert.match(out[1], /method "GET\\r\\n"/);
      assert.match(out[2], /header "x-inject"/);
      assert.match(out[3], /header "x-nul"/);
      assert.match(out[4], /header name "bad name"/);
      assert.match(out[5], /header name "x-lf\\n"/);
      assert.equal(srv.connections, 0);
      assert.equal(srv.bytes, 0);
    } finally {
      await srv.close();
    }
  });

  for (const how of ['FIN', 'RST'] as const) {
    test(`[${client}] a reused connection the server closed (${how}) is retried once for GET, never for POST`, async () => {
      // The second request on each connection finds it closed by the server.
      const srv = await rawServer((s, r) => {
        if (r.onConn === 2) return how === 'FIN' ? void s.end() : void s.resetAndDestroy();
        s.write(ok(`answer to ${r.path}`));
      });
      try {
        const get = await onClient(client, srv.url, async (http) => [await http.get('/1'), await http.get('/2')]);
        assert.deepEqual(get.out.map(show), [[200, 'answer to /1'], [200, 'answer to /2']]);
        assert.equal(get.totals.count('http_req_retries'), 1);
        assert.deepEqual(get.totals.rate('http_req_failed'), { passes: 0, fails: 2 });
        assert.equal(get.totals.count('http_reqs'), 2);
        assert.deepEqual(srv.requests.map((r) => `${r.conn}:${r.path}`), ['1:/1', '1:/2', '2:/2']);

        const post = await onClient(client, srv.url, async (http) => [await http.get('/3'), await http.post('/4', { body: 'x' })]);
        assert.deepEqual(post.out.map(show), [[200, 'answer to /3'], [0, 'ECONNRESET']]);
        assert.equal(post.totals.count('http_req_retries'), 0);
        assert.deepEqual(post.totals.rate('http_req_failed'), { passes: 1, fails: 1 });
      } finally {
        await srv.close();
      }
    });
  }

  test(`[${client}] failures are named the same way: premature close, short body, malformed, oversized head`, async () => {
    const srv = await rawServer((s, r) => {
      const p = r.path;
      if (p === '/no-head') { s.write('HTTP/1.1 200 OK\r\ncontent-le'); s.end(); }
      else if (p === '/short') { s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'); s.end(); }
      else if (p === '/short-close') { s.write('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 10\r\n\r\nabc'); s.end(); }
      else if (p === '/short-chunked') { s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\na\r\nabc'); s.end(); }
      else if (p === '/rst-body') { s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc', () => setTimeout(() => s.resetAndDestroy(), 10)); }
      else if (p === '/rst-body-close') { s.write('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 10\r\n\r\nabc', () => setTimeout(() => s.resetAndDestroy(), 10)); }
      else if (p === '/garbage') s.write('NOT HTTP AT ALL\r\n\r\n');
      else if (p === '/bad-chunk') s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n');
      else if (p === '/big-head') s.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(20_000)}\r\ncontent-length: 0\r\n\r\n`);
      else if (p === '/eof-body') { s.write('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end'); s.end(); }
    });
    try {
      const paths = ['/no-head', '/short', '/short-close', '/short-chunked', '/rst-body', '/rst-body-close', '/garbage', '/bad-chunk', '/big-head', '/eof-body'];
      const { out, totals } = await onClient(client, srv.url, async (http) => {
        const all: HttpResponse[] = [];
        for (const p of paths) all.push(await http.get(p));
        return all;
      });
      assert.deepEqual(Object.fromEntries(out.map((r, i) => [paths[i], show(r)])), {
        '/no-head': [0, 'ECONNRESET'],
        '/short': [0, 'ECONTENTLENGTH'],
        '/short-close': [0, 'ECONTENTLENGTH'],
        '/short-chunked': [0, 'ECONNRESET'],
        '/rst-body': [0, 'ECONNRESET'],
        '/rst-body-close': [0, 'ECONNRESET'],
        '/garbage': [0, 'EBADRESPONSE'],
        '/bad-chunk': [0, 'EBADRESPONSE'],
        '/big-head': [0, 'EHEADERSOVERFLOW'],
        '/eof-body': [200, 'until the end'],
      });
      assert.equal(totals.count('http_req_retries'), 0);
    } finally {
      await srv.close();
    }
  });
}

test('more redirects than allowed is a failed request (EREDIRECTS) with the last 3xx; redirects: 0 returns the 3xx', async () => {
  const over = await once((http) => http.get('/redirect/3', { redirects: 2 }));
  assert.equal(over.out.status, 302);
  assert.equal(over.out.error, 'EREDIRECTS');
  assert.equal(over.out.headers.location, '/redirect/0');
  assert.deepEqual(over.totals.rate('http_req_failed'), { passes: 1, fails: 2 });
  assert.deepEqual(over.totals.errors, { EREDIRECTS: 1 });
  const none = await once((http) => http.get('/redirect/1', { redirects: 0 }));
  assert.equal(none.out.status, 302);
  assert.equal(none.out.error, undefined);
  assert.deepEqual(none.totals.rate('http_req_failed'), { passes: 0, fails: 1 });
});

test('a request path with spaces or control characters rejects with a TypeError, on both clients', async () => {
  for (const client of CLIENTS) {
    const srv = await rawServer((s) => s.write(ok('sent')));
    try {
      const { out } = await onClient(client, srv.url, (http) => http.get('/a b').then(() => 'sent', (e: unknown) => String(e)));
      assert.match(out, /TypeError: invalid request path "\/a b"/);
      assert.equal(srv.bytes, 0);
    } finally {
      await srv.close();
    }
  }
});

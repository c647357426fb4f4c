// The lean HTTP/1.1 pool (src/engine/http/h1.ts) against a real loopback server: connection
// reuse, and a burst of requests that opens connections at most 256 attempts at a time (so a
// burst cannot overflow the server's accept queue) while every request is still answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { H1Pool } from '../../src/engine/http/h1';
import type { ExchangeHandler } from '../../src/engine/http/pool';

function request(pool: H1Pool, path: string): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    let status = 0;
    const chunks: Buffer[] = [];
    const handler: ExchangeHandler = {
      onRequestStart() {},
      onRequestSent() {},
      onResponseHead(s) { status = s; },
      onResponseData(c) { chunks.push(c); },
      onComplete() { resolve({ status, body: Buffer.concat(chunks as unknown as Uint8Array[]).toString() }); },
      onFailure(f) { resolve({ status: 0, body: '', error: f.kind }); },
    };
    pool.dispatch({ method: 'GET', path, headers: undefined, body: undefined, timeoutMs: 10_000, close: false, freshConnection: false }, handler);
  });
}

async function server(hold: (release: () => void) => void) {
  const sockets = new Set<Socket>();
  const s = createServer((req, res) => hold(() => res.end(`ok ${req.url}`)));
  s.on('connection', (c) => { sockets.add(c); c.on('close', () => sockets.delete(c)); });
  let connections = 0;
  s.on('connection', () => connections++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', 1024, r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    get connections() { return connections; },
    close: () => new Promise<void>((r) => { for (const c of sockets) c.destroy(); s.close(() => r()); }),
  };
}

test('sequential requests reuse one keep-alive connection', async () => {
  const srv = await server((release) => release());
  const pool = new H1Pool(srv.url, () => performance.now(), () => {});
  try {
    for (let i = 0; i < 20; i++) assert.deepEqual(await request(pool, `/${i}`), { status: 200, body: `ok /${i}` });
    assert.equal(srv.connections, 1);
  } finally {
    await pool.destroy();
    await srv.close();
  }
});

test('a burst of 600 requests opens at most 256 connections at a time, and all are answered', async () => {
  // The server holds every response until all 600 requests have arrived: 600 connections needed.
  const held: Array<() => void> = [];
  const srv = await server((release) => {
    held.push(release);
    if (held.length === 600) for (const r of held) r();
  });
  const pool = new H1Pool(srv.url, () => performance.now(), () => {});
  try {
    const all = Array.from({ length: 600 }, (_, i) => request(pool, `/${i}`));
    assert.equal(pool.connecting, 256, 'attempts in flight right after the burst');
    const out = await Promise.all(all);
    assert.deepEqual(out.filter((r) => r.status !== 200), []);
    assert.equal(srv.connections, 600);
    assert.equal(pool.connecting, 0);
  } finally {
    await pool.destroy();
    await srv.close();
  }
});

test('destroy() aborts requests in flight and those waiting for a connection', async () => {
  const srv = await server(() => {});
  const pool = new H1Pool(srv.url, () => performance.now(), () => {});
  try {
    const all = Array.from({ length: 300 }, (_, i) => request(pool, `/${i}`));
    await pool.destroy();
    const out = await Promise.all(all);
    assert.deepEqual([...new Set(out.map((r) => r.error))], ['EABORTED']);
  } finally {
    await srv.close();
  }
});

test('the start-up probe passes with Node\'s parser and fails, with a reason, with a broken or missing one', async () => {
  const { probeLeanClient, brokenParserModule, loadParserModule } = await import('../../src/engine/http/h1');
  assert.equal(probeLeanClient(), undefined);
  assert.match(probeLeanClient(brokenParserModule()) ?? '', /unexpected parse of a 103 \+ chunked 200/);
  assert.match(probeLeanClient({} as never) ?? '', /not available/);
  // A parser that completes 1xx responses as final ones (the bug the probe guards against).
  const real = loadParserModule().HTTPParser;
  class OneXX extends real {
    execute(chunk: Buffer): number | Error {
      return super.execute(Buffer.from(chunk.toString('latin1').replace('103 Early Hints', '200 Early Hints'), 'latin1'));
    }
  }
  assert.match(probeLeanClient({ HTTPParser: Object.assign(OneXX, real) }) ?? '', /unexpected parse/);
});

test('an idle connection is closed after its keep-alive limit (the hint minus the margin); a hint within the margin is not kept', async () => {
  const { createServer: createNet } = await import('node:net');
  let closedByClient = 0;
  let connections = 0;
  const srv = createNet((s) => {
    connections++;
    s.on('data', (d) => s.write(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=${d.toString().split(' ')[1].slice(1)}\r\n\r\nok`));
    s.on('end', () => { closedByClient++; s.end(); });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  // A clock the test moves: the pool's sweep compares it with the idle limit.
  let now = 0;
  const pool = new H1Pool(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`, () => now, () => {});
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
    return what();
  };
  try {
    assert.deepEqual(await request(pool, '/5'), { status: 200, body: 'ok' });
    now += 2_999; // timeout=5 s minus the 2 s margin: idle for up to 3 s
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(closedByClient, 0);
    now += 1;
    assert.ok(await until(() => closedByClient === 1), 'closed once idle for 3 s');
    assert.deepEqual(await request(pool, '/2'), { status: 200, body: 'ok' });
    assert.ok(await until(() => closedByClient === 2), 'timeout=2 leaves nothing after the margin: closed at once');
    assert.equal(connections, 2);
  } finally {
    await pool.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

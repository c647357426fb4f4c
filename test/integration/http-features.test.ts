// HTTP features real APIs need, each against a real node:http server on loopback and on BOTH
// clients where it is a client concern (the lean HTTP/1.1 client and undici): compressed
// responses, form and multipart bodies, the cookie jar API and its per-iteration default.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { HttpTransport } from '../../src/engine/http/transport';
import { VuHttp } from '../../src/engine/http/client';
import { MetricsRecorder } from '../../src/engine/metrics/recorder';
import { transportOptionsOf } from '../../src/engine/run';
import { scenario, file } from '../../src/engine/api';
import type { HttpOptions } from '../../src/engine/types';
import { runCollect } from '../servers/collect';
import { CLIENTS, type ClientName } from '../servers/http-clients';

const JSON_BODY = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` })) });
const ENCODED: Record<string, Buffer> = {
  gzip: gzipSync(JSON_BODY),
  deflate: deflateSync(JSON_BODY),
  'deflate-raw': deflateRawSync(JSON_BODY),
  br: brotliCompressSync(JSON_BODY),
};

let server: Server;
let base: string;
/** The last request's head and body, as the server received them. */
let last: { headers: IncomingMessage['headers']; body: Buffer } | undefined;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      last = { headers: req.headers, body: Buffer.concat(chunks as unknown as Uint8Array[]) };
      const u = new URL(req.url!, 'http://x');
      const m = /^\/encoded\/(.+)$/.exec(u.pathname);
      if (m) {
        const coding = m[1];
        let body = ENCODED[coding] ?? Buffer.from('not compressed at all');
        if (u.searchParams.has('corrupt')) body = Buffer.concat([body.subarray(0, 10), Buffer.alloc(40, 0x55)] as unknown as Uint8Array[]);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding === 'deflate-raw' ? 'deflate' : coding, 'content-length': body.length });
        return res.end(body);
      }
      if (u.pathname === '/echo-headers') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(req.headers));
      }
      if (u.pathname === '/set-cookie') {
        res.writeHead(200, { 'set-cookie': `${u.searchParams.get('name')}=${u.searchParams.get('value')}; Path=/` });
        return res.end('ok');
      }
      res.writeHead(200);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function withHttp<T>(client: ClientName, fn: (http: VuHttp, recorder: MetricsRecorder) => Promise<T>, http: HttpOptions = {}): Promise<T> {
  const recorder = new MetricsRecorder();
  const def = scenario({ target: base, load: { vus: 1, iterations: 1 }, http, iteration() {} });
  const transport = new HttpTransport(recorder, transportOptionsOf(def, undefined, client === 'undici' ? 'undici' : 'auto'));
  try {
    return await fn(new VuHttp(transport), recorder);
  } finally {
    await transport.close();
  }
}

function counter(recorder: MetricsRecorder, metric: string): number {
  const i = recorder.flush({ index: 0, startMs: 0, endMs: 0, vus: 0, vusMax: 0, iterationsDue: 0, iterationsStarted: 0, iterationsDropped: 0, backlog: 0 });
  return i.series.reduce((n, s) => n + (s.kind === 'counter' && s.metric === metric ? s.value : 0), 0);
}

for (const client of CLIENTS) {
  test(`${client}: gzip, deflate (zlib and raw) and br bodies decode for text() and json(); bodySize and data_received count wire bytes`, async () => {
    for (const coding of Object.keys(ENCODED)) {
      await withHttp(client, async (http, recorder) => {
        const res = await http.get(`/encoded/${coding}`);
        assert.equal(res.status, 200, coding);
        assert.equal(res.error, undefined, coding);
        assert.equal(res.json<{ items: unknown[] }>().items.length, 200, coding);
        assert.equal(res.text(), JSON_BODY, coding);
        assert.equal(res.bodySize, ENCODED[coding].length, `${coding}: bodySize is the compressed size`);
        const received = counter(recorder, 'data_received');
        assert.ok(received >= ENCODED[coding].length && received < ENCODED[coding].length + 300, `${coding}: data_received ${received} counts the wire bytes, not ${JSON_BODY.length}`);
      });
    }
  });

  test(`${client}: accept-encoding gzip, deflate, br is sent unless the request sets its own`, async () => {
    await withHttp(client, async (http) => {
      assert.equal((await http.get('/echo-headers')).json()['accept-encoding'], 'gzip, deflate, br');
      assert.equal((await http.get('/echo-headers', { headers: { 'x-a': '1' } })).json()['accept-encoding'], 'gzip, deflate, br');
      assert.equal((await http.get('/echo-headers', { headers: { 'Accept-Encoding': 'identity' } })).json()['accept-encoding'], 'identity');
    });
  });

  test(`${client}: a corrupt compressed body is a failed request of kind EDECOMPRESS that keeps its status`, async () => {
    await withHttp(client, async (http, recorder) => {
      for (const coding of ['gzip', 'br', 'deflate']) {
        const res = await http.get(`/encoded/${coding}?corrupt`);
        assert.equal(res.status, 200);
        assert.equal(res.error, 'EDECOMPRESS', coding);
        assert.throws(() => res.json(), new RegExp(`${coding}-encoded response body could not be decoded`));
      }
      const i = recorder.flush({ index: 0, startMs: 0, endMs: 0, vus: 0, vusMax: 0, iterationsDue: 0, iterationsStarted: 0, iterationsDropped: 0, backlog: 0 });
      assert.equal(i.errors.EDECOMPRESS, 3);
      const failed = i.series.filter((s) => s.kind === 'rate' && s.metric === 'http_req_failed');
      assert.equal(failed.reduce((n, s) => n + (s.kind === 'rate' ? s.passes : 0), 0), 3);
    });
  });

  test(`${client}: a decoded body larger than maxResponseBodyBytes is truncated, never silently cut`, async () => {
    await withHttp(client, async (http) => {
      const res = await http.get('/encoded/gzip');
      assert.equal(res.bodyTruncated, true);
      assert.equal(res.error, undefined);
      assert.throws(() => res.json(), /larger than http.maxResponseBodyBytes/);
    }, { maxResponseBodyBytes: 1000 });
  });

  test(`${client}: form bodies are url-encoded with their content type`, async () => {
    await withHttp(client, async (http) => {
      const res = await http.post('/form', { form: { user: 'a b', pass: 'p&=ß', n: 3 } });
      assert.equal(res.status, 200);
      assert.equal(last!.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.deepEqual(Object.fromEntries(new URLSearchParams(last!.body.toString())), { user: 'a b', pass: 'p&=ß', n: '3' });
    });
  });

  test(`${client}: multipart bodies carry fields and files with a boundary a standard parser accepts`, async () => {
    await withHttp(client, async (http) => {
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
      const res = await http.post('/upload', {
        multipart: { title: 'holiday "2026"', 'field "q"': 'x', tags: ['a', 'b'], photo: file(png, 'beach.png', 'image/png'), notes: file('plain text') },
      });
      assert.equal(res.status, 200);
      const type = String(last!.headers['content-type']);
      assert.match(type, /^multipart\/form-data; boundary=/);
      // Parsed by the platform's own multipart parser (undici's Response.formData).
      const form = await new Response(new Uint8Array(last!.body), { headers: { 'content-type': type } }).formData();
      assert.equal(form.get('title'), 'holiday "2026"');
      assert.deepEqual(form.getAll('tags'), ['a', 'b']);
      // Quotes in a name are escaped as browsers do (%22, which parsers read back), so the part header stays well formed.
      assert.equal(form.get('field "q"'), 'x');
      const photo = form.get('photo') as File;
      assert.equal(photo.name, 'beach.png');
      assert.equal(photo.type, 'image/png');
      assert.deepEqual(Buffer.from(await photo.arrayBuffer()), png);
      const notes = form.get('notes') as File;
      assert.equal(notes.name, 'file');
      assert.equal(notes.type, 'application/octet-stream');
      assert.equal(await notes.text(), 'plain text');
    });
  });

  test(`${client}: the jar API sets, reads and clears cookies that requests then send`, async () => {
    await withHttp(client, async (http) => {
      http.jar.set('/', 'session', 'abc');
      http.jar.set(`${base}/api`, 'scoped', '1', { path: '/api' });
      assert.deepEqual(http.jar.get('/'), { session: 'abc' });
      assert.deepEqual(http.jar.get('/api/x'), { scoped: '1', session: 'abc' });
      await http.get('/set-cookie?name=server&value=yes');
      assert.deepEqual(http.jar.get('/'), { session: 'abc', server: 'yes' });
      assert.equal((await http.get('/api/echo-headers')).status, 200);
      assert.equal(last!.headers.cookie, 'scoped=1; session=abc; server=yes');
      http.jar.clear('/api/x');
      assert.deepEqual(http.jar.get('/'), {});
      http.jar.set('/', 'again', '2');
      http.jar.clear();
      await http.get('/echo-headers');
      assert.equal(last!.headers.cookie, undefined);
      assert.throws(() => http.jar.set('/', 'bad name', 'x'), /invalid cookie name/);
      assert.throws(() => http.jar.set('/', 'n', 'a;b'), /invalid value for cookie n/);
    });
  });
}

test("cookies: each iteration starts with an empty jar (k6's default); 'per-vu' keeps them across a VU's iterations", async () => {
  const seen = async (cookies: HttpOptions['cookies']): Promise<Array<string | null>> => {
    const out: Array<string | null> = [];
    await runCollect({
      target: base,
      load: { vus: 1, iterationsPerVU: 3 },
      http: { cookies },
      async iteration({ http, vu }) {
        out.push(http.jar.get('/').n ?? null);
        await http.get(`/set-cookie?name=n&value=${vu.iteration}`);
      },
    });
    return out;
  };
  assert.deepEqual(await seen(undefined), [null, null, null]);
  assert.deepEqual(await seen('per-iteration'), [null, null, null]);
  assert.deepEqual(await seen('per-vu'), [null, '0', '1']);
  assert.throws(() => {
    // Validated with the other scenario options.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../src/engine/load').validateScenario(scenario({ load: { vus: 1, duration: 1 }, http: { cookies: 'always' as never }, iteration() {} }));
  }, /http\.cookies/);
});

// TLS per scenario (`tls: { ca, cert, key, insecureSkipTLSVerify }`) against a real https server
// on loopback, with a CA, a server certificate and a client certificate made by the openssl CLI
// here. https origins are served by undici (the lean client speaks plain http only).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:https';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { gzipSync } from 'node:zlib';
import type { TLSSocket } from 'node:tls';
import { runHook } from '../../src/engine/run';
import { scenario } from '../../src/engine/api';
import { validateScenario } from '../../src/engine/load';
import type { TlsOptions, HttpResponse } from '../../src/engine/types';

let dir: string;
let pem: Record<'ca' | 'srvKey' | 'srvCert' | 'cliKey' | 'cliCert' | 'otherCa', string>;
let server: Server;
let base: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate (CN=load-tester), both signed by it. */
function makeCerts(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Loadlens Test CA');
  openssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=Another CA');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
  openssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'san.ext');
  openssl('req', ...ec, '-keyout', 'cli.key', '-out', 'cli.csr', '-subj', '/CN=load-tester');
  openssl('x509', '-req', '-in', 'cli.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cli.crt', '-days', '2');
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  pem = { ca: r('ca.crt'), srvKey: r('srv.key'), srvCert: r('srv.crt'), cliKey: r('cli.key'), cliCert: r('cli.crt'), otherCa: r('other.crt') };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loadlens-tls-'));
  makeCerts();
  // Asks for a client certificate; /mtls answers 403 without a trusted one, and names its CN.
  server = createServer({ key: pem.srvKey, cert: pem.srvCert, ca: pem.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const sock = req.socket as TLSSocket;
    if (req.url === '/mtls' && !sock.authorized) {
      res.writeHead(403);
      return res.end('no client certificate');
    }
    res.writeHead(200);
    res.end(req.url === '/mtls' ? `hello ${sock.getPeerCertificate().subject.CN}` : 'ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string, tls: TlsOptions | undefined): Promise<HttpResponse> {
  const def = scenario({ target: base, load: { vus: 1, iterations: 1 }, tls, iteration() {} });
  validateScenario(def);
  // undici for https either way; both client choices are the same path here.
  return (await runHook('tls', def as never, (http) => http.get(path))).value;
}

test('a server certificate from a private CA: ECERT without tls.ca, trusted with it', async () => {
  assert.equal((await get('/', undefined)).error, 'ECERT');
  const ok = await get('/', { ca: pem.ca });
  assert.equal(ok.status, 200);
  assert.equal(ok.text(), 'ok');
  // Another CA does not vouch for it; Buffers and arrays are accepted.
  assert.equal((await get('/', { ca: Buffer.from(pem.otherCa) })).error, 'ECERT');
  assert.equal((await get('/', { ca: [pem.otherCa, Buffer.from(pem.ca)] })).status, 200);
});

test('tls.insecureSkipTLSVerify accepts the certificate without the CA', async () => {
  assert.equal((await get('/', { insecureSkipTLSVerify: true })).status, 200);
});

test('a client certificate is sent when the server asks for one (mutual TLS)', async () => {
  const without = await get('/mtls', { ca: pem.ca });
  assert.equal(without.status, 403);
  const withCert = await get('/mtls', { ca: pem.ca, cert: pem.cliCert, key: pem.cliKey });
  assert.equal(withCert.status, 200);
  assert.equal(withCert.text(), 'hello load-tester');
});

test('bad tls options are errors before the run, naming the field', () => {
  const v = (tls: unknown) => () => validateScenario(scenario({ load: { vus: 1, duration: 1 }, tls: tls as never, iteration() {} }));
  assert.throws(v({ ca: 'not a certificate' }), /tls\.ca: .*expected valid PEM/);
  assert.throws(v({ cert: pem.cliCert }), /tls\.key: .*together/);
  assert.throws(v({ cert: pem.cliCert, key: 'garbage' }), /tls\.key: .*valid PEM/);
  assert.throws(v({ cas: pem.ca }), /tls\.cas: .*only the fields ca, cert, key/);
  assert.throws(v({ ca: 42 }), /tls\.ca: .*PEM text/);
});

test('HTTP/2: an https server that negotiates h2 gets it, multiplexed on one connection; http2: false keeps HTTP/1.1', async () => {
  const sessions = new Set<unknown>();
  const h2: Http2SecureServer = createSecureServer({ key: pem.srvKey, cert: pem.srvCert, allowHTTP1: true }, (req, res) => {
    if (req.httpVersion === '2.0') sessions.add(req.stream.session);
    const body = gzipSync(JSON.stringify({ version: req.httpVersion, path: req.url }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'set-cookie': 'h2=yes; Path=/' });
    res.end(body as unknown as Uint8Array);
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(h2.address() as { port: number }).port}`;
  try {
    const run = async (http2: boolean | undefined) => {
      const def = scenario({ target: url, load: { vus: 1, iterations: 1 }, tls: { ca: pem.ca }, http: { http2 }, iteration() {} });
      return (await runHook('tls', def as never, async (http) => {
        // Once a connection has negotiated h2, 20 at once share it (a burst before any connection
        // exists opens one per request: the Pool cannot know the server speaks h2 before a handshake).
        assert.equal((await http.get('/warm')).status, 200);
        const all = await Promise.all(Array.from({ length: 20 }, (_, i) => http.get(`/item/${i}`)));
        const cookie = http.jar.get('/').h2;
        return { all, cookie };
      })).value;
    };
    const on = await run(undefined);
    assert.deepEqual(on.all.map((r) => r.status), Array(20).fill(200));
    assert.deepEqual(on.all.map((r) => r.json().version), Array(20).fill('2.0'));
    assert.deepEqual(on.all.map((r) => r.json().path), Array.from({ length: 20 }, (_, i) => `/item/${i}`));
    assert.equal(on.cookie, 'yes', 'set-cookie over h2 reaches the jar');
    assert.equal(sessions.size, 1, 'one multiplexed connection');
    const off = await run(false);
    assert.deepEqual(off.all.map((r) => r.json().version), Array(20).fill('1.1'));
  } finally {
    h2.close();
    await new Promise<void>((r) => setTimeout(r, 10));
  }
});

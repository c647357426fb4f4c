// `loadlens run --http-debug[=full]`: each request and response on stderr, through the CLI, the
// runner and worker processes, with authorization and cookie values redacted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { runCli, fixture } from './cli-helpers';

let server: Server;
let target: string;

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'session=server-secret; Path=/; HttpOnly' });
      res.end(JSON.stringify({ welcome: 'ann' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  target = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function assertRedactedHeads(stderr: string): void {
  assert.match(stderr, new RegExp(`> POST ${target}/login`));
  assert.match(stderr, /> authorization: Bearer \[redacted\]/);
  assert.match(stderr, /> cookie: a=\[redacted\]; b=\[redacted\]/);
  assert.match(stderr, /< 200 \(/);
  assert.match(stderr, /< set-cookie: session=\[redacted\]; Path=\/; HttpOnly/);
  for (const secret of ['secret-token', 'cookie-one', 'cookie-two', 'server-secret']) assert.ok(!stderr.includes(secret), `${secret} leaked`);
}

test('--http-debug prints each request and response head on stderr, credentials redacted, bodies not', async () => {
  const r = await runCli(['run', fixture('http-debug.load.ts'), '--target', target, '--http-debug', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assertRedactedHeads(r.stderr);
  assert.ok(!r.stderr.includes('"welcome"'), 'no body without =full');
  assert.ok(!r.stdout.includes('> POST'), 'stdout keeps only the summary');
});

test('--http-debug=full adds the bodies; it reaches worker processes too', async () => {
  const r = await runCli(['run', fixture('http-debug.load.ts'), '--target', target, '--http-debug=full', '--workers', '2', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assertRedactedHeads(r.stderr);
  assert.match(r.stderr, /> \{"user":"ann"\}/);
  assert.match(r.stderr, /< \{"welcome":"ann"\}/);
  // file() from 'loadlens' inside a bundled scenario: a multipart part with its filename.
  assert.match(r.stderr, /> content-type: multipart\/form-data; boundary=/);
  assert.match(r.stderr, /> content-disposition: form-data; name="note"; filename="a.txt"/);
  // setup() runs in the parent of the worker processes: its requests are printed too.
  assert.match(r.stderr, new RegExp(`> GET ${target}/setup`));
});

test('--http-debug=other is a usage error (exit 2)', async () => {
  const r = await runCli(['run', fixture('http-debug.load.ts'), '--http-debug=bodies']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--http-debug: got "bodies"/);
});

// Nothing raw reaches a terminal: check names, tag values, thrown error messages and a server
// header the scenario logs are printed with their control characters escaped; only our own
// colour sequences are written as escape sequences. Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { ExitCode } from '../../src/protocol';
import { fixture, runCli } from './cli-helpers';

// A raw loopback HTTP/1.1 server. A header may carry C1 bytes (obs-text: CSI \x9b, NEL \x85;
// our client refuses ESC and BEL in a header, as it should); the body carries ESC ] 0 ; ... BEL.
const HEADER = 'x-title: title\x9b2J\x85 done';
const BODY = 'body\x1b]0;pwned\x07 \x1b[2J done';
let server: Server;
let url: string;
const sockets = new Set<Socket>();

before(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let end; (end = buffered.indexOf('\r\n\r\n')) >= 0; ) {
        buffered = buffered.slice(end + 4);
        socket.write(`HTTP/1.1 200 OK\r\n${HEADER}\r\ncontent-type: text/plain\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`, 'latin1');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

/** Raw control characters a terminal would act on (newline, tab and CR of our own lines aside). */
const RAW_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Our own colours: SGR sequences. */
const OUR_COLOURS = /\x1b\[[0-9;]*m/g;

function assertEscapedForms(out: string): void {
  // The check name and the tag in the summary (stdout), the logged header (the scenario's
  // console, stdout) and the thrown error (stderr), each visible as escapes.
  assert.ok(out.includes('status \\x1b]0;pwned\\x07\\x1b[2J ok'), 'check name');
  assert.ok(out.includes('{name:tag\\x1b]0;pwned\\x07\\u009b2J}'), 'tag value in the threshold key');
  assert.ok(out.includes('server says: title\\u009b2J\\u0085 done / body\\x1b]0;pwned\\x07 \\x1b[2J done'), 'server header and body in the log');
  assert.ok(out.includes('boom \\x1b]0;pwned\\x07\\x1b[31m\\u009b31m'), 'error message');
  assert.ok(out.includes('second line \\ud800'), 'lone surrogate');
}

test('--no-color: control characters from the scenario and the server are escaped, and no ESC is written at all', async () => {
  const r = await runCli(['run', fixture('control-chars.load.ts'), '--target', url, '--no-color']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const out = r.stdout + r.stderr;
  assert.doesNotMatch(out, /\x1b/, 'no ESC at all');
  assert.doesNotMatch(out, RAW_CONTROL);
  assertEscapedForms(out);
});

test('with colour: our own colour sequences are the only escape sequences written', async () => {
  const r = await runCli(['run', fixture('control-chars.load.ts'), '--target', url], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const out = r.stdout + r.stderr;
  assert.match(out, /\x1b\[32m✓\x1b\[0m/, 'colours are on');
  const data = out.replace(OUR_COLOURS, '');
  assert.doesNotMatch(data, RAW_CONTROL);
  assertEscapedForms(data);
});

test('worker processes: the scenario console is escaped there too', async () => {
  const r = await runCli(['run', fixture('control-chars.load.ts'), '--target', url, '--no-color', '--workers', '2']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const out = r.stdout + r.stderr;
  assert.doesNotMatch(out, RAW_CONTROL);
  assert.ok(out.includes('server says: title\\u009b2J\\u0085 done / body\\x1b]0;pwned\\x07 \\x1b[2J done'), out);
});

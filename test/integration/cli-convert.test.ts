// HAR import end to end: headless Chromium (Debian's, through playwright-core) records a real
// page served on loopback (a login that returns a token, API calls that send it, a form post, a
// pause), `loadlens convert` turns the HAR into a scenario, and `loadlens run` replays it against
// the same server. Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/protocol';
import { runCli } from './cli-helpers';
import { listenLoopback, type Listening } from '../servers/listen';
import { launchChromium } from '../e2e/browser';

const PAGE = `<!doctype html><html><head><title>shop</title><link rel="stylesheet" href="/style.css"></head>
<body><img src="/logo.png" alt=""><script src="/app.js"></script></body></html>`;

const APP = `(async () => {
  const login = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ann', password: 'secret', remember: true }) }).then((r) => r.json());
  const auth = { authorization: 'Bearer ' + login.token, 'x-client': 'shop-web' };
  const items = await fetch('/api/items?page=2&sort=price', { headers: auth }).then((r) => r.json());
  await new Promise((r) => setTimeout(r, 700));
  await fetch('/api/cart', { method: 'POST', headers: auth, body: new URLSearchParams({ sku: items.items[0].sku, qty: '2' }) });
  await fetch('/api/cart/1', { method: 'DELETE', headers: auth });
  document.title = 'done';
})();`;

// 1x1 transparent PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

let tmp: string;
let server: Listening;
const tokens = new Set<string>();
const hits = new Map<string, number>();

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => resolve(text));
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const key = `${req.method} ${url.pathname}`;
  hits.set(key, (hits.get(key) ?? 0) + 1);
  const send = (status: number, type: string, data: string | Buffer) => {
    res.writeHead(status, { 'content-type': type });
    res.end(data);
  };
  const authorised = () => tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''));
  switch (key) {
    case 'GET /':
      return send(200, 'text/html', PAGE);
    case 'GET /style.css':
      return send(200, 'text/css', 'body { margin: 0 }');
    case 'GET /app.js':
      return send(200, 'text/javascript', APP);
    case 'GET /logo.png':
      return send(200, 'image/png', PNG);
    case 'POST /api/login': {
      const creds = JSON.parse(await body(req));
      if (creds.user !== 'ann' || creds.password !== 'secret' || creds.remember !== true) return send(400, 'text/plain', 'bad login');
      const token = randomBytes(16).toString('hex');
      tokens.add(token);
      return send(200, 'application/json', JSON.stringify({ token, user: { name: 'Ann' } }));
    }
    case 'GET /api/items':
      if (!authorised()) return send(401, 'text/plain', 'no');
      if (url.search !== '?page=2&sort=price') return send(400, 'text/plain', `query ${url.search}`);
      return send(200, 'application/json', JSON.stringify({ items: [{ sku: 'sku-7', price: 3 }] }));
    case 'POST /api/cart': {
      const form = new URLSearchParams(await body(req));
      const ok = authorised() && req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') && form.get('sku') === 'sku-7' && form.get('qty') === '2';
      return send(ok ? 201 : 400, 'application/json', JSON.stringify({ ok }));
    }
    case 'DELETE /api/cart/1':
      res.writeHead(authorised() ? 204 : 401);
      return void res.end();
    default:
      return send(404, 'text/plain', 'not found');
  }
}

/** Records `/` in headless Chromium into a HAR (with response bodies) and returns its path. */
async function record(): Promise<string> {
  const harPath = join(tmp, 'shop.har');
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ recordHar: { path: harPath, content: 'embed' } });
    const page = await context.newPage();
    await page.goto(server.url + '/');
    await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 20_000 });
    await context.close();
  } finally {
    await browser.close();
  }
  return harPath;
}

let harPath: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-convert-'));
  server = await listenLoopback(createServer((req, res) => void handle(req, res)));
  harPath = await record();
});
after(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('a Chromium recording becomes a readable scenario that replays it against the same server', async () => {
  const out = join(tmp, 'shop.load.ts');
  const converted = await runCli(['convert', harPath, '-o', out]);
  assert.equal(converted.code, ExitCode.ok, converted.stderr);
  assert.match(converted.stderr, /wrote .*shop\.load\.ts: 5 request\(s\); target http:\/\/127\.0\.0\.1:\d+; \d+ static asset\(s\) left out.*; \d+ value\(s\) to correlate/);
  const code = readFileSync(out, 'utf8');

  assert.ok(code.includes(`target: "${server.url}"`), code);
  // In recorded order, relative to the target, with the query string.
  const calls = [...code.matchAll(/res = await (http\.\w+\([^,)]*)/g)].map((m) => m[1]);
  assert.deepEqual(calls, ['http.get("/"', 'http.post("/api/login"', 'http.get("/api/items?page=2&sort=price"', 'http.post("/api/cart"', 'http.del("/api/cart/1"']);
  // A JSON body as an object; a form body as its text with its content type; the headers that matter, not the browser's.
  assert.match(code, /json: \{\n\s+"user": "ann",\n\s+"password": "secret",\n\s+"remember": true\n\s+\}/);
  assert.match(code, /body: "sku=sku-7&qty=2"/);
  assert.match(code, /"content-type": "application\/x-www-form-urlencoded;charset=UTF-8"/);
  assert.match(code, /"x-client": "shop-web"/);
  assert.doesNotMatch(code, /user-agent|sec-ch-ua|accept-encoding|style\.css|logo\.png|app\.js/i);
  // The recording's 700 ms pause, as think time; a check per recorded status.
  const sleeps = [...code.matchAll(/await sleep\(([\d.]+)\)/g)].map((m) => Number(m[1]));
  assert.ok(sleeps.some((s) => s >= 0.6 && s <= 1.5), `sleeps ${sleeps}`);
  assert.match(code, /check\(res, \{ "POST \/api\/cart is 201": \(r\) => r\.status === 201 \}\)/);
  assert.match(code, /check\(res, \{ "DELETE \/api\/cart\/1 is 204": \(r\) => r\.status === 204 \}\)/);
  // The token sent by later requests came from the login response.
  assert.match(code, /CORRELATE: "[0-9a-f]{20}…" was returned by step 2 \(POST \/api\/login\), at res\.json\(\)\.token/);

  // The scenario runs as written: every recorded status is met again.
  for (const k of hits.keys()) hits.set(k, 0);
  const run = await runCli(['run', out]);
  assert.equal(run.code, ExitCode.ok, run.stderr + run.stdout);
  assert.match(run.stdout, /checks\.+: 100\.00% +5 passed out of 5/);
  assert.deepEqual(['GET /', 'POST /api/login', 'GET /api/items', 'POST /api/cart', 'DELETE /api/cart/1', 'GET /app.js'].map((k) => hits.get(k) ?? 0), [1, 1, 1, 1, 1, 0]);
});

test('--include-static keeps the page\'s assets; an existing output needs --force', async () => {
  const out = join(tmp, 'with-static.load.ts');
  const r = await runCli(['convert', harPath, '-o', out, '--include-static']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const code = readFileSync(out, 'utf8');
  for (const asset of ['/style.css', '/logo.png', '/app.js']) assert.ok(code.includes(`http.get("${asset}"`), asset);
  const again = await runCli(['convert', harPath, '-o', out]);
  assert.equal(again.code, ExitCode.badOptions);
  assert.match(again.stderr, /with-static\.load\.ts exists; give --force/);
});

test('a file that is not HAR 1.2 JSON is refused before anything is written, naming the file and the field', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['notjson.har', '<html>', /notjson\.har: not a HAR 1\.2 recording: not JSON/],
    ['old.har', JSON.stringify({ log: { version: '1.1', entries: [] } }), /old\.har: not a HAR 1\.2 recording: log\.version is "1\.1", expected "1\.2"/],
    ['nomethod.har', JSON.stringify({ log: { version: '1.2', entries: [{ startedDateTime: new Date().toISOString(), request: { url: 'http://x/', headers: [] }, response: { status: 200 } }] } }), /nomethod\.har: not a HAR 1\.2 recording: log\.entries\[0\]\.request\.method is undefined/],
  ];
  for (const [name, text, message] of cases) {
    const file = join(tmp, name);
    writeFileSync(file, text);
    const r = await runCli(['convert', file]);
    assert.equal(r.code, ExitCode.badOptions, name);
    assert.match(r.stderr, message);
    assert.throws(() => readFileSync(file.replace(/\.har$/, '.load.ts')), /ENOENT/);
  }
});

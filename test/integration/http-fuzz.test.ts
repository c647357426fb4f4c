// A seeded fuzzer for both HTTP clients (the lean one and undici, through the engine): valid
// response streams (content-length, chunked with extensions and trailers, a 1xx prefix,
// close-delimited HTTP/1.0, connection: close) are split at random points into writes and,
// in most cases, mutated (flip / insert / delete a byte, insert CRLF, truncate, duplicate a
// segment, append a second response, append garbage), then served to a handful of concurrent
// requesters sharing one pool. For every request: it settles (bounded), its promise never
// rejects, a failure's error is one of the engine's kinds (error-kinds.ts), and a 2xx response
// never carries another request's id. Unmutated streams, however split, must come back exactly
// right. Cases are generated from the seed alone, so a seed reproduces the same streams.
//
//   LOADLENS_FUZZ_SEED=1234 LOADLENS_FUZZ_CASES=5000 node scripts/test.mjs test/integration/http-fuzz.test.ts
// LOADLENS_FUZZ_VERBOSE=1 lists every finding, not three of each kind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRaw, sleep, type RawServer } from '../servers/raw-http';
import { CLIENTS, openSession, type ClientName, type Outcome } from '../servers/http-clients';
import { HttpErrorKind } from '../../src/engine/http/error-kinds';

/** The engine's error vocabulary: no client's own codes (HPE_*, UND_ERR_*) may reach the user. */
const KINDS = new Set<string>(Object.values(HttpErrorKind));

const SEED = process.env.LOADLENS_FUZZ_SEED !== undefined ? Number(process.env.LOADLENS_FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const CASES = Math.max(1, Math.min(100_000, Number(process.env.LOADLENS_FUZZ_CASES ?? 2000) || 2000));
/** Requests in flight at once per client (each a loop over its share of the cases). */
const WORKERS = 16;
/** The request timeout (mutated streams end with a close, so nothing normally waits for it; generous: at load average 20, a few streams cut in ~300 pieces took over 3 s on both clients). */
const TIMEOUT_MS = 10_000;
/** A request not settled this long after it was made counts as a hang. */
const HANG_MS = TIMEOUT_MS + 5000;

console.log(`http-fuzz: seed ${SEED} (LOADLENS_FUZZ_SEED), ${CASES} cases per client (LOADLENS_FUZZ_CASES)`);

/** mulberry32: small, fast, good enough to pick split points and mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- request ids a mutation cannot forge ---------------------------------------------------
// An id is `r<n>h<4-char hash>` (`s<n>h...` for the same request's stale second response, which
// may legitimately end up in a close-delimited body). A mutation that changes, inserts or
// duplicates characters inside an id leaves a token whose hash does not match, so only a whole,
// intact id of ANOTHER case number counts as misattribution.
function hash4(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return (h % 36 ** 4).toString(36).padStart(4, '0');
}
function makeId(prefix: 'r' | 's', n: number): string {
  const core = `${prefix}${n.toString(36)}`;
  return `${core}h${hash4(core)}`;
}
/** The case number an intact id belongs to, or -1. */
function caseOfId(token: string): number {
  const m = /^([rs])([0-9a-z]+)h([0-9a-z]{4})$/.exec(token);
  return m !== null && hash4(m[1] + m[2]) === m[3] ? parseInt(m[2], 36) : -1;
}
/** Intact ids found in a delivered response (body `id=<id>;` tokens and the x-id header). */
function idsIn(o: Outcome): string[] {
  const out: string[] = [];
  for (const m of o.body.matchAll(/id=([0-9a-z]+)/g)) if (caseOfId(m[1]) >= 0) out.push(m[1]);
  for (const v of (o.headers['x-id'] ?? '').split(/[ ,]+/)) if (caseOfId(v) >= 0) out.push(v);
  return out;
}

// --- streams --------------------------------------------------------------------------------
interface FuzzCase {
  n: number;
  id: string;
  template: string;
  /** The body a correct client delivers for the unmutated stream. */
  body: string;
  stream: Buffer;
  mutations: string[];
  /** Write boundaries. */
  cuts: number[];
  /** Delay (ms) between writes, 0 = one event-loop turn. */
  delayMs: number;
  /** Close the connection after the stream (close-delimited templates, every mutated stream). */
  close: boolean;
}

function pad(rnd: () => number, max: number): string {
  // Letters a-h only: no 'i', so padding can never form an `id=` token.
  let s = '';
  const n = Math.floor(rnd() * max);
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(rnd() * 8));
  return s;
}

function template(rnd: () => number, id: string): { name: string; head1xx: string; text: string; body: string; close: boolean } {
  const body = `id=${id};${pad(rnd, 300)}`;
  const kind = Math.floor(rnd() * 5);
  const prefix = rnd() < 0.25 ? (rnd() < 0.5 ? 'HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n' : 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </b>\r\n\r\n') : '';
  const xid = `x-id: ${id}\r\n`;
  switch (kind) {
    case 0:
      return { name: 'content-length', head1xx: prefix, text: `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n${xid}content-type: text/plain\r\n\r\n${body}`, body, close: false };
    case 1: {
      // Chunked, random chunk sizes, sometimes extensions, sometimes trailers.
      let rest = body;
      let chunks = '';
      while (rest.length > 0) {
        const n = 1 + Math.floor(rnd() * Math.min(rest.length, 64));
        const ext = rnd() < 0.2 ? `;ext${Math.floor(rnd() * 9)}=v` : '';
        chunks += `${n.toString(16)}${ext}\r\n${rest.slice(0, n)}\r\n`;
        rest = rest.slice(n);
      }
      const trailers = rnd() < 0.4 ? `x-trailer: t\r\nx-other: ${id}\r\n` : '';
      return { name: 'chunked', head1xx: prefix, text: `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n${trailers ? 'trailer: x-trailer, x-other\r\n' : ''}${xid}\r\n${chunks}0\r\n${trailers}\r\n`, body, close: false };
    }
    case 2:
      return { name: 'http/1.0 close-delimited', head1xx: '', text: `HTTP/1.0 200 OK\r\n${xid}\r\n${body}`, body, close: true };
    case 3:
      return { name: 'connection: close, no length', head1xx: prefix, text: `HTTP/1.1 200 OK\r\nconnection: close\r\n${xid}\r\n${body}`, body, close: true };
    default:
      return { name: 'content-length, keep-alive hint', head1xx: prefix, text: `HTTP/1.1 200 OK\r\nkeep-alive: timeout=30\r\ncontent-length: ${body.length}\r\n${xid}\r\n${body}`, body, close: false };
  }
}

function mutate(rnd: () => number, b: Buffer, n: number, muts: string[]): Buffer {
  const at = () => Math.floor(rnd() * (b.length + 1));
  const kind = Math.floor(rnd() * 8);
  const cat = (...parts: Buffer[]) => Buffer.concat(parts as unknown as Uint8Array[]);
  const copy = (x: Buffer) => Buffer.from(x as unknown as Uint8Array);
  switch (kind) {
    case 0: {
      const i = Math.min(at(), b.length - 1);
      const c = copy(b);
      c[i] ^= 1 + Math.floor(rnd() * 255);
      muts.push(`flip@${i}`);
      return c;
    }
    case 1: {
      const i = at();
      muts.push(`insert@${i}`);
      return cat(b.subarray(0, i), Buffer.from([Math.floor(rnd() * 256)]), b.subarray(i));
    }
    case 2: {
      const i = Math.min(at(), b.length - 1);
      muts.push(`delete@${i}`);
      return cat(b.subarray(0, i), b.subarray(i + 1));
    }
    case 3: {
      const i = at();
      muts.push(`crlf@${i}`);
      return cat(b.subarray(0, i), Buffer.from('\r\n'), b.subarray(i));
    }
    case 4: {
      const i = at();
      muts.push(`truncate@${i}`);
      return b.subarray(0, i);
    }
    case 5: {
      const i = at();
      const j = Math.min(b.length, i + 1 + Math.floor(rnd() * 40));
      muts.push(`dup@${i}-${j}`);
      return cat(b.subarray(0, j), b.subarray(i, j), b.subarray(j));
    }
    case 6: {
      // A second, complete response to the same request, carrying a stale id.
      const sid = makeId('s', n);
      const body = `id=${sid};`;
      muts.push('second-response');
      return cat(b, Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nx-id: ${sid}\r\n\r\n${body}`));
    }
    default:
      muts.push('garbage');
      return cat(b, Buffer.from(pad(rnd, 20) + '\r\n'));
  }
}

function makeCase(n: number): FuzzCase {
  const rnd = prng((SEED ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  const id = makeId('r', n);
  const t = template(rnd, id);
  let stream = Buffer.from(t.head1xx + t.text, 'latin1');
  const mutations: string[] = [];
  if (rnd() < 0.7) {
    const count = 1 + Math.floor(rnd() * 3);
    for (let i = 0; i < count && stream.length > 0; i++) stream = mutate(rnd, stream, n, mutations);
  }
  const writes = Math.floor(rnd() * 6);
  const cuts = rnd() < 0.05
    ? Array.from({ length: Math.max(0, stream.length - 1) }, (_, i) => i + 1) // byte by byte
    : Array.from({ length: writes }, () => 1 + Math.floor(rnd() * Math.max(1, stream.length - 1)));
  return {
    n, id, template: (t.head1xx ? '1xx + ' : '') + t.name, body: t.body, stream, mutations,
    cuts, delayMs: rnd() < 0.1 ? 1 : 0,
    close: t.close || mutations.length > 0,
  };
}

const cases: FuzzCase[] = Array.from({ length: CASES }, (_, n) => makeCase(n));

// --- running --------------------------------------------------------------------------------
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);
process.on('uncaughtException', onUncaught);
after(() => process.off('uncaughtException', onUncaught));

interface Finding {
  n: number;
  what: string;
  outcome: string;
}

function describe(c: FuzzCase): string {
  return `case ${c.n} (${c.template}; mutations ${c.mutations.join(',') || 'none'}; ${c.cuts.length} cuts${c.delayMs ? ', 1 ms apart' : ''})`;
}

async function fuzz(client: ClientName): Promise<{ findings: Finding[]; kinds: Record<string, number>; ms: number }> {
  const srv: RawServer = await startRaw(async (conn, req) => {
    const n = Number(req.path.slice(3));
    const c = cases[n];
    if (!c) return conn.end();
    await conn.send(c.stream, { at: c.cuts, delayMs: c.delayMs });
    if (c.close) {
      await new Promise<void>((r) => setImmediate(r));
      conn.end();
    }
  });
  const s = openSession(client, { timeoutMs: TIMEOUT_MS });
  const findings: Finding[] = [];
  const kinds: Record<string, number> = {};
  const started = performance.now();
  let next = 0;
  const results: Array<Outcome | 'hang'> = [];
  const worker = async () => {
    for (let n = next++; n < cases.length; n = next++) {
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<'hang'>((r) => (timer = setTimeout(() => r('hang'), HANG_MS)));
      results[n] = await Promise.race([s.request('GET', `${srv.url}/f/${n}`, { headers: { 'x-request-id': cases[n].id } }), hang]);
      clearTimeout(timer);
    }
  };
  try {
    await Promise.all(Array.from({ length: WORKERS }, worker));
  } finally {
    await s.close();
    await srv.close();
  }
  // Let late socket events (closes, resets) land before the uncaught check.
  await sleep(50);

  // A request the client sent on a connection that already carried a closing (mutated or
  // close-delimited) stream is "late": a mutated stream may look complete to a correct client
  // before all of it was written, the client then reuses the connection, and the rest of that
  // stream arrives as if it answered the late request. No HTTP/1.1 client can tell those bytes
  // apart, so late requests are held only to the safety properties (settle, no rejection, an
  // engine error kind), not to attribution or exactness. The server's record decides, after the
  // run (a request it never parsed counts as late).
  const late = new Set<number>(cases.map((c) => c.n));
  const closingBefore = new Map<number, boolean>();
  for (const r of srv.requests) {
    const n = Number(r.path.slice(3));
    if (!closingBefore.get(r.conn)) late.delete(n);
    if (cases[n]?.close) closingBefore.set(r.conn, true);
  }
  for (const c of cases) {
    const n = c.n;
    const o = results[n];
    if (o === 'hang' || o === undefined) {
      findings.push({ n, what: `did not settle within ${HANG_MS} ms`, outcome: 'hang' });
      kinds.hang = (kinds.hang ?? 0) + 1;
      continue;
    }
    const kind = o.rejected !== undefined ? 'rejected' : o.error ?? String(o.status);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const summary = o.rejected ?? `${o.status} ${o.error ?? ''} ${JSON.stringify(o.body.slice(0, 60))} x-id=${o.headers['x-id'] ?? ''}`;
    if (o.rejected !== undefined) findings.push({ n, what: 'the promise rejected', outcome: summary });
    if (o.error !== undefined && !KINDS.has(o.error)) findings.push({ n, what: `an error that is not one of the engine's kinds (${o.error})`, outcome: summary });
    if (late.has(n)) continue;
    if (o.status >= 200 && o.status < 300) {
      const foreign = idsIn(o).filter((id) => caseOfId(id) !== n);
      if (foreign.length > 0) findings.push({ n, what: `2xx carrying another request's id (${foreign.join(', ')})`, outcome: summary });
    }
    if (c.mutations.length === 0 && (o.status !== 200 || o.body !== c.body || o.error !== undefined)) {
      findings.push({ n, what: 'an unmutated stream did not come back exactly', outcome: summary });
    }
  }
  kinds.late = late.size;
  return { findings, kinds, ms: Math.round(performance.now() - started) };
}

for (const client of CLIENTS) {
  test(`fuzz: ${client} (seed ${SEED}, ${CASES} cases)`, async () => {
    const before = uncaught.length;
    const { findings, kinds, ms } = await fuzz(client);
    const unmutated = cases.filter((c) => c.mutations.length === 0).length;
    console.log(`http-fuzz ${client}: ${CASES} cases (${unmutated} unmutated) in ${ms} ms; outcomes ${JSON.stringify(kinds)}; ${findings.length} findings`);
    const byWhat = new Map<string, Finding[]>();
    for (const f of findings) byWhat.set(f.what.replace(/\(.*\)/, '(…)'), [...(byWhat.get(f.what.replace(/\(.*\)/, '(…)')) ?? []), f]);
    const report = [...byWhat].map(([what, fs]) => `${fs.length} × ${what}, e.g.\n${fs.slice(0, 3).map((f) => `    ${describe(cases[f.n])}: ${f.outcome}`).join('\n')}`).join('\n  ');
    if (process.env.LOADLENS_FUZZ_VERBOSE) for (const f of findings) console.log(`http-fuzz ${client} finding: ${describe(cases[f.n])}: ${f.what}: ${f.outcome}`);
    assert.deepEqual(uncaught.slice(before).map(String), [], 'uncaught exceptions');
    assert.equal(findings.length, 0, `${client}, seed ${SEED}:\n  ${report}`);
  });
}

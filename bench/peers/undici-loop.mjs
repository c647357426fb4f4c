// Reference rows: the cheapest ways to drive undici from Node, so the Loadlens rows can be read
// against what the HTTP library itself costs.
//   node bench/peers/undici-loop.mjs dispatch|client-dispatch|request URL CONNECTIONS SECONDS
// Prints {"requests": N, "errors": N} when done.
import { Client, Pool } from 'undici';

const [mode, url, connections = '64', seconds = '10'] = process.argv.slice(2);
const origin = new URL(url).origin;
const path = new URL(url).pathname;
const pool = new Pool(origin, { connections: Number(connections), pipelining: 1 });
const deadline = Date.now() + Number(seconds) * 1000;
let requests = 0;
let errors = 0;

// dispatch: one handler object per loop, reused for every request (no per-request closures).
// client-dispatch: the same on one undici Client (one connection) per loop instead of a Pool.
function dispatchLoop(dispatcher = pool) {
  return new Promise((resolve) => {
    const opts = { path, method: 'GET' };
    const handler = {
      onConnect() {}, onHeaders() { return true; }, onData() { return true; },
      onComplete() { requests++; next(); },
      onError() { errors++; next(); },
    };
    function next() { if (Date.now() < deadline) dispatcher.dispatch(opts, handler); else resolve(); }
    next();
  });
}

async function requestLoop() {
  while (Date.now() < deadline) {
    try {
      const res = await pool.request({ path, method: 'GET' });
      await res.body.text();
      requests++;
    } catch { errors++; }
  }
}

const clients = [];
const loop = mode === 'dispatch' ? () => dispatchLoop(pool)
  : mode === 'client-dispatch' ? () => { const c = new Client(origin, { pipelining: 1 }); clients.push(c); return dispatchLoop(c); }
  : requestLoop;
await Promise.all(Array.from({ length: Number(connections) }, loop));
await Promise.all([pool.close(), ...clients.map((c) => c.close())]);
console.log(JSON.stringify({ requests, errors }));

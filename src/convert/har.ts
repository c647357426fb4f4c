// HAR import: turns a browser recording (HAR 1.2, as Chromium's DevTools or Playwright save it)
// into a readable *.load.ts scenario that replays it: the requests in order with their
// methods, the headers that matter, query strings and bodies (JSON kept as objects), think time
// from the recording's gaps as sleep(), a check on each recorded status, the main origin as
// `target`, and a comment where a value seems to come from an earlier response (correlation).
// Pure: text in, text out; the CLI (`loadlens convert`) and the extension's "Import HAR…" both
// call harToScenario.

/** A file that is not HAR 1.2 JSON, or an entry without what a request needs. */
export class HarError extends Error {
  override name = 'HarError';
}

export interface ConvertOptions {
  /** Keep images, scripts, stylesheets, fonts and media (left out by default). */
  includeStatic?: boolean;
  /** The HAR's file name, named in the header comment and errors. */
  source: string;
  /** The export name of the scenario (default from the source's file name). */
  scenarioName?: string;
}

export interface ConvertResult {
  code: string;
  requests: number;
  staticLeftOut: number;
  otherLeftOut: number;
  correlations: number;
  target?: string;
}

interface HarHeader {
  name: string;
  value: string;
}

interface HarEntry {
  startedDateTime: string;
  time: number;
  _resourceType?: string;
  request: { method: string; url: string; headers: HarHeader[]; postData?: { mimeType?: string; text?: string; params?: Array<{ name: string; value?: string }> } };
  response: { status: number; headers?: HarHeader[]; content?: { mimeType?: string; text?: string; encoding?: string } };
}

/** Think time below this is the browser's own pace, not the user's: no sleep(). */
const MIN_THINK_MS = 200;

/** Headers the runtime sets itself, the browser's noise, or state a replay must not reuse. */
const DROPPED_HEADERS = new Set([
  'host', 'connection', 'content-length', 'cookie', 'accept-encoding', 'user-agent', 'referer', 'origin',
  'accept-language', 'cache-control', 'pragma', 'dnt', 'priority', 'upgrade-insecure-requests', 'te',
  'if-none-match', 'if-modified-since', 'keep-alive', 'transfer-encoding', 'purpose', 'x-client-data',
]);

const STATIC_TYPES = new Set(['image', 'stylesheet', 'script', 'font', 'media', 'manifest', 'texttrack', 'other-static']);
const STATIC_MIME = /^(image|font|audio|video)\/|^text\/(css|javascript)|javascript|^application\/(wasm|font|x-font)/;
const STATIC_EXT = /\.(png|jpe?g|gif|svg|webp|avif|ico|css|m?js|woff2?|ttf|otf|eot|mp4|webm|mp3|wasm|map)$/i;

/** Strings that look generated (tokens, ids, nonces): candidates for correlation. */
const TOKEN_LIKE = /^[A-Za-z0-9._~+/=-]{12,}$/;

function fail(source: string, what: string): never {
  throw new HarError(`${source}: not a HAR 1.2 recording: ${what}`);
}

/** Checks the shape of `log.entries[i]` with the field named in any error. */
function entriesOf(har: unknown, source: string): HarEntry[] {
  if (typeof har !== 'object' || har === null || Array.isArray(har)) fail(source, 'expected a JSON object with a "log" field');
  const log = (har as { log?: unknown }).log;
  if (typeof log !== 'object' || log === null) fail(source, 'missing "log"');
  const version = (log as { version?: unknown }).version;
  if (version !== '1.2') fail(source, `log.version is ${JSON.stringify(version)}, expected "1.2"`);
  const entries = (log as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) fail(source, 'log.entries is not an array');
  entries.forEach((e, i) => {
    const at = `log.entries[${i}]`;
    if (typeof e !== 'object' || e === null) fail(source, `${at} is not an object`);
    const r = (e as HarEntry).request;
    if (typeof r !== 'object' || r === null) fail(source, `${at}.request is missing`);
    if (typeof r.method !== 'string' || !/^[A-Z]+$/i.test(r.method)) fail(source, `${at}.request.method is ${JSON.stringify(r.method)}`);
    if (typeof r.url !== 'string') fail(source, `${at}.request.url is missing`);
    if (!Array.isArray(r.headers)) fail(source, `${at}.request.headers is not an array`);
    if (typeof (e as HarEntry).startedDateTime !== 'string' || Number.isNaN(Date.parse((e as HarEntry).startedDateTime))) fail(source, `${at}.startedDateTime is not a date`);
    const res = (e as HarEntry).response;
    if (typeof res !== 'object' || res === null || typeof res.status !== 'number') fail(source, `${at}.response.status is missing`);
  });
  return entries as HarEntry[];
}

function isStatic(e: HarEntry, url: URL): boolean {
  if (e._resourceType && STATIC_TYPES.has(e._resourceType)) return true;
  const mime = e.response.content?.mimeType ?? '';
  return STATIC_MIME.test(mime) || STATIC_EXT.test(url.pathname);
}

function identifier(text: string): string {
  const words = text.replace(/\.har$/i, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w, i) => (i === 0 ? w[0].toLowerCase() + w.slice(1) : w[0].toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z_]/.test(name) ? name : `recording${name}`;
}

/** A value as TypeScript source: JSON is valid TS; objects indented to `indent`. */
function literal(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
}

function header(list: HarHeader[] | undefined, name: string): string | undefined {
  return list?.find((h) => h.name.toLowerCase() === name)?.value;
}

/** Where a token-like value was seen first in a response: for the correlation comment. */
interface Origin {
  step: number;
  label: string;
  /** A JSON path to the value in that response's body, when it is JSON. */
  path?: string;
}

function jsonPaths(value: unknown, path: string, out: Map<string, string>): void {
  if (typeof value === 'string') {
    if (TOKEN_LIKE.test(value) && !out.has(value)) out.set(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => jsonPaths(v, `${path}[${i}]`, out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) jsonPaths(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, out);
  }
}

/** Token-like values a request sends: header values (after a scheme such as Bearer), query values, JSON strings. */
function sentValues(e: HarEntry, url: URL, headers: HarHeader[], json: unknown): string[] {
  const values = new Set<string>();
  for (const h of headers) for (const part of h.value.split(/[\s,;=]+/)) if (TOKEN_LIKE.test(part)) values.add(part);
  for (const v of url.searchParams.values()) if (TOKEN_LIKE.test(v)) values.add(v);
  if (json !== undefined) {
    const m = new Map<string, string>();
    jsonPaths(json, '', m);
    for (const v of m.keys()) values.add(v);
  }
  return [...values];
}

function responseText(e: HarEntry): string | undefined {
  const c = e.response.content;
  if (!c?.text) return undefined;
  return c.encoding === 'base64' ? Buffer.from(c.text, 'base64').toString('utf8') : c.text;
}

export function harToScenario(text: string, options: ConvertOptions): ConvertResult {
  let har: unknown;
  try {
    har = JSON.parse(text);
  } catch (err) {
    throw new HarError(`${options.source}: not a HAR 1.2 recording: not JSON (${(err as Error).message})`);
  }
  const all = entriesOf(har, options.source).slice().sort((a, b) => Date.parse(a.startedDateTime) - Date.parse(b.startedDateTime));

  let staticLeftOut = 0;
  let otherLeftOut = 0;
  const kept: Array<{ e: HarEntry; url: URL }> = [];
  for (const e of all) {
    let url: URL;
    try {
      url = new URL(e.request.url);
    } catch {
      otherLeftOut++;
      continue;
    }
    // data:, blob:, ws: and requests the browser never got an answer to (status 0) do not replay.
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || e.response.status === 0) otherLeftOut++;
    else if (!options.includeStatic && isStatic(e, url)) staticLeftOut++;
    else kept.push({ e, url });
  }

  // The main origin: the first document's, else the one most requests go to.
  const documentEntry = kept.find(({ e }) => e._resourceType === 'document' || /^text\/html/.test(e.response.content?.mimeType ?? ''));
  const counts = new Map<string, number>();
  for (const { url } of kept) counts.set(url.origin, (counts.get(url.origin) ?? 0) + 1);
  const target = documentEntry?.url.origin ?? [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];

  const seen = new Map<string, Origin>();
  const body: string[] = [];
  let correlations = 0;
  let previousEnd: number | undefined;
  kept.forEach(({ e, url }, i) => {
    const step = i + 1;
    const start = Date.parse(e.startedDateTime);
    if (previousEnd !== undefined && start - previousEnd >= MIN_THINK_MS) {
      body.push(`    await sleep(${Math.round((start - previousEnd) / 100) / 10});`);
    }
    previousEnd = Math.max(previousEnd ?? 0, start + Math.max(0, e.time || 0));

    const method = e.request.method.toUpperCase();
    const path = url.origin === target ? `${url.pathname}${url.search}` : url.href;
    const label = `${method} ${url.origin === target ? url.pathname : url.href.split('?')[0]}`;

    const post = e.request.postData;
    const contentType = post?.mimeType ?? header(e.request.headers, 'content-type') ?? '';
    let json: unknown;
    let rawBody: string | undefined;
    if (post?.text !== undefined && post.text !== '') {
      if (/json/i.test(contentType)) {
        try {
          json = JSON.parse(post.text);
        } catch {
          rawBody = post.text;
        }
      } else rawBody = post.text;
    } else if (post?.params?.length) {
      rawBody = new URLSearchParams(post.params.map((p) => [p.name, p.value ?? ''])).toString();
    }

    const headers = e.request.headers.filter((h) => {
      const n = h.name.toLowerCase();
      if (n.startsWith(':') || n.startsWith('sec-') || DROPPED_HEADERS.has(n)) return false;
      // A JSON body sets its own content-type.
      if (n === 'content-type' && json !== undefined) return false;
      return true;
    });

    const notes: string[] = [];
    for (const v of sentValues(e, url, headers, json)) {
      const from = seen.get(v);
      if (!from) continue;
      correlations++;
      const short = v.length > 24 ? `${v.slice(0, 20)}…` : v;
      notes.push(`    // CORRELATE: "${short}" was returned by step ${from.step} (${from.label})${from.path ? `, at res.json()${from.path}` : ''}: read it from that response instead of replaying the recorded value.`);
    }

    const opts: string[] = [];
    const headerObject = Object.fromEntries(headers.map((h) => [h.name.toLowerCase(), h.value]));
    if (Object.keys(headerObject).length) opts.push(`headers: ${literal(headerObject, '      ')}`);
    if (json !== undefined) opts.push(`json: ${literal(json, '      ')}`);
    if (rawBody !== undefined) opts.push(`body: ${JSON.stringify(rawBody)}`);
    const call = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH'].includes(method) ? `http.${method.toLowerCase()}(${JSON.stringify(path)}` : method === 'DELETE' ? `http.del(${JSON.stringify(path)}` : `http.request(${JSON.stringify(method)}, ${JSON.stringify(path)}`;

    body.push(`    // ${step}. ${label} (recorded: ${e.response.status})`);
    body.push(...notes);
    body.push(opts.length ? `    res = await ${call}, {\n      ${opts.join(',\n      ')},\n    });` : `    res = await ${call});`);
    body.push(`    check(res, { ${JSON.stringify(`${label} is ${e.response.status}`)}: (r) => r.status === ${e.response.status} });`);

    // What this response returned, for later requests' correlation notes.
    const text = responseText(e);
    if (text !== undefined && /json/i.test(e.response.content?.mimeType ?? '')) {
      try {
        const m = new Map<string, string>();
        jsonPaths(JSON.parse(text), '', m);
        for (const [v, p] of m) if (!seen.has(v)) seen.set(v, { step, label, path: p });
      } catch {
        // Not JSON after all: nothing to point at.
      }
    }
    for (const h of e.response.headers ?? []) {
      for (const part of h.value.split(/[\s,;=]+/)) if (TOKEN_LIKE.test(part) && !seen.has(part)) seen.set(part, { step, label: `${label}, header ${h.name}` });
    }
  });

  const name = options.scenarioName ?? identifier(options.source.split(/[\\/]/).pop() ?? 'recording');
  const leftOut = [
    staticLeftOut ? `${staticLeftOut} static asset(s) left out (--include-static keeps them)` : '',
    otherLeftOut ? `${otherLeftOut} request(s) that cannot replay left out (not http(s), or no response)` : '',
  ].filter(Boolean);
  const code = [
    `// Converted from ${options.source.split(/[\\/]/).pop()} by \`loadlens convert\`: ${kept.length} request(s) in recorded order${leftOut.length ? `; ${leftOut.join('; ')}` : ''}.`,
    '// Think time is the recording\'s gaps; requests the browser sent in parallel run one after another.',
    ...(correlations ? [`// ${correlations} value(s) marked CORRELATE came from an earlier response: replaying the recorded value may fail.`] : []),
    "import { scenario, check, sleep } from 'loadlens';",
    '',
    `export const ${name} = scenario({`,
    ...(target ? [`  target: ${JSON.stringify(target)},`] : []),
    '  // One user, once: the recording as it happened. Scale it with vus/duration or an arrival rate.',
    '  load: { vus: 1, iterations: 1 },',
    '  async iteration({ http }) {',
    '    let res;',
    ...body,
    '  },',
    '});',
    '',
  ].join('\n');
  return { code, requests: kept.length, staticLeftOut, otherLeftOut, correlations, target };
}

// Settings the runner takes from its environment and hands to the engine, which reads none.

import type { HttpClientChoice } from '../engine/http/transport';
import { brokenParserModule, leanClientProblem, probeLeanClient } from '../engine/http/h1';

let resolved: { client: HttpClientChoice; warning: string | undefined } | undefined;

/**
 * The client for plain http:// origins, decided once per process: LOADLENS_HTTP_CLIENT=undici
 * puts them on undici (comparison runs); otherwise the lean client, if Node's internal parser
 * passes its probe (h1.ts), else undici with a warning. LOADLENS_H1_PROBE=broken runs the probe
 * against a deliberately broken parser (tests of the fallback).
 */
function resolve(): { client: HttpClientChoice; warning: string | undefined } {
  if (resolved !== undefined) return resolved;
  if (process.env.LOADLENS_HTTP_CLIENT === 'undici') return (resolved = { client: 'undici', warning: undefined });
  let problem: string | undefined;
  try {
    problem = process.env.LOADLENS_H1_PROBE === 'broken' ? probeLeanClient(brokenParserModule()) : leanClientProblem();
  } catch (err) {
    problem = String(err);
  }
  if (problem === undefined) return (resolved = { client: 'auto', warning: undefined });
  return (resolved = {
    client: 'undici',
    warning: `Node's built-in HTTP parser failed the lean client's start-up check (${problem}); plain http:// requests run on undici instead (same results, more CPU per request).`,
  });
}

export function httpClientFromEnv(): HttpClientChoice {
  return resolve().client;
}

/** The one warning to show when the lean client is not used although it should have been. */
export function httpClientWarning(): string | undefined {
  return resolve().warning;
}

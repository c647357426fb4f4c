// Settings the runner takes from its environment and hands to the engine, which reads none.

import type { HttpClientChoice } from '../engine/http/transport';

/** LOADLENS_HTTP_CLIENT=undici puts plain http:// on undici too (for comparison runs). */
export function httpClientFromEnv(): HttpClientChoice {
  return process.env.LOADLENS_HTTP_CLIENT === 'undici' ? 'undici' : 'auto';
}

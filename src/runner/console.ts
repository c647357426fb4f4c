// The `console` a scenario sees: the real one, with every string argument escaped (src/text.ts)
// first, so a server header or body a scenario logs cannot drive the terminal or VS Code's test
// output. The bundler points the scenario's `console` here (bundle.ts). It calls the real
// console, so the debugger's console still shows each call, and objects are still formatted by
// util.inspect (which escapes the strings inside them); an Error's stack is escaped as text.

import { inspect } from 'node:util';
import { escapeControlLines } from '../text';
import type { HttpDebug, HttpDebugMode } from '../engine/http/debug';

function safe(arg: unknown): unknown {
  if (typeof arg === 'string') return escapeControlLines(arg);
  if (arg instanceof Error) return escapeControlLines(inspect(arg));
  return arg;
}

/** A console whose methods escape their string arguments, then call `target`'s. */
export function escapingConsole(target: Console): Console {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(t, key) {
      const value = Reflect.get(t, key, t);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(key);
      if (fn === undefined) {
        fn = (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(t, args.map(safe));
        wrapped.set(key, fn);
      }
      return fn;
    },
  });
}

/**
 * --http-debug's output: through the scenario's console (escaped like everything a scenario
 * logs: headers and bodies come from servers), on stderr, so stdout keeps only the summary.
 */
export function httpDebugSink(mode: HttpDebugMode | undefined): HttpDebug | undefined {
  if (mode === undefined) return undefined;
  const out = escapingConsole(console);
  return { mode, write: (text) => out.error(text) };
}

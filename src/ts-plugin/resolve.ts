// Resolves `import ... from 'loadlens'` to the declarations the extension ships, for a workspace
// that never ran `npm install` (the common first contact: a new folder, one api.load.ts). Runs in
// tsserver, not in the extension host: it gets TypeScript from tsserver and imports nothing else.
// A `loadlens` the workspace installed resolves first and wins; only a failed lookup is filled in.

import type * as ts from 'typescript';

export const MODULE = 'loadlens';

type Host = Pick<ts.LanguageServiceHost, 'resolveModuleNameLiterals' | 'resolveModuleNames'>;

/** Wraps the host's module resolution so that an unresolved `loadlens` resolves to `typesFile`. */
export function resolveLoadlensTo(typescript: typeof ts, host: Host, typesFile: string): void {
  const resolved: ts.ResolvedModuleFull = {
    resolvedFileName: typesFile,
    extension: typescript.Extension.Dts,
    // Treated like a package's types: its own errors are not the user's to see.
    isExternalLibraryImport: true,
  };
  const literals = host.resolveModuleNameLiterals?.bind(host);
  if (literals) {
    host.resolveModuleNameLiterals = (names, ...rest) =>
      literals(names, ...rest).map((r, i) => (r.resolvedModule || names[i].text !== MODULE ? r : { ...r, resolvedModule: resolved }));
  }
  // TypeScript before 5.0 (a workspace's own version) asks this instead.
  const names = host.resolveModuleNames?.bind(host);
  if (names) {
    host.resolveModuleNames = (moduleNames, ...rest) =>
      names(moduleNames, ...rest).map((r, i) => r ?? (moduleNames[i] === MODULE ? resolved : undefined));
  }
}

// The TypeScript server plugin the extension contributes (package.json
// contributes.typescriptServerPlugins). scripts/package.mjs ships it in the .vsix as
// node_modules/loadlens-ts-plugin/ (where tsserver looks for it), with the `loadlens`
// declarations next to it in types/.

import { join } from 'node:path';
import type * as ts from 'typescript';
import { resolveLoadlensTo } from './resolve';

function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  return {
    create(info) {
      resolveLoadlensTo(modules.typescript, info.languageServiceHost, join(__dirname, 'types', 'index.d.ts'));
      info.project.projectService.logger.info('loadlens-ts-plugin: resolves an uninstalled loadlens to the types it ships');
      return info.languageService;
    },
  };
}

// tsserver requires a CommonJS module whose export is the factory itself.
export = init;

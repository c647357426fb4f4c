// The layers' fences (README "Project layout"): who may import whom, checked by `npm run lint`
// (and so by `npm test`). Only the import rules: formatting and style are not linted here.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules.filter((m) => !m.startsWith('_')), 'node:*'];
const OUTSIDE_ENGINE = ['runner', 'cli', 'extension', 'protocol', 'webview', 'presentation', 'view-model', 'report', 'discovery', 'demo', 'convert', 'ts-plugin'];

const restrict = (...patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.e2e/**', 'node_modules/**', 'bench/scratch/**', 'test/fixtures/compile-error.load.ts'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  {
    // Only the extension's entry point loads `vscode` at run time; the rest of src/ takes the API as
    // a parameter (`import type`), so its logic runs under plain Node in the unit tests.
    files: ['src/**/*.ts'],
    ignores: ['src/extension/main.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', allowTypeImports: true, message: 'only src/extension/main.ts imports vscode at run time; take the API as a parameter and use `import type`' }],
      }],
    },
  },
  {
    // The engine is pure: it imports nothing from the layers built on it, nor vscode.
    files: ['src/engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        {
          regex: `^(\\.\\./)+(${OUTSIDE_ENGINE.join('|')})(/.*)?$`,
          message: 'src/engine imports nothing from runner, cli, extension, protocol, presentation, view-model or webview: put shared vocabulary in src/engine',
        },
        { regex: '^vscode$', message: 'src/engine knows nothing of VS Code' },
      ),
    },
  },
  {
    // What runs in the page (and what the page bundles from src/): no Node built-ins, no vscode.
    // `tsc -p webview` checks everything the page bundles, transitively, without Node types.
    files: ['webview/**/*.ts', 'src/view-model/**/*.ts', 'src/presentation/format.ts', 'src/report/compare.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        { group: nodeBuiltins, message: 'the panel page runs in a browser: no Node built-ins' },
        { regex: '^vscode$', message: 'the page talks to the host through messages (src/view-model/messages.ts), not the vscode API' },
      ),
    },
  },
);

// ESLint over the whole tree (`npm run lint`, part of `npm test`): typescript-eslint's
// type-checked rules for the TypeScript (each file checked against its own tsconfig: the root
// one, or media/tsconfig.json for the webview), the recommended rules for the plain JavaScript.
// Formatting is Prettier's (.prettierrc.json), not ESLint's.

import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'bin/**', 'node_modules/**', '.vscode-test/**', 'out/**', 'test-output/**', 'bench/work/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      // async methods that implement a Promise-returning interface (close(), get()) need no await
      '@typescript-eslint/require-await': 'off',
      // a timer or handle declared before the closure that clears it, assigned after
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // node:test's describe/test return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**'],
    rules: {
      // tests match the terminal escape codes the compilers and warmcc write
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);

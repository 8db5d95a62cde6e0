import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'bench/results/**', 'bench/**/*.py', 'bench/.tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The engine, CLI and browser-mode code must run in plain Node.
    files: ['main/engine/**/*.ts', 'main/load/**/*.ts', 'main/stalls/**/*.ts', 'main/attach/**/*.ts', 'main/cli/**/*.ts', 'main/dashboard/**/*.ts', 'main/control/**/*.ts', 'common/**/*.ts', 'renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only the Electron shell (main/index.ts, window.ts, ipc.ts) and preload may import electron.' }] }],
    },
  },
);

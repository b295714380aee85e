// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'fleet-examples/**/app/**', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Files that fit on a few screens and functions that fit on one (docs/architecture.md). A
    // longer one says why in an eslint-disable comment.
    files: ['kernel/**/*.ts', 'daemon/**/*.ts', 'builder/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300 }],
      'max-lines-per-function': ['error', { max: 60 }],
    },
  },
  {
    // The shared kernel depends on neither program; the builder never reaches into ferryd.
    files: ['kernel/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/daemon/**', '**/builder/**'], message: 'kernel imports no program' },
          ],
        },
      ],
    },
  },
  {
    files: ['builder/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/daemon/**'], message: "import shared code from '#kernel/...'" }],
        },
      ],
    },
  },
  {
    files: ['daemon/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/builder/**', '**/kernel/**'],
              message: "import the kernel as '#kernel/...'",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/*.js', 'test/env/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);

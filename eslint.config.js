// ESLint flat config: typescript-eslint's type-aware recommended rules for every package; Prettier owns formatting.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'docs/site/**',
      'packages/zokio/.doc-examples/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Futures are thenable (JoinHandle is PromiseLike) by design; a bare `spawn()` detaches deliberately.
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/require-yield': 'off',
      'require-yield': 'off',
      // A runtime forwards whatever its users throw: rejection reasons are user values, not always Errors.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      // Generators yield futures to the driver; the scheduler's hot loops use `while (true)` on purpose.
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/test/**/*.ts', 'apps/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Tests of cancellation throw and return from finally blocks on purpose.
      'no-unsafe-finally': 'off',
    },
  },
  prettier,
);

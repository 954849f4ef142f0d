// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'libs/database/src/generated/**', 'bench/results/**', 'eslint.config.mjs', 'jest.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Module boundaries: a library is used through its index.ts (`@app/<lib>`), never through its files;
    // the generated Prisma client is libs/database's own.
    files: ['libs/**/*.ts', 'apps/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@app/*/**'], message: 'Import another library through its index: @app/<lib>.' },
            { group: ['../../*', '../../../*', '**/libs/**'], message: 'Relative imports stay inside their library: import another one as @app/<lib>.' },
            { group: ['**/generated/prisma/**'], message: 'The generated Prisma client is libs/database\'s: use what @app/database exports.' },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/database/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@app/*/**', '../../*', '**/libs/**'], message: 'Relative imports stay inside their library.' }] }],
    },
  },
  {
    // Plain CommonJS that runs before anything is built, on any Node (scripts/check-node.cjs): outside the
    // TypeScript project, so linted without type information.
    files: ['**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      // expect.any(...) and friends are typed `any` by Jest.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);

// @ts-check
const { pathsToModuleNameMapper } = require('ts-jest');
const ts = require('typescript');

const { config: tsconfig } = ts.readConfigFile('./tsconfig.json', ts.sys.readFile);
const moduleNameMapper = {
  ...pathsToModuleNameMapper(tsconfig.compilerOptions.paths, { prefix: '<rootDir>/' }),
  // The generated Prisma client imports its own .ts files with .js extensions (Node ESM style).
  '^(\\.{1,2}/.*)\\.js$': '$1',
};
// Type checking is `npm run typecheck`; tests only transpile, which keeps them fast.
// NestJS 12 ships as ES modules, which Jest's CommonJS runtime can only require on Node >= 24.9.
// On Node 20 its files are compiled to CommonJS by Babel instead (cached after the first run).
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  '/node_modules/@nestjs/.+\\.js$': [
    'babel-jest',
    { babelrc: false, configFile: false, plugins: [['babel-plugin-transform-import-meta', { module: 'ES6' }], '@babel/plugin-transform-dynamic-import', '@babel/plugin-transform-modules-commonjs'] },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!@nestjs/)'];

/** @type {import('jest').Config} */
module.exports = {
  // A global option (ignored inside projects): e2e tests wait on real HTTP and PostgreSQL.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
      moduleFileExtensions: ['ts', 'js', 'json'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      moduleFileExtensions: ['ts', 'js', 'json'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};

// @ts-check
const { pathsToModuleNameMapper } = require('ts-jest');
const ts = require('typescript');
const vm = require('node:vm');

const { config: tsconfig } = ts.readConfigFile('./tsconfig.json', ts.sys.readFile);
const moduleNameMapper = {
  ...pathsToModuleNameMapper(tsconfig.compilerOptions.paths, { prefix: '<rootDir>/' }),
  // The generated Prisma client imports its own .ts files with .js extensions (Node ESM style).
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

// Type checking is `npm run typecheck`; tests only transpile, which keeps them fast.
//
// ES-module-only packages, and the one Node-line-dependent part of this setup. NestJS 12 (and
// content-disposition, used by @fastify/static for Swagger UI, and swagger-parser's
// json-schema-ref-parser) ship as ES modules only. How Jest's CommonJS runtime `require`s them
// depends on the Node line:
// - Node >= 24.9 (with --experimental-vm-modules, which `npm test` passes): Jest requires ES modules
//   natively (vm.SourceTextModule#hasAsyncGraph). Any file in a `"type": "module"` package is then
//   evaluated as an ES module, so it must NOT be compiled to CommonJS: Babel's output would run where
//   `exports` does not exist ("ReferenceError: exports is not defined").
// - Node 22 (and Node 20 and 24.0-24.8, which package.json's engines no longer admit): Jest cannot require ES modules, so those files are compiled to
//   CommonJS by Babel for the tests only (cached after the first run).
// The test below is the very one Jest itself uses to choose (jest-runtime `supportsSyncEvaluate`).
const JEST_REQUIRES_ESM = typeof (/** @type {any} */ (vm).SourceTextModule?.prototype.hasAsyncGraph) === 'function';
const ESM_ONLY = ['@nestjs', 'content-disposition', '@apidevtools/json-schema-ref-parser'].join('|');
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  ...(JEST_REQUIRES_ESM
    ? {}
    : {
        [`/node_modules/(${ESM_ONLY})/.+\\.js$`]: [
          'babel-jest',
          {
            babelrc: false,
            configFile: false,
            plugins: [['babel-plugin-transform-import-meta', { module: 'ES6' }], '@babel/plugin-transform-dynamic-import', '@babel/plugin-transform-modules-commonjs'],
          },
        ],
      }),
};
const transformIgnorePatterns = JEST_REQUIRES_ESM ? ['/node_modules/'] : [`/node_modules/(?!(${ESM_ONLY})/)`];

/** @type {import('jest').Config} */
module.exports = {
  // A global option (ignored inside projects): e2e tests wait on real HTTP and PostgreSQL.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/support/*.spec.ts'],
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

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
// NestJS 12 (and content-disposition, used by @fastify/static for Swagger UI, and swagger-parser's
// json-schema-ref-parser) ship as ES modules
// only, which Jest's CommonJS runtime can require on Node >= 24.9. On Node 20 their files are compiled
// to CommonJS by Babel instead (cached after the first run).
const ESM_ONLY = ['@nestjs', 'content-disposition', '@apidevtools/json-schema-ref-parser'].join('|');
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  [`/node_modules/(${ESM_ONLY})/.+\\.js$`]: [
    'babel-jest',
    { babelrc: false, configFile: false, plugins: [['babel-plugin-transform-import-meta', { module: 'ES6' }], '@babel/plugin-transform-dynamic-import', '@babel/plugin-transform-modules-commonjs'] },
  ],
};
const transformIgnorePatterns = [`/node_modules/(?!(${ESM_ONLY})/)`];

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

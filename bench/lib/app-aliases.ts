/**
 * The libraries import each other as `@app/<name>`; the benchmark's plain tsc compilation leaves those
 * imports as written. Imported first, this maps them to the compiled libraries next to the benchmark
 * (node_modules/.cache/listing-bench/libs/<name>/src), for benchmarks that load a library's real code.
 */
import Module from 'node:module';
import path from 'node:path';

const compiledRoot = path.resolve(__dirname, '..', '..');
const moduleInternals = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolve = moduleInternals._resolveFilename.bind(Module);
moduleInternals._resolveFilename = (request: string, ...rest: unknown[]) => {
  const alias = /^@app\/([a-z-]+)$/.exec(request);
  return resolve(alias ? path.join(compiledRoot, 'libs', alias[1], 'src', 'index.js') : request, ...rest);
};

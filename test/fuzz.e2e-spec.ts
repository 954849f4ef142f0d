import { writeFileSync } from 'node:fs';
import { Fuzzer } from './fuzz/fuzzer';
import { type TestApp, startTestApp } from './support/test-app';

/**
 * Schema-driven fuzzing of every operation of the served OpenAPI document (see test/fuzz/fuzzer.ts).
 * CI runs 2 000 cases with a fixed seed; `npm run fuzz -- --runs N --seed S` runs longer ones.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const PATH = process.env.FUZZ_PATH || undefined;

describe('schema-driven fuzzing from the served OpenAPI document', () => {
  let testApp: TestApp;
  let fuzzer: Fuzzer;

  beforeAll(async () => {
    testApp = await startTestApp();
    fuzzer = await Fuzzer.create(testApp, process.env.TEST_DATABASE_URL!);
  }, 120_000);

  afterAll(async () => {
    await fuzzer?.close();
    await testApp?.close();
  });

  it(`${RUNS} requests (seed ${SEED}): no 5xx, documented statuses and bodies, invalid requests rejected without effect, valid ones accepted`, async () => {
    const report = await fuzzer.run({ runs: RUNS, seed: SEED, path: PATH, log: (line) => process.stdout.write(`${line}\n`) });
    process.stdout.write(`fuzz report: ${JSON.stringify({ ...report, byOperation: undefined })}\n`);
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, `${JSON.stringify(report, null, 2)}\n`);

    // The run reached every operation, and got past validation to a success on each: a fuzzer that
    // only ever bounced off 4xx would prove little.
    const operations = fuzzer.operations.map((o) => `${o.method} ${o.path}`);
    expect(Object.keys(report.byOperation).sort()).toEqual([...operations].sort());
    if (RUNS >= 2_000) {
      const withoutSuccess = operations.filter((o) => !Object.keys(report.byOperation[o]).some((status) => status.startsWith('2')));
      expect(withoutSuccess).toEqual([]);
    }
  }, 600_000 + RUNS * 1_000);
});

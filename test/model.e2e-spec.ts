import fc from 'fast-check';
import { commandArbitraries } from './model/commands';
import { Model } from './model/listing-model';
import { type SignedIn, type TestApp, signIn, signUpAdmin, startTestApp } from './support/test-app';

/**
 * Stateful model test: random sequences of register, login, create, replace (with and without a price
 * change), delete, transfer, deactivate and reactivate, search, my listings, history and the price
 * insights, by three users and an admin; after each step the API must agree with an in-memory model
 * (test/model/). CI runs a few dozen sequences with a fixed seed; `npm run fuzz` runs long ones.
 */
const RUNS = Number(process.env.MODEL_RUNS ?? 40);
const SEED = Number(process.env.MODEL_SEED ?? 20_261_125);
const PATH = process.env.MODEL_PATH || undefined;
const MAX_COMMANDS = Number(process.env.MODEL_MAX_COMMANDS ?? 25);

describe('stateful model of accounts, listings and price histories', () => {
  let testApp: TestApp;
  let admin: SignedIn;
  let adminSignedInAt = 0;

  beforeAll(async () => {
    testApp = await startTestApp();
    admin = await signUpAdmin(testApp);
    adminSignedInAt = Date.now();
  }, 60_000);
  afterAll(() => testApp?.close());

  it(`${RUNS} sequences of up to ${MAX_COMMANDS} commands (seed ${SEED}): after every step the API agrees with the model`, async () => {
    let sequences = 0;
    let commands = 0;
    const started = Date.now();
    const setup = async () => {
      // Access tokens live 15 minutes; a long run outlives the admin's.
      if (Date.now() - adminSignedInAt > 10 * 60_000) {
        admin = await signIn(testApp, admin.email, admin.password, admin.id);
        adminSignedInAt = Date.now();
      }
      sequences += 1;
      const tag = `${process.pid}-${sequences}-${Date.now().toString(36)}`;
      return { model: new Model(`Model city ${tag}`, `model-${tag}`, { id: admin.id, token: admin.accessToken }), real: { api: testApp.api } };
    };
    await fc.assert(
      fc.asyncProperty(fc.commands(commandArbitraries, { maxCommands: MAX_COMMANDS }), async (cmds) => {
        commands += [...cmds].length;
        await fc.asyncModelRun(setup, cmds);
      }),
      { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}) },
    );
    process.stdout.write(`model report: ${JSON.stringify({ runs: RUNS, seed: SEED, sequences, commands, durationMs: Date.now() - started })}\n`);
  }, 600_000 + RUNS * 5_000);
});

/**
 * Loaded into a server under test with `node --require` when the runner profiles (`npm run bench -- --profile`):
 * the first SIGUSR2 starts V8's CPU profiler, the next one stops it and writes the profile to the path the runner
 * put in the file named by BENCH_PROFILE_CONTROL. Nothing runs until the first signal, so the server starts and is
 * warmed up unprofiled, and the measured runs (which come before any profiling) are untouched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const control = process.env.BENCH_PROFILE_CONTROL;
if (control) {
  const session = new Session();
  session.connect();
  let profiling = false;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  process.on('SIGUSR2', () => {
    const toggle = profiling
      ? post('Profiler.stop').then((result) => {
          profiling = false;
          writeFileSync(readFileSync(control, 'utf8').trim(), JSON.stringify((result as { profile: unknown }).profile));
        })
      : post('Profiler.enable')
          // 250 µs: fine enough for a request of a few hundred µs, coarse enough to cost little.
          .then(() => post('Profiler.setSamplingInterval', { interval: 250 }))
          .then(() => post('Profiler.start'))
          .then(() => (profiling = true));
    toggle.catch((error: Error) => process.stderr.write(`bench profiler: ${error.message}\n`));
  });
}

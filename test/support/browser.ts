import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (`apt-get install -y chromium`) with playwright-core; the
 * project never downloads a browser (see the toolchain notes, "Browser tests").
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * `describe` for suites that need Chromium, decided here once for every browser suite:
 * - Chromium present: the suite runs.
 * - Chromium absent: a developer machine without it should still get a green `npm test`, so the suite
 *   is skipped, with a warning saying why and how to run it.
 * - Chromium absent and REQUIRE_BROWSER=1 (set by .ci/run): a skip would hide that the UI went
 *   untested, so the suite fails with the same explanation.
 */
export function describeWithBrowser(name: string, suite: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(name, suite);
    return;
  }
  const why = `${CHROMIUM_PATH} is missing: install it with \`apt-get install -y chromium\` to run "${name}"`;
  if (process.env.REQUIRE_BROWSER === '1') {
    describe(name, () => {
      it('needs Chromium (REQUIRE_BROWSER=1)', () => {
        throw new Error(`${why} (REQUIRE_BROWSER=1 forbids skipping browser tests)`);
      });
    });
    return;
  }
  console.warn(`Skipping browser tests: ${why} (set REQUIRE_BROWSER=1 to make this a failure).`);
  // Skipped on purpose, and said so above: no Chromium on this machine and REQUIRE_BROWSER is not set.
  describe.skip(name, suite);
}

/** A headless Chromium; each `launch` gets its own temporary profile, so no state is shared. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

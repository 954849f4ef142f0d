import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUPPORTED_NODE_RANGE, isSupportedNode } from './node-support';

// The npm scripts' check (plain CommonJS, runs before the build) and the built service's own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const scriptCheck = require('../../../scripts/check-node.cjs') as {
  satisfies(version: string, range: string): boolean;
  unsupportedNodeMessage(version: string, range: string): string | null;
};

const engines = (JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { engines: { node: string } }).engines.node;

describe('supported Node.js lines', () => {
  it('the service checks exactly the range package.json declares in engines', () => {
    expect(SUPPORTED_NODE_RANGE).toBe(engines);
  });

  it.each([
    ['v20.20.2', false], // Debian 13's line: Nest 12's own dependencies (file-type 22) need Node 22
    ['v22.12.0', false],
    ['v22.22.2', false],
    ['v22.22.3', true],
    ['v22.23.5', true],
    ['v23.11.0', false],
    ['v24.14.9', false],
    ['v24.15.0', true],
    ['v26.0.0', true],
    ['v27.0.0', false],
  ])('%s supported: %s, by the service and by the npm scripts alike', (version, supported) => {
    expect(isSupportedNode(version)).toBe(supported);
    expect(scriptCheck.satisfies(version, engines)).toBe(supported);
  });

  it('an unsupported Node gets one line naming the versions to install', () => {
    const message = scriptCheck.unsupportedNodeMessage('v20.20.2', engines);
    expect(message).toMatch(/^Node\.js v20\.20\.2 is not supported: .*Install Node\.js 24 or 26/);
    expect(message).not.toContain('\n');
    expect(scriptCheck.unsupportedNodeMessage('v24.15.0', engines)).toBeNull();
  });

  it('an engines value the check cannot read fails loudly instead of admitting every version', () => {
    expect(() => scriptCheck.satisfies('v24.15.0', '>=22')).toThrow(/engines\.node must be/);
  });
});

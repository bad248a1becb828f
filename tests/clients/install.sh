#!/usr/bin/env bash
# Installs the independent OAuth/OIDC clients that tests/it/independent_clients.rs runs against the
# hub: openid-client (Node, pinned in node/package-lock.json) and Authlib (Python, pinned in
# python/requirements.txt). Idempotent, and quick when both are already installed.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -f node/node_modules/.package-lock.json ] \
  || ! cmp -s node/package-lock.json node/node_modules/.op-installed-lock; then
  npm ci --prefix node --no-audit --no-fund --loglevel=error
  cp node/package-lock.json node/node_modules/.op-installed-lock
fi

python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r python/requirements.txt

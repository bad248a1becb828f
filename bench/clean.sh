#!/usr/bin/env bash
# Removes the peers' npm install and the results (both outside the repository).
set -euo pipefail
rm -rf "${BENCH_PEERS:-/tmp/op-bench-peers}" "${BENCH_OUT:-/tmp/op-bench-results}"

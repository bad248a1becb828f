#!/usr/bin/env bash
# Every scenario, one after the other, in one run: ~17 minutes on 2 cores with the defaults.
# Results: $BENCH_OUT/report.md (default /tmp/op-bench-results), raw figures in results.jsonl.
#   CARGO_TARGET_DIR=/work/bench-target bench/run-all.sh
# Knobs (environment): BENCH_DURATION (10 s per run), BENCH_WARMUP (3 s), BENCH_CONNECTIONS
# ("16 64"), BENCH_PODS (10000), BENCH_PER_POD (100), BENCH_REVOCATIONS (50), BENCH_PEERS.
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$DIR")"
OUT="${BENCH_OUT:-/tmp/op-bench-results}"
export BENCH_OUT="$OUT"
rm -rf "$OUT"; mkdir -p "$OUT"
"$DIR/setup.sh" | tee "$OUT/setup.txt"
( cd "$ROOT" && timeout 1800 cargo build --release --workspace --quiet )
{
  echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Commit $(git -C "$ROOT" rev-parse --short HEAD); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -r); $(cat "$OUT/setup.txt" | tr '\n' ';')"
} >"$OUT/report.md"
status=0
for s in pod-get pod-put pod-container token revocation footprint; do
  echo "== $s" >&2
  if ! timeout 1500 "$DIR/$s.sh"; then echo "scenario $s FAILED" | tee -a "$OUT/report.md" >&2; status=1; fi
  [ -f "$OUT/$s.md" ] && cat "$OUT/$s.md" >>"$OUT/report.md"
done
echo "report: $OUT/report.md" >&2
exit $status

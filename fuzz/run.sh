#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 30) on this machine's stable toolchain:
# cargo-fuzz with RUSTC_BOOTSTRAP=1 and no sanitizer (libFuzzer's coverage guidance still works;
# Rust's own checks catch what a sanitizer would in safe code). Seeds come from the repository's
# test data; a crash stops the run, leaves its input under fuzz/artifacts/TARGET/, and fails.
#   fuzz/run.sh            # 30 s per target
#   fuzz/run.sh 3600       # an hour per target
#   fuzz/run.sh 60 patch   # one target
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH="${1:-30}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(turtle jsonld patch resource_path tokens records)
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${OP_FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-../target}/fuzz}"

seed() { # seed TARGET FILE...
  mkdir -p "corpus/$1"
  for f in "${@:2}"; do
    [ -f "$f" ] && cp "$f" "corpus/$1/seed-$(sha256sum "$f" | cut -c1-16)"
  done
  return 0
}
shopt -s nullglob globstar
seed turtle ../protocol/tests/data/w3c/rdf-canon/rdfc10/*-in.nq
seed jsonld ../protocol/tests/data/w3c/vc-di-eddsa/**/*.json ../protocol/contexts/*.jsonld
seed records ../protocol/tests/data/gig-export.json ../src/demo-export.json \
  ../protocol/tests/data/w3c/vc-di-eddsa/**/*.json
mkdir -p corpus/patch corpus/resource_path corpus/tokens
printf '\x00@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:where { ?s <#p> ?o }; solid:inserts { ?s <#q> ?o }.' > corpus/patch/seed-n3
printf '\x01PREFIX ex: <http://example.org/>\nDELETE DATA { <#a> ex:p <#b> };\nINSERT DATA { <#a> ex:p "2" }' > corpus/patch/seed-sparql
printf '/gigs/acme/gig-1' > corpus/resource_path/seed-1
printf '/a%%20b/c/' > corpus/resource_path/seed-2
printf 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' > corpus/tokens/seed-multibase
printf 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' > corpus/tokens/seed-did
printf '2026-11-25T10:42:35.5Z' > corpus/tokens/seed-time
printf '[{"type":"gig_data","actions":["read"],"level":"records"}]' > corpus/tokens/seed-details

mkdir -p logs
for target in "${TARGETS[@]}"; do
  echo "== fuzz $target for ${SECONDS_EACH}s"
  status=0
  cargo fuzz run --sanitizer none --release "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -print_final_stats=1 >"logs/$target.log" 2>&1 || status=$?
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ *DONE' "logs/$target.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "logs/$target.log" >&2
    echo "fuzz $target failed (exit $status); failing inputs: $(ls "artifacts/$target" 2>/dev/null)" >&2
    exit 1
  fi
done

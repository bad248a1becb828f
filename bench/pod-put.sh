#!/usr/bin/env bash
# Scenario "pod-put": authenticated PUT replacing the same ~20-triple Turtle record.
#   op-pod: a platform's token (gig:write into its own folder; the write and the access-log
#           entry are each durable: redb, fdatasync per commit, group commit), and the same on
#           the memory engine to show what durability costs;
#   CSS:    memory backend (nothing durable), public (root ACL) and with a DPoP-bound token and
#           a fresh proof per request.
source "$(dirname "$0")/lib/common.sh"
need_tools; need_peers
S=pod-put
table_header "$S"

for storage in redb memory; do
  POD_STORAGE=$storage start_pod "$WORK/pod-$storage"
  ROOT_URL=$(create_pod bench)
  URL="${ROOT_URL}gigs/acme/record"
  TOKEN=$(mint "$ROOT_URL" gig:write acme)
  put_record "$URL" "Bearer $TOKEN"
  export BENCH_METHOD=PUT BENCH_BODY="$RECORD_TTL"
  export BENCH_HEADERS; BENCH_HEADERS=$(headers_file put "Authorization: Bearer $TOKEN" "Content-Type: text/turtle")
  for c in $CONNECTIONS; do
    row "$S" op-pod "PUT, Bearer JWT (gig:write, logged), $storage" "$c" "$(measure "$POD_PID" "$URL" "$c")"
  done
  stop "$POD_PID"
done

start_css
node "$TOOL" key --kind ES256 --out "$WORK/css-dpop.json" >/dev/null
node "$TOOL" css-setup --base "$CSS_URL" --dkey "$WORK/css-dpop.json" --out "$WORK/css.json"
CSS_POD=$(python3 -c 'import json;print(json.load(open("'"$WORK/css.json"'"))["pod"])')
CSS_TOKEN=$(python3 -c 'import json;print(json.load(open("'"$WORK/css.json"'"))["token"])')
PUB="${CSS_URL}public/record.ttl"
put_record "$PUB" ""
BENCH_HEADERS=$(headers_file css-public "Content-Type: text/turtle")
declare -A RATE
for c in $CONNECTIONS; do
  m=$(measure "$CSS_PID" "$PUB" "$c"); RATE[$c]=$(rps_of "$m")
  row "$S" CSS "PUT, public (no token), memory" "$c" "$m"
done
PRIV="${CSS_POD}record.ttl"
BENCH_HEADERS=$(headers_file css-dpop "Authorization: DPoP $CSS_TOKEN" "Content-Type: text/turtle")
for c in $CONNECTIONS; do
  export BENCH_PROOFS; BENCH_PROOFS=$(proofs "$WORK/css-dpop.json" PUT "$PRIV" "$CSS_TOKEN" $((RATE[$c] * DURATION * 3 / 2 + 2000)))
  row "$S" CSS "PUT, DPoP token + fresh proof, memory" "$c" "$(measure "$CSS_PID" "$PRIV" "$c")"
  unset BENCH_PROOFS
done
stop "$CSS_PID"

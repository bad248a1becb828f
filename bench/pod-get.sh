#!/usr/bin/env bash
# Scenario "pod-get": authenticated GET of a ~20-triple Turtle record.
#   op-pod: a matcher's token (gig:read: JWT verified, scope checked, access logged durably),
#           as a Bearer token and as a DPoP-bound token with a fresh proof per request;
#   CSS:    the same record, unauthenticated (public by the root ACL) and with a DPoP-bound
#           token from CSS's own client-credentials flow, a fresh proof per request.
source "$(dirname "$0")/lib/common.sh"
need_tools; need_peers
S=pod-get
table_header "$S"

start_pod "$WORK/pod"
ROOT_URL=$(create_pod bench)
put_record "${ROOT_URL}gigs/acme/record" "Bearer $(mint "$ROOT_URL" pod:owner bench-app)"
URL="${ROOT_URL}gigs/acme/record"
BEARER=$(mint "$ROOT_URL" gig:read bench-matcher)
export BENCH_HEADERS; BENCH_HEADERS=$(headers_file bearer "Authorization: Bearer $BEARER" "Accept: text/turtle")
declare -A RATE
for c in $CONNECTIONS; do
  m=$(measure "$POD_PID" "$URL" "$c"); RATE[$c]=$(rps_of "$m")
  row "$S" op-pod "GET, Bearer JWT (gig:read, logged)" "$c" "$m"
done
JKT=$(node "$TOOL" key --kind ES256 --out "$WORK/dpop.json")
DTOKEN=$(mint "$ROOT_URL" gig:read bench-matcher "$JKT")
BENCH_HEADERS=$(headers_file dpop "Authorization: DPoP $DTOKEN" "Accept: text/turtle")
for c in $CONNECTIONS; do
  export BENCH_PROOFS; BENCH_PROOFS=$(proofs "$WORK/dpop.json" GET "$URL" "$DTOKEN" $((RATE[$c] * DURATION * 3 / 2 + 2000)))
  row "$S" op-pod "GET, DPoP JWT + fresh proof (gig:read, logged)" "$c" "$(measure "$POD_PID" "$URL" "$c")"
  unset BENCH_PROOFS
done
stop "$POD_PID"

start_css
node "$TOOL" key --kind ES256 --out "$WORK/css-dpop.json" >/dev/null
node "$TOOL" css-setup --base "$CSS_URL" --dkey "$WORK/css-dpop.json" --out "$WORK/css.json"
CSS_POD=$(python3 -c 'import json;print(json.load(open("'"$WORK/css.json"'"))["pod"])')
CSS_TOKEN=$(python3 -c 'import json;print(json.load(open("'"$WORK/css.json"'"))["token"])')
PUB="${CSS_URL}public/record.ttl"
put_record "$PUB" ""
PRIV="${CSS_POD}record.ttl"
put_record "$PRIV" "DPoP $CSS_TOKEN" "$(node "$TOOL" proofs --dkey "$WORK/css-dpop.json" --htm PUT --htu "$PRIV" --token "$CSS_TOKEN" --n 1 --files 1 --out "$WORK/p1" && cat "$WORK/p1.1")"
BENCH_HEADERS=$(headers_file css-public "Accept: text/turtle")
for c in $CONNECTIONS; do
  m=$(measure "$CSS_PID" "$PUB" "$c"); RATE[$c]=$(rps_of "$m")
  row "$S" CSS "GET, public (no token)" "$c" "$m"
done
BENCH_HEADERS=$(headers_file css-dpop "Authorization: DPoP $CSS_TOKEN" "Accept: text/turtle")
for c in $CONNECTIONS; do
  export BENCH_PROOFS; BENCH_PROOFS=$(proofs "$WORK/css-dpop.json" GET "$PRIV" "$CSS_TOKEN" $((RATE[$c] * DURATION * 3 / 2 + 2000)))
  row "$S" CSS "GET, DPoP token (client credentials) + fresh proof" "$c" "$(measure "$CSS_PID" "$PRIV" "$c")"
  unset BENCH_PROOFS
done
stop "$CSS_PID"

#!/usr/bin/env bash
# Scenario "pod-container": GET (Turtle) of a container with 1,000 children.
#   op-pod: a matcher's token (gig:read, access logged) reading the platform's folder;
#   CSS:    a public container (root ACL), memory backend.
source "$(dirname "$0")/lib/common.sh"
need_tools; need_peers
S=pod-container
CHILDREN="${BENCH_CHILDREN:-1000}"
table_header "$S"

start_pod "$WORK/pod"
ROOT_URL=$(create_pod bench)
seed_children "${ROOT_URL}gigs/acme/r" "$CHILDREN" "Bearer $(mint "$ROOT_URL" pod:owner bench-app)"
export BENCH_HEADERS; BENCH_HEADERS=$(headers_file bearer "Authorization: Bearer $(mint "$ROOT_URL" gig:read bench-matcher)" "Accept: text/turtle")
log "op-pod container body: $(curl -s -H "@$BENCH_HEADERS" "${ROOT_URL}gigs/acme/" | wc -c) bytes"
for c in $CONNECTIONS; do
  row "$S" op-pod "GET container of $CHILDREN, Bearer JWT (gig:read, logged)" "$c" "$(measure "$POD_PID" "${ROOT_URL}gigs/acme/" "$c")"
done
stop "$POD_PID"

# The same with TCP_NODELAY forced on op-pod's sockets (LD_PRELOAD shim, bench/lib/nodelay.c):
# shows that the ~40 ms floor above is Nagle's algorithm meeting delayed ACKs, not work.
BENCH_NODELAY=1 start_pod "$WORK/pod-nodelay"
ROOT_URL=$(create_pod bench)
seed_children "${ROOT_URL}gigs/acme/r" "$CHILDREN" "Bearer $(mint "$ROOT_URL" pod:owner bench-app)"
BENCH_HEADERS=$(headers_file bearer "Authorization: Bearer $(mint "$ROOT_URL" gig:read bench-matcher)" "Accept: text/turtle")
for c in $CONNECTIONS; do
  row "$S" "op-pod + TCP_NODELAY shim" "GET container of $CHILDREN, Bearer JWT (gig:read, logged)" "$c" "$(measure "$POD_PID" "${ROOT_URL}gigs/acme/" "$c")"
done
stop "$POD_PID"

start_css
seed_children "${CSS_URL}public/c/r" "$CHILDREN" ""
BENCH_HEADERS=$(headers_file css "Accept: text/turtle")
log "CSS container body: $(curl -s -H 'Accept: text/turtle' "${CSS_URL}public/c/" | wc -c) bytes"
for c in $CONNECTIONS; do
  row "$S" CSS "GET container of $CHILDREN, public" "$c" "$(measure "$CSS_PID" "${CSS_URL}public/c/" "$c")"
done
stop "$CSS_PID"

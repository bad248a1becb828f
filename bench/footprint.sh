#!/usr/bin/env bash
# Scenario "footprint":
#  1. `openplatforms up --demo`: RSS when idle (5 s after start), then peak RSS under 64
#     connections (owner GET of a demo record on the pod, then client_credentials at the hub).
#  2. op-pod alone holding BENCH_PODS pods x BENCH_PER_POD records each (default 10,000 x 100 =
#     1,000,000), seeded over HTTP (admin API, then PUTs with each pod's owner token), answering
#     GETs of random records across all pods with each pod's matcher token (logged), then with
#     each pod's owner token (not logged).
source "$(dirname "$0")/lib/common.sh"
need_tools
S=footprint
PODS="${BENCH_PODS:-10000}"
PER_POD="${BENCH_PER_POD:-100}"
table_header "$S"

start_up
sleep 5
IDLE=$(rss_kib "$UP_PID")
log "up --demo idle RSS: $((IDLE / 1024)) MiB"
OWNER=$(timeout 60 node "$TOOL" owner-token --demo "$DEMO" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
POD=$(jq_demo worker.pod)
export BENCH_HEADERS; BENCH_HEADERS=$(headers_file owner "Authorization: Bearer $OWNER" "Accept: text/turtle")
row "$S" "openplatforms up" "owner GET of a demo record (pod)" 64 "$(measure "$UP_PID" "${POD}gigs/demo-platform/gig-2026-03-01" 64)"
HUB=$(jq_demo hub_url); HUB=${HUB%/}
export BENCH_METHOD=POST BENCH_BODY="$WORK/cc.body"
printf 'grant_type=client_credentials' >"$BENCH_BODY"
BENCH_HEADERS=$(headers_file cc "Authorization: Basic $(printf '%s:%s' "$(jq_demo platform.client_id)" "$(jq_demo platform.client_secret)" | base64 -w0)" "Content-Type: application/x-www-form-urlencoded")
row "$S" "openplatforms up" "client_credentials (hub)" 64 "$(measure "$UP_PID" "$HUB/token" 64)"
HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$UP_PID/status")
stop "$UP_PID"
unset BENCH_METHOD BENCH_BODY
{
  echo
  echo "\`openplatforms up --demo\`: idle RSS **$((IDLE / 1024)) MiB** (5 s after start); lifetime peak (VmHWM) after both 64-connection runs **$((HWM / 1024)) MiB**."
} | tee -a "$OUT/$S.md"

start_pod "$WORK/many"
node "$TOOL" tokens --key "$WORK/issuer.json" --iss "$ISSUER" --base "$POD_URL" --pods "$PODS" --prefix p --scope pod:owner --client bench-app --out "$WORK/owner.tokens"
node "$TOOL" tokens --key "$WORK/issuer.json" --iss "$ISSUER" --base "$POD_URL" --pods "$PODS" --prefix p --scope gig:read --client bench-matcher --out "$WORK/matcher.tokens"
log "seeding $PODS pods x $PER_POD records"
SEED=$(timeout "${BENCH_SEED_TIMEOUT:-900}" node "$TOOL" seed --base "$POD_URL" --prefix p --pods "$PODS" --per-pod "$PER_POD" \
  --tokens "$WORK/owner.tokens" --admin "$ADMIN_TOKEN" --record "$RECORD_TTL" --concurrency 32)
log "seeded: $SEED"
sleep 2
DISK=$(du -sm "$WORK/many" | cut -f1)
AFTER_SEED=$(rss_kib "$POD_PID")
export BENCH_MANY="p:$PODS:$PER_POD:$WORK/matcher.tokens"
for c in $CONNECTIONS; do
  row "$S" op-pod "GET random record of $PODS pods x $PER_POD, Bearer (gig:read, logged)" "$c" "$(measure "$POD_PID" "$POD_URL/" "$c")"
done
# the same reads by each pod's owner, which are not logged: separates the access log's share
export BENCH_MANY="p:$PODS:$PER_POD:$WORK/owner.tokens"
for c in $CONNECTIONS; do
  row "$S" op-pod "GET random record of $PODS pods x $PER_POD, owner (not logged)" "$c" "$(measure "$POD_PID" "$POD_URL/" "$c")"
done
unset BENCH_MANY
python3 - "$SEED" "$DISK" "$((AFTER_SEED / 1024))" <<'PY' | tee -a "$OUT/$S.md"
import json, sys
s = json.loads(sys.argv[1])
print(f"\nop-pod seeded with {s['pods']:,} pods in {s['pod_secs']:.0f} s ({s['pod_errors']} errors) and "
      f"{s['records']:,} records in {s['record_secs']:.0f} s ({s['records_per_sec']:,.0f} PUT/s, {s['record_errors']} errors); "
      f"store on disk {sys.argv[2]} MiB; RSS after seeding {sys.argv[3]} MiB.")
PY
stop "$POD_PID"

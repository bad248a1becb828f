#!/usr/bin/env bash
# Scenario "token": the token endpoint.
#   op-hub (inside `openplatforms up --demo`, redb): client_credentials for the demo platform
#          (HTTP Basic) with wrk; refresh_token for the worker app with bench/lib/tool.mjs
#          refresh-load (each connection follows its own rotating chain: a replayed refresh
#          token would revoke the grant, so a replaying load tool cannot do it);
#   oidc-provider: client_credentials for one confidential client, EdDSA JWT access tokens.
source "$(dirname "$0")/lib/common.sh"
need_tools; need_peers
S=token
table_header "$S"

start_up
HUB=$(jq_demo hub_url); HUB=${HUB%/}
CID=$(jq_demo platform.client_id); SECRET=$(jq_demo platform.client_secret)
export BENCH_METHOD=POST BENCH_BODY="$WORK/cc.body"
printf 'grant_type=client_credentials' >"$BENCH_BODY"
export BENCH_HEADERS; BENCH_HEADERS=$(headers_file cc "Authorization: Basic $(printf '%s:%s' "$CID" "$SECRET" | base64 -w0)" "Content-Type: application/x-www-form-urlencoded")
curl -sf -H "@$BENCH_HEADERS" --data-binary "@$BENCH_BODY" "$HUB/token" >/dev/null || { log "client_credentials failed"; exit 1; }
for c in $CONNECTIONS; do
  row "$S" op-hub "client_credentials (Basic), EdDSA JWT" "$c" "$(measure "$UP_PID" "$HUB/token" "$c")"
done
for c in $CONNECTIONS; do
  m=$(timeout $((DURATION + 120)) node "$TOOL" refresh-load --demo "$DEMO" --connections "$c" --duration "$DURATION" --pid "$UP_PID")
  row "$S" op-hub "refresh_token (rotating), Node load client" "$c" "$m"
done
stop "$UP_PID"

port=$(free_port)
OSECRET="bench-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
bg "$WORK/oidc-provider.log" node "$BENCH_DIR/lib/oidc-provider.mjs" "$PEERS" "$port" bench-platform "$OSECRET"
OP_PID=$BG_PID
wait_http "http://127.0.0.1:$port/.well-known/openid-configuration" 30
printf 'grant_type=client_credentials&scope=gig:write' >"$BENCH_BODY"
BENCH_HEADERS=$(headers_file occ "Authorization: Basic $(printf 'bench-platform:%s' "$OSECRET" | base64 -w0)" "Content-Type: application/x-www-form-urlencoded")
curl -sf -H "@$BENCH_HEADERS" --data-binary "@$BENCH_BODY" "http://127.0.0.1:$port/token" >/dev/null || { log "oidc-provider client_credentials failed"; exit 1; }
for c in $CONNECTIONS; do
  row "$S" oidc-provider "client_credentials (Basic), EdDSA JWT" "$c" "$(measure "$OP_PID" "http://127.0.0.1:$port/token" "$c")"
done
stop "$OP_PID"

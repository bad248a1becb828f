#!/usr/bin/env bash
# Scenario "revocation": from the start of the client's POST /revoke (RFC 7009, its refresh
# token) at the hub to the pod's first 401 for the grant's access token, while a poller GETs the
# pod back to back. `openplatforms up --demo`: the pod follows the hub's revocation feed (SSE).
# Each iteration is a fresh grant (login once, then consent + code + token per iteration).
source "$(dirname "$0")/lib/common.sh"
need_tools
S=revocation
N="${BENCH_REVOCATIONS:-50}"
start_up
m=$(timeout 300 node "$TOOL" revocation --demo "$DEMO" --iterations "$N")
echo "{\"scenario\":\"$S\",\"system\":\"op\",\"m\":$m}" >>"$OUT/results.jsonl"
python3 - "$m" <<'PY' | tee -a "$OUT/$S.md"
import json, sys
m = json.loads(sys.argv[1])
print(f"\n### revocation ({m['iterations']} revocations, one run)\n")
print("| revocations | min ms | p50 ms | p99 ms | max ms | timeouts (>5 s) | POST /revoke itself, p50 ms |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print(f"| {m['iterations']} | {m['min_ms']:.1f} | {m['p50_ms']:.1f} | {m['p99_ms']:.1f} | {m['max_ms']:.1f} | {m['timeouts']} | {m['revoke_call_p50_ms']:.1f} |")
PY
stop "$UP_PID"

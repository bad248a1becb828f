# Shared by every bench/*.sh scenario. Sourced, not run.
# Everything started here is tracked by PID and stopped by PID on exit; the temporary folder is
# removed; every server listens on 127.0.0.1 (or localhost) only.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"
DURATION="${BENCH_DURATION:-10}"          # seconds per load run
BENCH_WARMUP="${BENCH_WARMUP:-3}"          # seconds of unrecorded warm-up before each run
CONNECTIONS="${BENCH_CONNECTIONS:-16 64}"
THREADS="${BENCH_THREADS:-2}"             # wrk threads (the machine has 2 cores)
PEERS="${BENCH_PEERS:-/tmp/op-bench-peers}"   # npm installs of the peers, outside the repo
OUT="${BENCH_OUT:-/tmp/op-bench-results}"     # result tables (markdown) and raw JSON lines
TOOL="$BENCH_DIR/lib/tool.mjs"
LUA="$BENCH_DIR/lib/wrk.lua"
HZ="$(getconf CLK_TCK)"
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/op-bench.XXXXXX)"
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # wait up to 10 s per process, then force
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# bg LOGFILE CMD...: starts CMD in the background, remembers its PID in $BG_PID and PIDS.
bg() {
  local logf="$1"; shift
  "$@" >"$logf" 2>&1 &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [SECONDS]: until URL answers at all (any status).
wait_http() {
  local url="$1" secs="${2:-60}"
  for _ in $(seq $((secs * 10))); do
    if curl -s -o /dev/null --max-time 1 "$url"; then return 0; fi
    sleep 0.1
  done
  log "no answer from $url after ${secs}s"; return 1
}

need_tools() {
  command -v wrk >/dev/null || { log "wrk missing: run bench/setup.sh"; exit 1; }
  [ -x "$BIN/op-pod" ] && [ -x "$BIN/openplatforms" ] && [ -x "$BIN/op-hub" ] || {
    log "release binaries missing in $BIN: CARGO_TARGET_DIR=$TARGET cargo build --release --workspace"; exit 1; }
}
need_peers() {
  [ -d "$PEERS/node_modules/@solid/community-server" ] && [ -d "$PEERS/node_modules/oidc-provider" ] || {
    log "peers missing in $PEERS: run bench/setup.sh"; exit 1; }
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# rss_sampler PID FILE: writes the highest VmRSS (KiB) seen every 50 ms into FILE until killed.
rss_sampler() {
  local pid="$1" file="$2" max=0 r
  while kill -0 "$pid" 2>/dev/null; do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    if [ "${r:-0}" -gt "$max" ]; then max=$r; echo "$max" >"$file"; fi
    sleep 0.05
  done
}

# row SCENARIO SYSTEM CASE CONNS JSON: one markdown row into $OUT/results.md, raw into results.jsonl
header_done=""
row() {
  local scenario="$1" system="$2" case="$3" conns="$4" json="$5"
  echo "{\"scenario\":\"$scenario\",\"system\":\"$system\",\"case\":\"$case\",\"connections\":$conns,\"m\":$json}" >>"$OUT/results.jsonl"
  local line
  line=$(python3 - "$json" "$system" "$case" "$conns" <<'PY'
import json, sys
m = json.loads(sys.argv[1]); system, case, conns = sys.argv[2:5]
f = lambda v, d=2: "—" if v is None else (f"{v:,.{d}f}")
print(f"| {system} | {case} | {conns} | {f(m.get('rps'),0)} | {f(m.get('p50_ms'))} | {f(m.get('p99_ms'))} | "
      f"{f(m.get('max_ms'))} | {m.get('errors','—')} | {f(m.get('cpu_ms_per_req'),3)} | {f(m.get('peak_rss_mib'),1)} |")
PY
)
  echo "$line" | tee -a "$OUT/$scenario.md"
}
table_header() {
  local scenario="$1"
  {
    echo
    echo "### $scenario ($(date -u +%Y-%m-%dT%H:%MZ), ${DURATION}s per run, wrk -t$THREADS unless noted)"
    echo
    echo "| system | case | conns | req/s | p50 ms | p99 ms | max ms | errors | server CPU ms/req | server peak RSS MiB |"
    echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  } | tee -a "$OUT/$scenario.md"
}

# measure PID URL CONNS [extra env for wrk.lua is taken from the caller's environment]:
# runs wrk for $DURATION s against URL while sampling the server's RSS and CPU time; prints the
# metrics as JSON (rps, p50_ms, p99_ms, max_ms, errors, cpu_ms_per_req, peak_rss_mib, ...).
measure() {
  local pid="$1" url="$2" conns="$3"
  local rssf="$WORK/rss.$$" wout="$WORK/wrk.out"
  # warm-up (JIT, caches, connection set-up), not recorded; skipped with DPoP proofs, which
  # must not be used twice (the runs before have warmed the server)
  if [ -z "${BENCH_PROOFS:-}" ] && [ "${BENCH_WARMUP:-3}" -gt 0 ]; then
    timeout $((BENCH_WARMUP + 60)) wrk -t"$THREADS" -c"$conns" -d"${BENCH_WARMUP:-3}s" --timeout 10s -s "$LUA" "$url" >/dev/null 2>&1 || true
  fi
  rss_kib "$pid" >"$rssf"
  rss_sampler "$pid" "$rssf" & local sampler=$!
  PIDS+=("$sampler")
  local c0; c0=$(cpu_ticks "$pid")
  timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --timeout 10s -s "$LUA" "$url" >"$wout" 2>&1 || true
  local c1; c1=$(cpu_ticks "$pid")
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  local res; res=$(sed -n 's/^RESULT //p' "$wout")
  if [ -z "$res" ]; then log "wrk failed:"; cat "$wout" >&2; echo '{"errors":"wrk failed"}'; return; fi
  python3 - "$res" "$c0" "$c1" "$HZ" "$(cat "$rssf")" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); c0, c1, hz, rss = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
secs = r["duration_us"] / 1e6
errors = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"]
cpu_ms = (c1 - c0) * 1000 / hz
print(json.dumps({
  "requests": r["requests"], "rps": r["requests"] / secs, "p50_ms": r["p50_us"] / 1000,
  "p99_ms": r["p99_us"] / 1000, "max_ms": r["max_us"] / 1000, "errors": errors,
  "err_detail": {k: r[k] for k in r if k.startswith("err_") and r[k]},
  "proofs_exhausted": r["proofs_exhausted"],
  "cpu_ms_per_req": cpu_ms / max(r["requests"], 1), "cpu_s": cpu_ms / 1000,
  "peak_rss_mib": rss / 1024}))
PY
}

# ---- our pod in isolation: op-pod trusting a static JWKS, tokens minted here ----
ISSUER="https://issuer.bench.invalid"
ADMIN_TOKEN="bench-admin-token-0123456789abcdef0123456789"

# start_pod DIR: op-pod (redb, durable) on a free port; sets POD_URL, POD_PID, and makes the
# issuer key $WORK/issuer.json + $WORK/jwks.json.
start_pod() {
  local dir="$1"
  [ -f "$WORK/issuer.json" ] || node "$TOOL" key --kind EdDSA --out "$WORK/issuer.json" --jwks "$WORK/jwks.json" >/dev/null
  local port; port=$(free_port)
  POD_URL="http://127.0.0.1:$port"
  local preload=""
  if [ -n "${BENCH_NODELAY:-}" ]; then
    gcc -O2 -shared -fPIC -o "$WORK/nodelay.so" "$BENCH_DIR/lib/nodelay.c" -ldl
    preload="$WORK/nodelay.so"
  fi
  LD_PRELOAD="$preload" OP_LOG="${OP_LOG:-warn}" bg "$WORK/pod.log" "$BIN/op-pod" serve --listen "127.0.0.1:$port" --data "$dir" \
    --admin-token "$ADMIN_TOKEN" --trust "$ISSUER=$WORK/jwks.json" --storage "${POD_STORAGE:-redb}"
  POD_PID=$BG_PID
  wait_http "$POD_URL/.well-known/op-health" 30
}

# create_pod NAME: prints the pod's root URL
create_pod() {
  curl -sf -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\"}" "$POD_URL/.admin/pods" | python3 -c 'import json,sys; print(json.load(sys.stdin)["root"])'
}

# mint ROOT SCOPE CLIENT [JKT]: an at+jwt for the pod's owner WebID (ROOT/profile/card#me)
mint() {
  node "$TOOL" token --key "$WORK/issuer.json" --iss "$ISSUER" --aud "$1" --webid "${1}profile/card#me" \
    --scope "$2" --client "$3" --jkt "${4:-}"
}

# ---- the Community Solid Server: memory backend, default config (WAC, root public) ----
# start_css: sets CSS_URL (http://localhost:PORT/), CSS_PID
start_css() {
  local port; port=$(free_port)
  CSS_URL="http://localhost:$port/"
  bg "$WORK/css.log" node --require "$BENCH_DIR/lib/loopback.cjs" \
    "$PEERS/node_modules/@solid/community-server/bin/server.js" \
    -c "$PEERS/node_modules/@solid/community-server/config/default.json" \
    -m "$PEERS/node_modules/@solid/community-server" -p "$port" -b "$CSS_URL" -l warn
  CSS_PID=$BG_PID
  wait_http "${CSS_URL}.account/" 120
}

# the benchmark record: ~20 triples of Turtle
RECORD_TTL="$BENCH_DIR/lib/record.ttl"

# stop PID: SIGTERM, wait up to 15 s, then SIGKILL (only processes this script started)
stop() {
  local pid="$1"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

# put URL AUTHHEADER [DPOP]: PUT the record, fail unless 2xx
put_record() {
  local url="$1" auth="$2" dpop="${3:-}"
  local args=(-s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: text/turtle' --data-binary "@$RECORD_TTL")
  [ -n "$auth" ] && args+=(-H "Authorization: $auth")
  [ -n "$dpop" ] && args+=(-H "DPoP: $dpop")
  local code; code=$(curl "${args[@]}" "$url")
  case "$code" in 2*) ;; *) log "PUT $url answered $code"; return 1 ;; esac
}

# headers_file NAME LINE...: writes header lines for wrk.lua, prints the path
headers_file() {
  local f="$WORK/$1.headers"; shift
  printf '%s\n' "$@" >"$f"; echo "$f"
}

# proofs DKEY HTM URL TOKEN N: makes $WORK/proofs.1..$THREADS, prints the prefix
proofs() {
  node "$TOOL" proofs --dkey "$1" --htm "$2" --htu "$3" --token "$4" --n "$5" --files "$THREADS" --out "$WORK/proofs"
  echo "$WORK/proofs"
}
rps_of() { python3 -c 'import json,sys; print(int(json.loads(sys.argv[1]).get("rps") or 1000))' "$1"; }

# seed_children URL_PREFIX N AUTH: PUT the record at URL_PREFIX0..N-1, one keep-alive connection
seed_children() {
  python3 - "$1" "$2" "$3" "$RECORD_TTL" <<'PY'
import http.client, sys, urllib.parse
prefix, n, auth, rec = sys.argv[1], int(sys.argv[2]), sys.argv[3], open(sys.argv[4], 'rb').read()
u = urllib.parse.urlsplit(prefix)
c = http.client.HTTPConnection(u.hostname, u.port)
for i in range(n):
    h = {"Content-Type": "text/turtle"}
    if auth: h["Authorization"] = auth
    c.request("PUT", f"{u.path}{i}", body=rec, headers=h)
    r = c.getresponse(); r.read()
    if r.status >= 300: sys.exit(f"PUT {u.path}{i}: {r.status}")
PY
}

# start_up: `openplatforms up --demo` on free loopback ports; sets UP_PID, DEMO (demo.json path)
start_up() {
  local dir="$WORK/up"; mkdir -p "$dir"
  OP_LOG="${OP_LOG:-warn}" bg "$WORK/up.log" "$BIN/openplatforms" up --demo --data "$dir" \
    --hub-listen 127.0.0.1:0 --pod-listen 127.0.0.1:0
  UP_PID=$BG_PID
  DEMO="$dir/demo.json"
  for _ in $(seq 600); do [ -s "$DEMO" ] && break; sleep 0.1; done
  [ -s "$DEMO" ] || { log "up --demo wrote no demo.json"; cat "$WORK/up.log" >&2; return 1; }
  wait_http "$(jq_demo hub_url)/jwks" 30
}
jq_demo() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$DEMO" "$1"; }

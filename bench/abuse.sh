#!/usr/bin/env bash
# Adversarial run (issue 12): repeats the resource-abuse attempts against a release build of
# `openplatforms up --demo` on loopback ports in a temporary data directory, each with a bound
# on its answer time, then checks that the process is alive, that its RSS is bounded and that
# the data directory grew by less than a bound. Prints a table (also into $OUT/abuse.md) and
# exits non-zero on any failure. Needs curl, python3 and node (for the demo worker's OAuth flow,
# bench/lib/tool.mjs, no packages); builds the release binary if it is missing.
#
#   bench/abuse.sh                      # about 3 minutes after the build
#   ABUSE_RSS_MIB=512 ABUSE_DISK_MIB=64 ABUSE_FLOOD=24000 bench/abuse.sh
source "$(dirname "$0")/lib/common.sh"

RSS_BOUND_MIB="${ABUSE_RSS_MIB:-512}"     # RSS at the end
PEAK_BOUND_MIB="${ABUSE_PEAK_MIB:-1024}"  # highest RSS seen during the run
DISK_BOUND_MIB="${ABUSE_DISK_MIB:-64}"    # growth of the data directory
FLOOD="${ABUSE_FLOOD:-24000}"             # refused pod requests (half logged: past the retention)
PAGES="${ABUSE_PAGES:-2000}"              # cookieless hub page views
PARALLEL="${ABUSE_PARALLEL:-16}"          # concurrent requests in floods
STOP_BOUND_S="${ABUSE_STOP_S:-15}"        # SIGTERM to exit, with an upload in flight

command -v curl >/dev/null && command -v node >/dev/null || { log "needs curl and node"; exit 1; }
if [ ! -x "$BIN/openplatforms" ]; then
  log "building the release binary into $TARGET"
  (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --release -p openplatforms --bin openplatforms)
fi

FAILED=0
TABLE="$OUT/abuse.md"
{
  echo
  echo "### abuse ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  echo "| attack | requests | expected | answers | slowest s | bound s | result |"
  echo "| --- | ---: | --- | --- | ---: | ---: | --- |"
} | tee "$TABLE"

# result NAME COUNT EXPECTED ANSWERS SLOWEST BOUND: one row; fails unless every answer is one of
# EXPECTED (codes separated by /) and the slowest took at most BOUND seconds.
result() {
  local name="$1" count="$2" expected="$3" answers="$4" slowest="$5" bound="$6" ok=pass
  local codes; codes=$(echo "$answers" | tr ' ' '\n' | sed 's/×.*//' | sort -u)
  for c in $codes; do
    case "/$expected/" in *"/$c/"*) ;; *) ok=FAIL ;; esac
  done
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$slowest" "$bound" || ok=FAIL
  [ "$ok" = pass ] || FAILED=1
  echo "| $name | $count | $expected | $answers | $slowest | $bound | $ok |" | tee -a "$TABLE"
}

# one NAME EXPECTED BOUND CURL_ARGS...: a single request, cut off at twice its bound.
one() {
  local name="$1" expected="$2" bound="$3"; shift 3
  local out
  out=$(curl -s -o "$WORK/answer" -w '%{http_code} %{time_total}' --max-time $((bound * 2)) "$@" || true)
  local code="${out% *}" secs="${out#* }"
  [ -n "$code" ] && [ "$code" != 000 ] || { code=timeout; secs=$((bound * 2)); }
  secs=$(printf '%.3f' "$secs")
  result "$name" 1 "$expected" "$code" "$secs" "$bound"
  [ "$code" = timeout ] || [ "$code" -lt 300 ] || log "$name: $(head -c 300 "$WORK/answer")"
}

# flood NAME EXPECTED BOUND CONFIG: runs curl's config file CONFIG (one transfer per `next`) with
# $PARALLEL at a time; the row gives the answers by status and the slowest answer.
flood() {
  local name="$1" expected="$2" bound="$3" config="$4"
  local count; count=$(grep -c '^url' "$config")
  # The first transfer's options start the file; every later one follows a `next`.
  sed -i '1{/^next$/d}' "$config"
  curl -sS --no-progress-meter --parallel --parallel-max "$PARALLEL" -K "$config" >"$WORK/flood.out" 2>"$WORK/flood.err" || true
  [ -s "$WORK/flood.err" ] && log "$name: $(sort "$WORK/flood.err" | uniq -c | head -5)"
  local summary
  summary=$(python3 - "$WORK/flood.out" "$count" <<'PY'
import collections, sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
codes = collections.Counter(l[0] for l in lines)
missing = int(sys.argv[2]) - len(lines)
if missing: codes["none"] += missing
slowest = max((float(l[1]) for l in lines), default=0.0)
print(" ".join(f"{c}×{n}" for c, n in sorted(codes.items())), f"{slowest:.3f}")
PY
)
  result "$name" "$count" "$expected" "${summary% *}" "${summary##* }" "$bound"
}

# entry URL [HEADER...]: one transfer for a flood's config file.
entry() {
  local url="$1"; shift
  printf 'next\nurl = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code} %%{time_total}\\n"\nmax-time = 30\n' "$url"
  local h; for h in "$@"; do printf 'header = "%s"\n' "$h"; done
}

dir_bytes() { du -sb "$1" | cut -f1; }

# ---- start `up --demo` and get tokens ----
DATA="$WORK/up"; mkdir -p "$DATA"
OP_LOG="${OP_LOG:-warn}" bg "$WORK/up.log" "$BIN/openplatforms" up --demo --data "$DATA" \
  --hub-listen 127.0.0.1:0 --pod-listen 127.0.0.1:0 --matcher-listen 127.0.0.1:0
UP_PID=$BG_PID
DEMO="$DATA/demo.json"
for _ in $(seq 600); do [ -s "$DEMO" ] && break; sleep 0.1; done
[ -s "$DEMO" ] || { log "up --demo wrote no demo.json"; cat "$WORK/up.log" >&2; exit 1; }
HUB=$(jq_demo hub_url); HUB=${HUB%/}
POD=$(jq_demo worker.pod)
wait_http "$HUB/jwks" 30
token_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
# The worker's own grant without owner rights: its refusals are logged (bounded by retention).
# Asked first: once a wider grant exists, the hub answers a narrower request with the wider scope.
NO_RIGHTS=$(timeout 60 node "$TOOL" owner-token --demo "$DEMO" --scope 'openid webid' | token_of)
OWNER=$(timeout 60 node "$TOOL" owner-token --demo "$DEMO" | token_of)
# A platform's client_credentials token: not for the pod at all (refused, only counted).
FOREIGN=$(curl -sf -u "$(jq_demo platform.client_id):$(jq_demo platform.client_secret)" \
  -d grant_type=client_credentials "$HUB/token" | token_of)
rss_sampler "$UP_PID" "$WORK/peak" & PIDS+=("$!")
sleep 1
DISK_BEFORE=$(dir_bytes "$DATA"); HUB_BEFORE=$(dir_bytes "$DATA/hub"); POD_BEFORE=$(dir_bytes "$DATA/pod")
RSS_BEFORE=$(rss_kib "$UP_PID")
log "up --demo: hub $HUB, pod $POD, RSS $((RSS_BEFORE / 1024)) MiB, data $((DISK_BEFORE / 1024)) KiB"
AUTH="Authorization: Bearer $OWNER"

# ---- request bodies that hurt ----
python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
open(f"{w}/nested.jsonld", "w").write("[" * 1000 + "]" * 1000)
iri = "http://e.org/" + "x" * (256 * 1024)
open(f"{w}/amplified.ttl", "w").write(f"@prefix p: <{iri}> .\n<#s> p: " + ",".join(["1"] * 1_000_000) + " .\n")
open(f"{w}/thirty.ttl", "w").write("".join(f"<#s{i}> <#p> <#o{i}> .\n" for i in range(30)))
open(f"{w}/join.n3", "w").write(
    "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n_:p a solid:InsertDeletePatch; "
    "solid:where { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m <#none> ?n . }; "
    "solid:inserts { <#x> <#y> <#z> . }.\n")
open(f"{w}/chain.nt", "w").write("".join(f"_:b{i} <http://e.org/next> _:b{i + 1} .\n" for i in range(50_000)))
PY

one "JSON-LD nested 1,000 deep (PUT)" 400 2 -X PUT -H "$AUTH" -H 'Content-Type: application/ld+json' \
  --data-binary "@$WORK/nested.jsonld" "${POD}abuse/nested"
one "Turtle prefix amplification, 256 KiB IRI × 1,000,000 (PUT, 2 MiB)" 413 10 -X PUT -H "$AUTH" \
  -H 'Content-Type: text/turtle' --data-binary "@$WORK/amplified.ttl" "${POD}abuse/amplified"
one "30-triple document for the join (PUT)" 201/204 5 -X PUT -H "$AUTH" -H 'Content-Type: text/turtle' \
  --data-binary "@$WORK/thirty.ttl" "${POD}abuse/thirty"
one "N3 Patch, 5 patterns of free variables (PATCH)" 400 10 -X PATCH -H "$AUTH" -H 'Content-Type: text/n3' \
  --data-binary "@$WORK/join.n3" "${POD}abuse/thirty"
one "50,000 blank-node chain (PUT N-Triples)" 201/204 30 -X PUT -H "$AUTH" \
  -H 'Content-Type: application/n-triples' --data-binary "@$WORK/chain.nt" "${POD}abuse/chain"
one "50,000 blank-node chain as Turtle (GET)" 200 30 -H "$AUTH" -H 'Accept: text/turtle' "${POD}abuse/chain"

# ---- anonymous floods at the hub ----
: >"$WORK/pages.cfg"
for i in $(seq "$PAGES"); do
  case $((i % 4)) in
    0) entry "$HUB/login" ;; 1) entry "$HUB/" ;; 2) entry "$HUB/signup" ;; 3) entry "$HUB/developers" ;;
  esac
done >>"$WORK/pages.cfg"
flood "cookieless GETs of hub pages (/login, /, /signup, /developers)" 200/303 5 "$WORK/pages.cfg"

APP=$(jq_demo worker_app.client_id); REDIRECT=$(jq_demo worker_app.redirect_uri)
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
BASE_Q="response_type=code&client_id=$(enc "$APP")&redirect_uri=$(enc "$REDIRECT")&scope=openid&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&resource=$(enc "$POD")"
DETAILS=$(enc "[{\"type\":\"gig_data\",\"actions\":[\"read\"],\"purpose\":\"$(head -c 6144 /dev/zero | tr '\0' x)\"}]")
: >"$WORK/authorize.cfg"
for _ in $(seq 200); do entry "$HUB/authorize?$BASE_Q&authorization_details=$DETAILS"; done >>"$WORK/authorize.cfg"
flood "/authorize with 6 KiB authorization_details" 400 5 "$WORK/authorize.cfg"
: >"$WORK/parked.cfg"
for _ in $(seq "$PAGES"); do entry "$HUB/authorize?$BASE_Q"; done >>"$WORK/parked.cfg"
flood "valid /authorize without a browser (parked, purged after 15 min)" 303 5 "$WORK/parked.cfg"

# ---- refused pod requests ----
: >"$WORK/refused.cfg"
LONG_SEGMENT=$(head -c 200 /dev/zero | tr '\0' y)
for i in $(seq "$FLOOD"); do
  if [ $((i % 2)) = 0 ]; then
    entry "${POD}gigs/$LONG_SEGMENT/$i" "Authorization: Bearer $NO_RIGHTS"
  else
    entry "${POD}gigs/other/$i" "Authorization: Bearer $FOREIGN"
  fi
done >>"$WORK/refused.cfg"
flood "pod GETs refused: the worker's grant without rights, a foreign token" 401/403 5 "$WORK/refused.cfg"

# ---- what is left ----
sleep 2
ALIVE=pass
kill -0 "$UP_PID" 2>/dev/null || ALIVE=FAIL
for url in "$HUB/.well-known/openid-configuration" "${POD}profile/card"; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url")" = 200 ] || ALIVE=FAIL
done
RSS_END=$(( $(rss_kib "$UP_PID" 2>/dev/null || echo 0) / 1024 ))
PEAK=$(( $(cat "$WORK/peak" 2>/dev/null || echo 0) / 1024 ))
GROWTH=$(( ($(dir_bytes "$DATA") - DISK_BEFORE) / 1024 ))
HUB_GROWTH=$(( ($(dir_bytes "$DATA/hub") - HUB_BEFORE) / 1024 ))
POD_GROWTH=$(( ($(dir_bytes "$DATA/pod") - POD_BEFORE) / 1024 ))
# verdict VALUE BOUND: pass when VALUE <= BOUND (integers).
verdict() { if [ "$1" -le "$2" ]; then echo pass; else echo FAIL; fi; }
V_RSS=$(verdict "$RSS_END" "$RSS_BOUND_MIB")
V_PEAK=$(verdict "$PEAK" "$PEAK_BOUND_MIB")
V_DISK=$(verdict "$GROWTH" $((DISK_BOUND_MIB * 1024)))
for v in "$ALIVE" "$V_RSS" "$V_PEAK" "$V_DISK"; do [ "$v" = pass ] || FAILED=1; done
{
  echo
  echo "| after the run | value | bound | result |"
  echo "| --- | ---: | ---: | --- |"
  echo "| process alive, hub and pod answering | — | — | $ALIVE |"
  echo "| RSS at the end (MiB; $((RSS_BEFORE / 1024)) after start) | $RSS_END | $RSS_BOUND_MIB | $V_RSS |"
  echo "| highest RSS seen (MiB) | $PEAK | $PEAK_BOUND_MIB | $V_PEAK |"
  echo "| data directory growth (KiB; hub $HUB_GROWTH, pod $POD_GROWTH) | $GROWTH | $((DISK_BOUND_MIB * 1024)) | $V_DISK |"
} | tee -a "$TABLE"

# ---- SIGTERM with an upload in flight ----
(printf '<#a> <#b> '; sleep 20) | curl -s -o /dev/null -T - -H "$AUTH" -H 'Content-Type: text/turtle' \
  "${POD}abuse/slow" & PIDS+=("$!")
sleep 0.5
T0=$(date +%s.%N)
kill -TERM "$UP_PID"
for _ in $(seq $((STOP_BOUND_S * 20 + 100))); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.05; done
STOP_S=$(python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' "$T0" "$(date +%s.%N)")
STOPPED=pass
kill -0 "$UP_PID" 2>/dev/null && STOPPED=FAIL
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$STOP_S" "$STOP_BOUND_S" || STOPPED=FAIL
[ "$STOPPED" = pass ] || FAILED=1
echo "| SIGTERM with an upload in flight: exit after (s) | $STOP_S | $STOP_BOUND_S | $STOPPED |" | tee -a "$TABLE"

if [ "$FAILED" = 0 ]; then log "every attack was bounded (table in $TABLE)"; else log "FAILED (table in $TABLE)"; fi
exit "$FAILED"

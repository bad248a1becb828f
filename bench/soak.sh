#!/usr/bin/env bash
# Soak run (issue 13): a release build of `openplatforms up --demo` on loopback ports in a
# temporary data directory, under a steady mixed load (pod reads, writes, listings and deletes;
# hub pages, refresh-token rotations, log-ins and parked /authorize requests) for SOAK_MINUTES (default 10), sampling the
# process's RSS, open file descriptors, threads, data directory size and the load's p99 latency
# every SOAK_SAMPLE_S (30) seconds. Fails on any unexpected answer, or when RSS or open files keep
# growing: the mean of the last third of the samples against the mean of the first third.
# Prints a table (also into $OUT/soak.md). Needs curl, python3 and node (bench/lib/tool.mjs logs
# the demo worker in); builds the release binary if it is missing.
#
#   bench/soak.sh                                  # 10 minutes after the build
#   SOAK_MINUTES=30 SOAK_CONNECTIONS=64 bench/soak.sh
#   bounds: SOAK_RSS_GROWTH_PCT (20) plus SOAK_RSS_SLACK_MIB (16), SOAK_FD_GROWTH (16)
source "$(dirname "$0")/lib/common.sh"

MINUTES="${SOAK_MINUTES:-10}"
SAMPLE_S="${SOAK_SAMPLE_S:-30}"
CONNS="${SOAK_CONNECTIONS:-16}"             # concurrent load loops
RSS_GROWTH_PCT="${SOAK_RSS_GROWTH_PCT:-20}"
RSS_SLACK_MIB="${SOAK_RSS_SLACK_MIB:-16}"
FD_GROWTH="${SOAK_FD_GROWTH:-16}"

command -v curl >/dev/null && command -v node >/dev/null || { log "needs curl and node"; exit 1; }
if [ ! -x "$BIN/openplatforms" ]; then
  log "building the release binary into $TARGET"
  (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --release -p openplatforms --bin openplatforms)
fi

DATA="$WORK/up"; mkdir -p "$DATA"
OP_LOG="${OP_LOG:-warn}" bg "$WORK/up.log" "$BIN/openplatforms" up --demo --data "$DATA" \
  --hub-listen 127.0.0.1:0 --pod-listen 127.0.0.1:0 --matcher-listen 127.0.0.1:0
UP_PID=$BG_PID
DEMO="$DATA/demo.json"
for _ in $(seq 600); do [ -s "$DEMO" ] && break; sleep 0.1; done
[ -s "$DEMO" ] || { log "up --demo wrote no demo.json"; cat "$WORK/up.log" >&2; exit 1; }
HUB=$(jq_demo hub_url); HUB=${HUB%/}
wait_http "$HUB/jwks" 30
# One token response (with a rotating refresh token) per load loop: each loop refreshes its own.
for i in $(seq "$CONNS"); do
  timeout 60 node "$TOOL" owner-token --demo "$DEMO" >"$WORK/token.$i.json"
done

# The load: CONNS loops, each a fixed mix of requests; per window of SAMPLE_S seconds it appends
# one JSON line (requests, errors, p99 ms) to $WORK/windows.jsonl.
python3 - "$DEMO" "$WORK" "$CONNS" "$((MINUTES * 60))" "$SAMPLE_S" >"$WORK/load.log" 2>&1 <<'PY' &
import http.client, json, sys, threading, time, urllib.parse
demo, work, conns, secs, window = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
hub = urllib.parse.urlsplit(demo["hub_url"]); pod = urllib.parse.urlsplit(demo["worker"]["pod"])
app = demo["worker_app"]["client_id"]
lock = threading.Lock(); lat = []; errors = {}; count = [0]
def note(ms, ok, what):
    with lock:
        lat.append(ms); count[0] += 1
        if not ok: errors[what] = errors.get(what, 0) + 1
def call(conn, method, path, body=None, headers=None, expect=(200,)):
    t0 = time.perf_counter()
    # A keep-alive connection the server closed while idle fails once: reconnect and send again.
    for attempt in (1, 2):
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse(); data = r.read(); status = r.status; hdrs = r.getheaders()
            break
        except Exception as e:
            conn.close(); status, data, hdrs = type(e).__name__, b"", []
    kind = "hub" if conn.port == hub.port else "pod"
    note((time.perf_counter() - t0) * 1000, status in expect, f"{method} {kind} {status}")
    return status, data, hdrs
def cookies(hdrs):
    return "; ".join(v.split(";")[0] for k, v in hdrs if k.lower() == "set-cookie")
def field(html, name):
    at = html.index(f'name="{name}" value="') + len(name) + 15
    return html[at:html.index('"', at)]
app_redirect = demo["worker_app"]["redirect_uri"]; worker = demo["worker"]
authorize = "/authorize?" + urllib.parse.urlencode({"response_type": "code", "client_id": app,
    "redirect_uri": app_redirect, "scope": "openid", "state": "s", "resource": demo["worker"]["pod"],
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"})
def loop(n):
    tok = json.load(open(f"{work}/token.{n}.json"))
    access, refresh = tok["access_token"], tok["refresh_token"]
    h = http.client.HTTPConnection(hub.hostname, hub.port, timeout=30)
    p = http.client.HTTPConnection(pod.hostname, pod.port, timeout=30)
    base = f"{pod.path}soak/c{n}/"; i = 0; end = time.time() + secs
    while time.time() < end:
        i += 1; auth = {"Authorization": f"Bearer {access}"}
        name = f"{base}r{i % 50}"
        call(p, "PUT", name, f"<#r> <#n> {i} .\n".encode(), {**auth, "Content-Type": "text/turtle"}, (201, 204, 205))
        call(p, "GET", name, None, auth)
        call(p, "GET", base, None, {**auth, "Accept": "text/turtle"})
        if i % 5 == 0: call(p, "DELETE", f"{base}r{(i + 25) % 50}", None, auth, (204, 205, 404))
        if i % 10 == 0: call(h, "GET", "/login")
        if i % 20 == 0: call(h, "GET", "/.well-known/openid-configuration")
        # A request parked by the hub until its purge (no browser follows it).
        if (i + n) % 25 == 0: call(h, "GET", authorize, expect=(303,))
        # A log-in: a browser session that stays in the store until it expires.
        if (i + 13 * n) % 200 == 0:  # staggered: the hub throttles an account's parallel log-ins
            s, page, hdrs = call(h, "GET", "/login")
            if s == 200:
                form = urllib.parse.urlencode({"csrf": field(page.decode(), "csrf"),
                    "username": worker["username"], "password": worker["password"]})
                # 429: more than five log-ins of one account in flight at once, which the hub's
                # throttle refuses by design (hub/src/throttle.rs); counted, not a failure.
                call(h, "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookies(hdrs)}, (303, 429))
        if i % 50 == 0:
            body = urllib.parse.urlencode({"grant_type": "refresh_token", "client_id": app, "refresh_token": refresh})
            s, data, _ = call(h, "POST", "/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
            if s == 200:
                t = json.loads(data); access, refresh = t["access_token"], t["refresh_token"]
for n in range(1, conns + 1): threading.Thread(target=loop, args=(n,), daemon=True).start()
start = time.time()
while time.time() < start + secs:
    time.sleep(window)
    with lock:
        xs = sorted(lat); lat.clear(); n = count[0]; count[0] = 0; errs = dict(errors); errors.clear()
    p99 = xs[int(len(xs) * 0.99)] if xs else None
    with open(f"{work}/windows.jsonl", "a") as f:
        f.write(json.dumps({"requests": n, "p99_ms": p99, "errors": errs}) + "\n")
time.sleep(1)
PY
LOAD_PID=$!; PIDS+=("$LOAD_PID")

log "soak: $MINUTES min, $CONNS loops, sampling every ${SAMPLE_S}s (hub $HUB, pid $UP_PID)"
: >"$WORK/samples"
T0=$(date +%s)
while kill -0 "$LOAD_PID" 2>/dev/null; do
  sleep "$SAMPLE_S"
  kill -0 "$UP_PID" 2>/dev/null || { log "the server died"; cat "$WORK/up.log" >&2; exit 1; }
  echo "$(( $(date +%s) - T0 )) $(rss_kib "$UP_PID") $(ls "/proc/$UP_PID/fd" | wc -l) \
$(awk '/^Threads:/ {print $2}' "/proc/$UP_PID/status") $(du -sb "$DATA" 2>/dev/null | cut -f1)" >>"$WORK/samples"
done
wait "$LOAD_PID" || true
grep -q . "$WORK/load.log" && { log "load generator:"; head -20 "$WORK/load.log" >&2; }
ALIVE=pass; kill -0 "$UP_PID" 2>/dev/null || ALIVE=FAIL

python3 - "$WORK/samples" "$WORK/windows.jsonl" "$OUT/soak.md" "$MINUTES" "$CONNS" "$RSS_GROWTH_PCT" \
  "$RSS_SLACK_MIB" "$FD_GROWTH" "$ALIVE" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" <<'PY'
import json, sys
samples = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
windows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
samples = samples[:max(len(windows), 3)]  # not the ones taken after the load ended
out, minutes, conns = sys.argv[3], sys.argv[4], sys.argv[5]
rss_pct, rss_slack, fd_growth, alive, commit = float(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8]), sys.argv[9], sys.argv[10]
lines = [f"\n### soak ({minutes} min, {conns} loops, commit {commit})\n",
         "| t s | RSS MiB | open fds | threads | data KiB | requests | p99 ms | errors |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
errors = 0
for s, w in zip(samples, windows + [{}] * (len(samples) - len(windows))):
    e = w.get("errors", {}); errors += sum(e.values())
    p99 = w.get("p99_ms"); reqs = f"{w['requests']:,}" if "requests" in w else "—"
    lines.append(f"| {s[0]} | {s[1] / 1024:.1f} | {s[2]} | {s[3]} | {s[4] // 1024:,} | {reqs} | "
                 f"{'—' if p99 is None else f'{p99:.1f}'} | {' '.join(f'{k}×{v}' for k, v in e.items()) or 0} |")
third = max(len(samples) // 3, 1)
mean = lambda xs: sum(xs) / len(xs)
first, last = samples[:third], samples[-third:]
rss0, rss1 = mean([s[1] for s in first]) / 1024, mean([s[1] for s in last]) / 1024
fd0, fd1 = mean([s[2] for s in first]), mean([s[2] for s in last])
rss_ok = rss1 <= rss0 * (1 + rss_pct / 100) + rss_slack
fd_ok = fd1 <= fd0 + fd_growth
verdict = lambda ok: "pass" if ok else "FAIL"
lines += ["", "| check | first third | last third | bound | result |", "| --- | ---: | ---: | ---: | --- |",
          f"| RSS MiB (mean) | {rss0:.1f} | {rss1:.1f} | {rss0 * (1 + rss_pct / 100) + rss_slack:.1f} | {verdict(rss_ok)} |",
          f"| open fds (mean) | {fd0:.1f} | {fd1:.1f} | {fd0 + fd_growth:.1f} | {verdict(fd_ok)} |",
          f"| unexpected answers | — | {errors} | 0 | {verdict(errors == 0)} |",
          f"| process alive at the end | — | — | — | {alive} |"]
text = "\n".join(lines)
print(text); open(out, "a").write(text + "\n")
sys.exit(0 if rss_ok and fd_ok and errors == 0 and alive == "pass" and len(samples) >= 3 else 1)
PY

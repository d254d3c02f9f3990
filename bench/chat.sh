#!/usr/bin/env bash
# Live chat benchmark (issues 4 and 7): onair vs a Socket.IO v4 chat server
# (bench/peers/socketio, Node), side by side in the same run, with
# onair-bench's chat scenarios. Prints Markdown tables with onair/peer ratios.
#
# What runs (each server started fresh per block, stopped after it):
#   hold     chat-connect: HOLD connections (19,000), anonymous, each joined
#            to one of 10 rooms; server RSS before/after -> RSS per connection
#   spike    chat-connect: SPIKE clients (10,000) connecting all at once
#   fanout   chat-fanout into one room of 1,000 and one of 10,000
#            subscribers, at rising message rates until a run loses a
#            message or its p99 passes 1 s (saturated); each step is marked
#            whether it meets "0 loss, p99 < 100 ms"; server CPU per delivery
#   rate     chat-fanout: 5,000 messages/s into a room of 1,000 (onair only:
#            the peer's lossless ceiling is far below it)
#   recover  chat-recover: 1,000 subscribers dropping and rejoining while
#            messages flow
#
#   bench/chat.sh                 everything (about 10 minutes)
#   BLOCKS="fanout" bench/chat.sh one block
#
# Env: BLOCKS, HOLD, SPIKE, SEND_S (s of sending per fan-out run),
# RATES_1K_ONAIR / RATES_1K_PEER / RATES_10K_ONAIR / RATES_10K_PEER (total
# messages/s per step), ONAIR_BIN, ONAIR_BENCH, BENCH_OUT (JSON summaries),
# ONAIR_ARGS (more onair flags, e.g. "--chat-fanout-delay-ms 12").
# Loopback only; every process it starts is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/common.sh

BLOCKS=${BLOCKS:-"hold spike fanout rate recover"}
HOLD=${HOLD:-19000}
SPIKE=${SPIKE:-10000}
SEND_S=${SEND_S:-5}
RATES_1K_ONAIR=${RATES_1K_ONAIR:-"50 100 200 500 1000 2000"}
RATES_1K_PEER=${RATES_1K_PEER:-"10 25 50 100 200"}
RATES_10K_ONAIR=${RATES_10K_ONAIR:-"5 10 20 50 100 200"}
RATES_10K_PEER=${RATES_10K_PEER:-"1 2 5 10 20"}
BIN=${ONAIR_BIN:-build/onair}
BENCH=${ONAIR_BENCH:-build/onair-bench}
OUT=${BENCH_OUT:-build/bench}
PEER_DIR=bench/peers/socketio

for b in "$BIN" "$BENCH"; do
  [ -x "$b" ] || { echo "bench/chat.sh: $b is missing: run 'make build' first" >&2; exit 1; }
done
command -v node >/dev/null || { echo "bench/chat.sh: node is missing (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -d "$PEER_DIR/node_modules/socket.io" ] || [ "$PEER_DIR/package-lock.json" -nt "$PEER_DIR/node_modules" ]; then
  echo "bench/chat.sh: installing the Socket.IO peer (npm ci)" >&2
  (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

TMP=$(mktemp -d /tmp/onair-bench-chat.XXXXXX)
BENCH_LOG_DIR=$TMP
trap 'bench_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"

# ---- servers ----

start_onair() { # name
  local http data
  http=$(free_port); data=$TMP/onair-$1
  mkdir -p "$data"
  bench_spawn "onair-$1" "$BIN" --argon2-ops 1 --argon2-mem-kib 64 --log-level warn \
    --data "$data" --http "127.0.0.1:$http" --rtmp 127.0.0.1:0 \
    --chat-rate-count 0 --max-connections 19500 ${ONAIR_ARGS:-}
  SERVER_PID=$BENCH_LAST_PID
  wait_http "http://127.0.0.1:$http/healthz"
  SERVER_URL=ws://127.0.0.1:$http
}

start_peer() { # name
  local port
  port=$(free_port)
  bench_spawn "peer-$1" env PORT="$port" HOST=127.0.0.1 node "$PEER_DIR/server.js"
  SERVER_PID=$BENCH_LAST_PID
  wait_http "http://127.0.0.1:$port/healthz"
  SERVER_URL=ws://127.0.0.1:$port
}

start() { # target name
  if [ "$1" = onair ]; then start_onair "$2"; else start_peer "$2"; fi
}

# Runs onair-bench SCENARIO against the current server; the summary goes
# to $OUT/chat-<name>.json. Usage: run_bench NAME TARGET SCENARIO ARGS...
run_bench() {
  local name=$1 target=$2 sc=$3; shift 3
  echo "bench/chat.sh: $name" >&2
  if ! "$BENCH" "$sc" --target "$target" --url "$SERVER_URL" --server-pid "$SERVER_PID" \
    --json "$@" >"$OUT/chat-$name.json" 2>"$TMP/$name.err"; then
    echo "bench/chat.sh: onair-bench $sc failed:" >&2
    tail -5 "$TMP/$name.err" >&2
    return 1
  fi
  tail -1 "$TMP/$name.err" >&2
}

# The ladder goes on while a step loses nothing and its p99 stays under 1 s
# (past that the server or the machine is saturated: higher rates only
# queue more).
go_on() { # json
  python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
d, l = s["deliveries"], s["latency_ms"]
ok = d["lost"] == 0 and d["duplicates"] == 0 and d["delivered"] == d["expected"] \
    and s.get("unexpected_closes", 0) == 0 and l.get("n", 0) > 0 and l["p99"] < 1000
sys.exit(0 if ok else 1)
PY
}

# ---- blocks ----

# connects NAME CHAT-CONNECT-ARGS...: the same connections against each server.
connects() {
  local name=$1 target; shift
  for target in onair socketio; do
    start "$target" "$name"
    run_bench "$name-$target" "$target" chat-connect --procs 2 --source-addrs 2 --rooms 10 \
      --quiet "$@"
    bench_stop_pid "$SERVER_PID"
  done
}

block_hold() { connects hold --connections "$HOLD" --rate 10000 --duration 12; }
block_spike() { connects spike --connections "$SPIKE" --rate 0 --duration 4; }

# ladder TARGET SUBS PUBS RATES: one fresh server, one run per total rate,
# until go_on says stop (that step is kept).
ladder() {
  local target=$1 subs=$2 pubs=$3 rates=$4 rate per
  start "$target" "fanout-$subs"
  for rate in $rates; do
    per=$(python3 -c "print($rate/$pubs)")
    run_bench "fanout-$target-$subs-$rate" "$target" chat-fanout --subscribers "$subs" \
      --publishers "$pubs" --msg-rate "$per" --duration "$SEND_S" --warmup 1 --drain 5 \
      --connect-rate 5000 --quiet || break
    go_on "$OUT/chat-fanout-$target-$subs-$rate.json" || break
  done
  bench_stop_pid "$SERVER_PID"
}

block_fanout() {
  ladder onair 1000 10 "$RATES_1K_ONAIR"
  ladder socketio 1000 10 "$RATES_1K_PEER"
  ladder onair 10000 2 "$RATES_10K_ONAIR"
  ladder socketio 10000 2 "$RATES_10K_PEER"
}

block_rate() {
  start onair rate
  run_bench "rate-onair" onair chat-fanout --subscribers 1000 --publishers 50 --msg-rate 100 \
    --duration 5 --warmup 1 --drain 5 --quiet || true
  bench_stop_pid "$SERVER_PID"
}

block_recover() {
  for target in onair socketio; do
    start "$target" recover
    run_bench "recover-$target" "$target" chat-recover --subscribers 1000 --publishers 5 \
      --msg-rate 20 --duration 8 --drop-every 2 --down-ms 300 --drain 8 --quiet || true
    bench_stop_pid "$SERVER_PID"
  done
}

echo "bench/chat.sh: blocks: $BLOCKS; $(nproc) cores shared by the servers and onair-bench" >&2
for b in $BLOCKS; do
  rm -f "$OUT"/chat-"$b"-*.json # no figures from an older run in this report
  "block_$b"
done
bench_cleanup

# ---- the report: Markdown tables from the JSON summaries ----
python3 - "$OUT" "$BLOCKS" "$RATES_1K_ONAIR" "$RATES_1K_PEER" "$RATES_10K_ONAIR" \
  "$RATES_10K_PEER" "$HOLD" "$SPIKE" "$SEND_S" <<'PY'
import json, os, sys
out, blocks = sys.argv[1], sys.argv[2].split()
rates = {("onair", 1000): sys.argv[3], ("socketio", 1000): sys.argv[4],
         ("onair", 10000): sys.argv[5], ("socketio", 10000): sys.argv[6]}
hold, spike, send_s = int(sys.argv[7]), int(sys.argv[8]), sys.argv[9]
NAMES = {"onair": "onair", "socketio": "Socket.IO"}

def load(name):
    p = "%s/chat-%s.json" % (out, name)
    return json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) else None

def ms(o, *keys):
    return " / ".join("%.1f" % o[k] for k in keys) if o and o.get("n") else "-"

def ratio(a, b, fmt="%.1fx"):
    return fmt % (a / b) if a and b else "-"

def passes(s):
    d, l = s["deliveries"], s["latency_ms"]
    return (d["lost"] == 0 and d["duplicates"] == 0 and d["delivered"] == d["expected"]
            and s.get("unexpected_closes", 0) == 0 and l.get("n", 0) > 0 and l["p99"] < 100)

if "hold" in blocks:
    r = {t: load("hold-" + t) for t in NAMES}
    print("### %d connections held (chat-connect, 2 worker processes, 10,000 connects/s)\n" % hold)
    print("| | onair | Socket.IO | Socket.IO / onair |\n| --- | --- | --- | --- |")
    def row(label, f, rat=None):
        vals = [f(r[t]) if r[t] else "-" for t in NAMES]
        print("| %s | %s | %s | %s |" % (label, vals[0], vals[1], rat(r) if rat else ""))
    row("joined / wanted (failed)", lambda s: "%d / %d (%d)" % (
        s["connect"]["joined"], s["connect"]["wanted"], s["connect"]["failed"]))
    row("time until every client joined", lambda s: "%.2f s" % s["connect"]["all_joined_s"])
    row("connect / join latency p99", lambda s: "%.1f / %.1f ms" % (
        s["connect"]["connect_ms"].get("p99", 0), s["connect"]["join_ms"].get("p99", 0)))
    row("server RSS before -> after", lambda s: "%.1f -> %.1f MiB" % (
        s["server"]["rss_kib_before"] / 1024, s["server"]["rss_kib_after"] / 1024))
    per = lambda s: s["server"].get("rss_bytes_per_connection", 0)
    row("**server RSS per connection**", lambda s: "**%.2f KB**" % (per(s) / 1000),
        lambda r: ratio(per(r["socketio"]), per(r["onair"])) if r["onair"] and r["socketio"] else "-")
    row("extrapolated to 1,000,000 connections", lambda s: "%.1f GB" % (per(s) * 1e6 / 1e9))
    row("server CPU to let every client go (until idle)",
        lambda s: "%.2f s" % s["server"].get("cpu_s_after_close", -1))
    row("onair-bench CPU (both workers), % of one core", lambda s: "%.0f" % s["tool"]["cpu_pct"])
    print()

if "spike" in blocks:
    r = {t: load("spike-" + t) for t in NAMES}
    print("### %d clients connecting at once (chat-connect --rate 0, 2 worker processes)\n" % spike)
    print("| | onair | Socket.IO |\n| --- | --- | --- |")
    def row(label, f):
        print("| %s | %s |" % (label, " | ".join(f(r[t]) if r[t] else "-" for t in NAMES)))
    row("joined / wanted (failed)", lambda s: "%d / %d (%d)" % (
        s["connect"]["joined"], s["connect"]["wanted"], s["connect"]["failed"]))
    row("**time until every client joined**", lambda s: "**%.2f s**" % s["connect"]["all_joined_s"]
        if s["connect"]["all_joined_s"] >= 0 else "not all")
    row("**joined within 0.5 s of the start**", lambda s: "**%.1f%%**" % (
        100.0 * s["connect"]["joined_within_500ms"] / s["connect"]["wanted"]))
    row("start -> joined p50 / p99 / max", lambda s: ms(s["connect"]["ready_ms"], "p50", "p99", "max") + " ms")
    row("TCP+upgrade p50 / p99", lambda s: ms(s["connect"]["connect_ms"], "p50", "p99") + " ms")
    row("join -> joined p50 / p99", lambda s: ms(s["connect"]["join_ms"], "p50", "p99") + " ms")
    print()

best = {}
if "fanout" in blocks:
    for subs in (1000, 10000):
        print("### Fan-out into one room of %d subscribers (chat-fanout, %s s of sending per step)\n"
              % (subs, send_s))
        print("| server | messages/s | deliveries/s | lost / dup / out of order | latency p50 / p99 / max | "
              "send-to-ack p99 | server CPU, % of a core | **server CPU per delivery** | "
              "tool CPU per delivery | 0 loss, p99 < 100 ms |")
        print("| --- " * 10 + "|")
        for t in NAMES:
            for rate in rates[(t, subs)].split():
                s = load("fanout-%s-%d-%s" % (t, subs, rate))
                if not s:
                    continue
                d, sv = s["deliveries"], s.get("server", {})
                ok = passes(s)
                if ok:
                    best[(t, subs)] = s
                print("| %s | %.0f | %s | %d / %d / %d | %s ms | %s ms | %.0f | **%.2f us** | %.2f us | %s |" % (
                    NAMES[t], s["messages"]["per_s"], format(int(d["per_s"]), ","), d["lost"],
                    d["duplicates"], d["out_of_order"], ms(s["latency_ms"], "p50", "p99", "max"),
                    ms(s["ack_ms"], "p99"), sv.get("cpu_pct", 0), sv.get("cpu_us_per_delivery", 0),
                    s.get("tool_cpu_us_per_delivery", 0), "yes" if ok else "**no**"))
        o, p = best.get(("onair", subs)), best.get(("socketio", subs))
        if o and p:
            print("\nHighest lossless step: onair %s deliveries/s at %.2f us of server CPU each, "
                  "Socket.IO %s at %.2f us: **%s the deliveries/s, %s the CPU per delivery**.\n" % (
                      format(int(o["deliveries"]["per_s"]), ","), o["server"]["cpu_us_per_delivery"],
                      format(int(p["deliveries"]["per_s"]), ","), p["server"]["cpu_us_per_delivery"],
                      ratio(o["deliveries"]["per_s"], p["deliveries"]["per_s"]),
                      ratio(o["server"]["cpu_us_per_delivery"], p["server"]["cpu_us_per_delivery"], "%.2fx")))
        else:
            print()

if "rate" in blocks:
    s = load("rate-onair")
    if s:
        d = s["deliveries"]
        print("### 5,000 messages/s into a room of 1,000 (50 publishers x 100/s, onair)\n")
        print("| messages/s sent | deliveries/s | lost / dup | send-to-receive p50 / p99 / max | "
              "send-to-ack p50 / p99 / max | server CPU per delivery |")
        print("| --- | --- | --- | --- | --- | --- |")
        print("| %.0f | %s | %d / %d | %s ms | %s ms | %.2f us |\n" % (
            s["messages"]["per_s"], format(int(d["per_s"]), ","), d["lost"], d["duplicates"],
            ms(s["latency_ms"], "p50", "p99", "max"), ms(s["ack_ms"], "p50", "p99", "max"),
            s.get("server", {}).get("cpu_us_per_delivery", 0)))

if "recover" in blocks:
    r = {t: load("recover-" + t) for t in NAMES}
    print("### Reconnects while messages flow (chat-recover: 1,000 subscribers, 5 x 20 messages/s, "
          "a drop every ~2 s per subscriber, back after 300 ms)\n")
    print("| | onair (join with since) | Socket.IO (connection state recovery) |\n| --- | --- | --- |")
    def row(label, f):
        print("| %s | %s |" % (label, " | ".join(f(r[t]) if r[t] else "-" for t in NAMES)))
    row("drops / rejoined", lambda s: "%d / %d" % (s["recover"]["drops"], s["recover"]["rejoined"]))
    row("expected / delivered", lambda s: "%d / %d" % (s["deliveries"]["expected"], s["deliveries"]["delivered"]))
    row("**lost / duplicated**", lambda s: "**%d / %d**" % (s["deliveries"]["lost"], s["deliveries"]["duplicates"]))
    row("latency p50 / p99 (replays included)", lambda s: ms(s["latency_ms"], "p50", "p99") + " ms")
    print()
PY

# The summaries of this run's blocks into bench/results/ (committed; the
# plots of `make bench-report` are drawn from there).
# shellcheck disable=SC2046
bench/report.sh collect "$OUT" $(for b in $BLOCKS; do echo "chat-$b-*"; done)

#!/usr/bin/env bash
# Chat search benchmark (issue 4: "search over 10 million stored messages:
# p95 under 50 ms"). Seeds a data directory with MESSAGES chat messages
# (onair-bench chat-seed; cached under build/bench/, keyed by the message
# count, rooms and seed, so a re-run does not seed again), starts onair on
# it, and runs onair-bench search three times:
#   latency     the default query mix, 1 client        (the p95 figure)
#   throughput  the default query mix, CONCURRENCY clients
#   adversarial common trigrams in rare or absent sequences, 1 client
# then prints Markdown tables. Summaries go to build/bench/search-*.json.
#
#   bench/search.sh                      10,000,000 messages (seeding ~15-20 min the first time)
#   MESSAGES=1000000 bench/search.sh     a smaller seed
#
# Env: MESSAGES, ROOMS (100), SEED (1), DURATION (s per run, 30),
# ADV_DURATION (15), CONCURRENCY (4), SEED_TIMEOUT (s, 7200), ONAIR_BIN,
# ONAIR_BENCH, BENCH_OUT. Loopback only; onair is stopped by PID on exit.
# The server runs on the cached directory itself: it only migrates it (if
# the schema moved on) and resets live flags, which leaves the messages as
# they were seeded.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/common.sh

MESSAGES=${MESSAGES:-10000000}
ROOMS=${ROOMS:-100}
SEED=${SEED:-1}
DURATION=${DURATION:-30}
ADV_DURATION=${ADV_DURATION:-15}
CONCURRENCY=${CONCURRENCY:-4}
SEED_TIMEOUT=${SEED_TIMEOUT:-7200}
BIN=${ONAIR_BIN:-build/onair}
BENCH=${ONAIR_BENCH:-build/onair-bench}
OUT=${BENCH_OUT:-build/bench}

for b in "$BIN" "$BENCH"; do
  [ -x "$b" ] || { echo "bench/search.sh: $b is missing: run 'make build' first" >&2; exit 1; }
done
mkdir -p "$OUT"
# v1: the generator of chat-seed; bump it when the generated messages change.
DATA=$OUT/search-data-v1-m$MESSAGES-r$ROOMS-s$SEED
TMP=$(mktemp -d /tmp/onair-bench-search.XXXXXX)
BENCH_LOG_DIR=$TMP
trap 'bench_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# ---- the seed (cached) ----

if [ ! -f "$DATA/bench-seed.json" ]; then
  echo "bench/search.sh: seeding $MESSAGES messages into $DATA" >&2
  rm -rf "$DATA" "$DATA.partial"
  timeout "$SEED_TIMEOUT" "$BENCH" chat-seed --data "$DATA.partial" --messages "$MESSAGES" \
    --rooms "$ROOMS" --seed "$SEED"
  mv "$DATA.partial" "$DATA"
else
  echo "bench/search.sh: using the seed cached in $DATA" >&2
fi

# ---- the server ----

port=$(free_port)
bench_spawn onair "$BIN" --data "$DATA" --http "127.0.0.1:$port" --rtmp 127.0.0.1:0 \
  --log-level warn
SERVER_PID=$BENCH_LAST_PID
wait_http "http://127.0.0.1:$port/healthz"

# run NAME MIX CONCURRENCY SECONDS: one onair-bench search run, its summary
# in $OUT/search-NAME.json.
run() {
  local name=$1 mix=$2 conc=$3 secs=$4
  echo "bench/search.sh: $name ($mix mix, $conc clients, $secs s)" >&2
  if ! timeout $((secs + 600)) "$BENCH" search --url "http://127.0.0.1:$port" --mix "$mix" \
    --manifest "$DATA/bench-seed.json" --concurrency "$conc" --duration "$secs" \
    --server-pid "$SERVER_PID" --json >"$OUT/search-$name.json" 2>"$TMP/$name.err"; then
    echo "bench/search.sh: onair-bench search failed:" >&2
    tail -5 "$TMP/$name.err" >&2
    return 1
  fi
  grep '^search: check' "$TMP/$name.err" >&2 || true
}

run latency default 1 "$DURATION"
run throughput default "$CONCURRENCY" "$DURATION"
run adversarial adversarial 1 "$ADV_DURATION"
rss=$(rss_kib "$SERVER_PID")
bench_cleanup

# ---- tables ----

python3 - "$DATA/bench-seed.json" "$OUT" "$rss" <<'PY'
import json, sys
seed = json.load(open(sys.argv[1]))
out, rss = sys.argv[2], int(sys.argv[3])
def size(b):
    return f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:.0f} MiB"

runs = {n: json.load(open(f"{out}/search-{n}.json")) for n in ("latency", "throughput", "adversarial")}

print(f"Seed: {seed['messages']:,} messages in {seed['rooms']} rooms (busiest "
      f"{seed['big_room_messages']:,}, quietest {seed['small_room_messages']:,}), "
      f"{seed['users']:,} users, seed {seed['seed']}: stored in {seed['seconds']:.0f} s "
      f"({seed['messages_per_s']:,.0f} messages/s, group commits of {seed['batch']}, slowest "
      f"{seed['slowest_batch_ms']:.0f} ms); database {size(seed['db_bytes'])}. "
      f"Server RSS at the end: {rss / 1024:.0f} MiB.")
print()

def table(title, r):
    c = r["check"]
    print(f"### {title}")
    print()
    print(f"{r['concurrency']} client(s), {r['duration_s']:.0f} s, {r['requests']:,} requests "
          f"({r['requests_per_s']:,.1f}/s), statuses {r['status']}, {r['errors']} errors, "
          f"{r['implausible']} implausible answers; check pass: {c['requests']} queries, "
          f"{c['problems']} problems, first-request latency p50 {c['latency_ms'].get('p50', 0)} ms, "
          f"max {c['latency_ms'].get('max', 0)} ms.")
    if r.get("first_problem"):
        print(f"First problem: {r['first_problem']}")
    srv = r.get("server")
    if srv:
        print(f"Server CPU {srv['cpu_ms_per_request']} ms per request.")
    print()
    print("| class | queries | requests | hits/page | p50 ms | p95 ms | p99 ms | max ms | p95 < 50 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = [(k["class"], k["queries"], k["requests"], k["hits_per_page"], k["latency_ms"]) for k in r["classes"]]
    rows.append(("**all**", r["queries"], r["requests"], "", r["latency_ms"]))
    for name, q, n, hits, l in rows:
        if not l.get("n"):
            print(f"| {name} | {q} | {n} | {hits} | - | - | - | - | - |")
            continue
        ok = "yes" if l["p95"] < 50 else "**no**"
        print(f"| {name} | {q} | {n:,} | {hits} | {l['p50']} | {l['p95']} | {l['p99']} | {l['max']} | {ok} |")
    print()
    slow = sorted((p for p in r["per_query"] if p["latency_ms"].get("n")),
                  key=lambda p: -p["latency_ms"]["p95"])[:5]
    print("Slowest queries by p95: " + ", ".join(
        f"`{p['q']}`{' in ' + p['room'] if p.get('room') else ''} {p['latency_ms']['p95']} ms"
        for p in slow) + ".")
    print()

table("Latency: default mix, 1 client", runs["latency"])
table(f"Throughput: default mix, {runs['throughput']['concurrency']} clients", runs["throughput"])
table("Adversarial queries, 1 client", runs["adversarial"])

counted = runs["latency"]["check"]["counted"]
print("Seeded counts checked: " + ", ".join(
    f"{c['q']}{'@' + c['room'].split(':', 1)[1] if c.get('room') else ''} {c['found']}/{c['seeded']}"
    for c in counted))
PY

# The summaries into bench/results/ (committed; `make bench-report`).
bench/report.sh collect "$OUT" search-latency search-throughput search-adversarial

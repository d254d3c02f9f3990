#!/usr/bin/env bash
# Donations benchmark (issues 5 and 7): donation storms against onair with
# SQLite, onair-bench donate, exact totals, then `onair admin check-ledger`.
# Prints a Markdown table.
#
# What runs, each row on a fresh server (temporary data dir, cheap argon2
# so that signing up 1,000 users takes seconds, --log-level warn):
#   issue      the issue's benchmark: 10,000 donations across 1,000 users to
#              10 streamers, all 10,000 in flight at once (10,000 connections)
#   c1000      the same 10,000 donations over 1,000 connections
#   c100       the same over 100 connections
#   sustained  100,000 donations from the same 1,000 users over 1,000
#              connections (a longer window, steadier figures)
#   over       one user fires 1,000 donations of 100 at once with 50,050
#              points: exactly 500 may succeed
# Each storm is preceded (not timed) by signup, login and a test-provider
# charge of every user; after it every balance is read back and compared
# with the 201s, then the server is stopped and check-ledger runs on its
# data dir. A check that fails fails the script (exit 1), loudly.
#
#   bench/wallet.sh                 every row (about a minute)
#   ROWS="issue over" bench/wallet.sh
#
# Env: ROWS, ONAIR_BIN, ONAIR_BENCH, BENCH_OUT (JSON summaries).
# Loopback only; every process it starts is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/common.sh

ROWS=${ROWS:-"issue c1000 c100 sustained over"}
BIN=${ONAIR_BIN:-build/onair}
BENCH=${ONAIR_BENCH:-build/onair-bench}
OUT=${BENCH_OUT:-build/bench}

for b in "$BIN" "$BENCH"; do
  [ -x "$b" ] || { echo "bench/wallet.sh: $b is missing: run 'make build' first" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/onair-bench-wallet.XXXXXX)
BENCH_LOG_DIR=$TMP
trap 'bench_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"

FAILED=0

# Args of onair-bench donate for a row.
row_args() {
  case "$1" in
  issue) echo "--users 1000 --streamers 10 --donations 10000 --concurrency 10000" ;;
  c1000) echo "--users 1000 --streamers 10 --donations 10000 --concurrency 1000" ;;
  c100) echo "--users 1000 --streamers 10 --donations 10000 --concurrency 100" ;;
  sustained) echo "--users 1000 --streamers 10 --donations 100000 --concurrency 1000" ;;
  over) echo "--over --donations 1000 --amount 100 --charge 50050" ;;
  *)
    echo "bench/wallet.sh: unknown row '$1' (known: issue c1000 c100 sustained over)" >&2
    exit 2
    ;;
  esac
}

# One row: fresh server, the storm, stop, check-ledger.
run_row() {
  local name=$1 http data pid args
  args=$(row_args "$name")
  http=$(free_port)
  data=$TMP/data-$name
  mkdir -p "$data"
  bench_spawn "onair-$name" "$BIN" --argon2-ops 1 --argon2-mem-kib 64 --log-level warn \
    --data "$data" --http "127.0.0.1:$http" --rtmp 127.0.0.1:0
  pid=$BENCH_LAST_PID
  wait_http "http://127.0.0.1:$http/healthz"
  echo "bench/wallet.sh: $name: onair-bench donate $args" >&2
  # shellcheck disable=SC2086
  if ! "$BENCH" donate --url "http://127.0.0.1:$http" --server-pid "$pid" --duration 120 \
    --json --quiet $args >"$OUT/wallet-$name.json" 2>"$TMP/$name.err"; then
    echo "bench/wallet.sh: $name: onair-bench donate FAILED:" >&2
    tail -5 "$TMP/$name.err" >&2
    FAILED=1
  fi
  bench_stop_pid "$pid"
  if "$BIN" admin check-ledger --data "$data" >"$OUT/wallet-$name.ledger" 2>&1; then
    echo "bench/wallet.sh: $name: $(tail -1 "$OUT/wallet-$name.ledger")" >&2
  else
    echo "bench/wallet.sh: $name: CHECK-LEDGER FAILED (exit non-zero):" >&2
    cat "$OUT/wallet-$name.ledger" >&2
    echo "FAILED" >>"$OUT/wallet-$name.ledger"
    FAILED=1
  fi
}

echo "bench/wallet.sh: rows: $ROWS; $(nproc) cores shared by onair and onair-bench" >&2
for r in $ROWS; do
  rm -f "$OUT/wallet-$r.json" "$OUT/wallet-$r.ledger"
  run_row "$r"
done
bench_cleanup

# ---- the report ----
python3 - "$OUT" "$ROWS" <<'PY' || FAILED=1
import json, os, sys
out, rows = sys.argv[1], sys.argv[2].split()
bad = False
print("| row | users -> streamers | donations | in flight | donations/s | p50 / p90 / p99 / max ms "
      "| 201 / 409 / other | exact totals | check-ledger | server CPU µs per donation "
      "| server CPU | server RSS | tool CPU |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    p = "%s/wallet-%s.json" % (out, r)
    led = open("%s/wallet-%s.ledger" % (out, r)).read().strip().splitlines()
    led_ok = bool(led) and led[-1] == "ledger ok"
    if not os.path.exists(p) or not os.path.getsize(p):
        print("| %s | (no summary) | | | | | | | %s | | | | |" % (r, "ok" if led_ok else "**FAILED**"))
        bad = True
        continue
    s = json.load(open(p))
    res, l, t, sv = s["results"], s["latency_ms"], s["totals"], s.get("server", {})
    exact = t["exact"] and (t["over"]["exact"] if "over" in t else True)
    if "over" in t:
        exact_txt = "%s (%d of %d allowed by %d points)" % (
            "yes" if exact else "**NO**", t["over"]["succeeded"], t["over"]["allowed"],
            t["over"]["balance_before"])
    else:
        exact_txt = "yes (%d accounts)" % t["accounts_checked"] if exact else \
            "**NO**: %s" % t.get("first_wrong", s.get("first_error", "?"))
    bad = bad or not exact or not led_ok
    lat = " / ".join("%.1f" % l[k] for k in ("p50", "p90", "p99", "max")) if l.get("n") else "-"
    print("| %s | %d -> %d | %d | %d | %s | %s | %d / %d / %d | %s | %s | %s | %s | %s | %s |" % (
        r, s["users"], s["streamers"], s["donations"], s["concurrency"],
        "{:,.0f}".format(s["donations_per_s"]), lat, res["created"], res["insufficient_funds"],
        res["other"] + res["unknown"], exact_txt, "ok" if led_ok else "**FAILED**",
        "%.0f" % sv["cpu_us_per_donation"] if "cpu_us_per_donation" in sv else "-",
        "%.0f%%" % sv["cpu_pct"] if sv else "-",
        "%.1f MiB" % (sv["rss_kib"] / 1024) if sv else "-",
        "%.0f%%" % s["tool"]["storm_cpu_pct"]))
sys.exit(1 if bad else 0)
PY
# The summaries into bench/results/ (committed; `make bench-report`).
# shellcheck disable=SC2046
bench/report.sh collect "$OUT" $(for r in $ROWS; do echo "wallet-$r"; done)
if [ "$FAILED" != 0 ]; then
  echo "bench/wallet.sh: FAILED: a check above did not hold" >&2
  exit 1
fi

#!/usr/bin/env bash
# HTTP throughput of onair with wrk: GET /healthz and GET /api/channels
# (20 channels in the store), with 1 worker and with one per core.
# Prints a Markdown table; also records server CPU seconds per 1000
# requests from /proc/<pid>/stat. Loopback only, bounded by DURATION.
#
#   bench/http.sh [DURATION_SECONDS]     (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
BIN=${ONAIR_BIN:-build/onair}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

run_case() { # workers path
  local workers=$1 path=$2 port data pid
  port=$(free_port)
  data=$(mktemp -d)
  "$BIN" --http "127.0.0.1:$port" --rtmp 127.0.0.1:0 --data "$data" --workers "$workers" \
    --log-level warn --argon2-ops 1 --argon2-mem-kib 64 >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  for i in $(seq 20); do
    curl -sf -X POST "http://127.0.0.1:$port/api/auth/signup" -H 'Content-Type: application/json' \
      -d "{\"username\":\"streamer$i\",\"password\":\"password$i$i\"}" >/dev/null
  done
  local t0 t1 out rps reqs
  t0=$(cpu_ticks $pid)
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port$path")
  t1=$(cpu_ticks $pid)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  rm -rf "$data"
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  local hz; hz=$(getconf CLK_TCK)
  cpu_ms_per_k=$(python3 -c "print(f'{($t1-$t0)/$hz*1000/max($reqs,1)*1000:.1f}')")
  echo "| \`GET $path\` | $workers | $rps | $p50 | $p99 | $cpu_ms_per_k |"
}

echo "wrk -t$THREADS -c$CONNS -d${DURATION}s, $(nproc) cores shared by server and wrk"
echo
echo "| request | workers | requests/s | p50 | p99 | server CPU ms per 1000 requests |"
echo "| --- | --- | --- | --- | --- | --- |"
for path in /healthz /api/channels; do
  run_case 1 "$path"
  run_case "$(nproc)" "$path"
done

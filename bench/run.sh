#!/usr/bin/env bash
# The benchmark suite (`make bench`): runs every scenario, or the one named.
#
#   bench/run.sh            all scenarios
#   bench/run.sh video      live video: onair vs nginx-rtmp (bench/video.sh)
#   bench/run.sh chat       live chat: onair vs a Socket.IO server (bench/chat.sh)
#   bench/run.sh wallet     donation storms with exact totals and check-ledger (bench/wallet.sh)
#   bench/run.sh search     chat search over 10 million seeded messages (bench/search.sh)
#   bench/run.sh http       HTTP throughput with wrk (bench/http.sh)
#
# Each scenario script starts its own servers on free loopback ports and
# stops them when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIOS="video chat wallet search"

run() {
  case "$1" in
  video) bench/video.sh ;;
  chat) bench/chat.sh ;;
  wallet) bench/wallet.sh ;;
  search) bench/search.sh ;;
  http) bench/http.sh ;;
  *)
    echo "bench/run.sh: unknown scenario '$1' (known: $SCENARIOS http)" >&2
    exit 2
    ;;
  esac
}

if [ $# -gt 1 ]; then
  echo "usage: bench/run.sh [scenario]" >&2
  exit 2
fi
if [ $# -eq 1 ]; then
  run "$1"
else
  for s in $SCENARIOS; do run "$s"; done
fi

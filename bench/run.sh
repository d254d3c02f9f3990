#!/usr/bin/env bash
# The benchmark suite (`make bench`): runs every scenario, or the one named.
#
#   bench/run.sh            all scenarios
#   bench/run.sh video      live video: onair vs nginx-rtmp (bench/video.sh)
#   bench/run.sh http       HTTP throughput with wrk (bench/http.sh)
#
# Each scenario script starts its own servers on free loopback ports and
# stops them when it ends. The chat scenarios (issue 7) join the list here.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIOS="video"

run() {
  case "$1" in
  video) bench/video.sh ;;
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

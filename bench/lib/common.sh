# shellcheck shell=bash
# Shared helpers for the bench/ scripts (sourced, not run).
#
# Every process a script starts goes through bench_spawn, which records its
# PID; bench_cleanup (run it from an EXIT trap) stops exactly those PIDs and
# nothing else. Targets are loopback only.

BENCH_PIDS=()

# A TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
  python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# Runs "$@" in the background, stdout to $BENCH_LOG_DIR/<name>.log and
# stderr to <name>.err; sets BENCH_LAST_PID. Usage: bench_spawn NAME CMD ARGS...
bench_spawn() {
  local name=$1; shift
  "$@" >"$BENCH_LOG_DIR/$name.log" 2>"$BENCH_LOG_DIR/$name.err" &
  BENCH_LAST_PID=$!
  BENCH_PIDS+=("$BENCH_LAST_PID")
}

# Stops one PID we started (TERM, then KILL after 10 s) and reaps it.
bench_stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do bench_stop_pid "$pid"; done
  BENCH_PIDS=()
}

# Waits up to 10 s for an HTTP URL to answer (any status).
wait_http() {
  for _ in $(seq 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "bench: $1 did not answer" >&2
  return 1
}

# A process and its children (nginx: master + workers), one PID per line.
proc_tree() {
  local pid=$1
  echo "$pid"
  cat /proc/"$pid"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true
}

# CPU ticks summed over PIDs: utime + stime, plus cutime + cstime (the
# children a process has reaped, e.g. short-lived ffmpeg helpers). Sample a
# process tree (proc_tree) at both ends of a window: a child alive at the
# start and reaped before the end is then counted once, by its parent.
cpu_ticks() {
  local total=0 pid t
  for pid in "$@"; do
    t=$(awk '{print $14+$15+$16+$17}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}

# VmRSS in KiB summed over PIDs.
rss_kib() {
  local total=0 pid r
  for pid in "$@"; do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${r:-0}))
  done
  echo "$total"
}

#!/usr/bin/env bash
# Live video benchmark (issue 3): onair vs nginx-rtmp, side by side.
#
# For each size N: N RTMP publishers (onair-bench, OBS-like, looping a 10 s
# 720p 2.5 Mbit/s clip at real-time pace) and VIEWERS viewers per stream,
# first against onair with LL-HLS viewers (parts + blocking reload), then
# against onair with plain HLS viewers (the same request pattern as the
# next run), then against nginx with libnginx-mod-rtmp (plain HLS viewers
# polling every target duration / 2; 1 s fragments). Each server is started fresh for
# each size and stopped after it. Server CPU (utime + stime from
# /proc/PID/stat of the server and its child processes: nginx's workers,
# onair's ffmpeg helpers) is measured over the steady part
# of the run (from WARM s after the start to 1 s before the end); RSS
# (VmRSS) at the end of that window. Prints one Markdown table per size.
#
#   bench/video.sh                      N = 1 10 50 200, 25 s each
#   SIZES="1 10" DURATION=15 bench/video.sh     a quick run
#
# Env: SIZES, DURATION (s per run), VIEWERS (per stream), WARM (s),
# ONAIR_ARGS (extra onair flags), ONAIR_BIN, ONAIR_BENCH, BENCH_OUT (where
# the JSON summaries are kept).
# Loopback only; every process it starts is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/common.sh

SIZES=${SIZES:-"1 10 50 200"}
# Steady state: onair keeps about 26 s of media per stream (the window plus
# retired segments), so its memory grows for the first ~30 s of a run and
# the kernel's first touch of new pages (much dearer on a VM whose memory
# was not used lately) would count as per-stream CPU. CPU is measured from
# WARM s on, once that memory is being reused.
DURATION=${DURATION:-60}
VIEWERS=${VIEWERS:-2}
WARM=${WARM:-32}
# Like for like with nginx-rtmp (RTMP in, HLS out): no thumbnails (onair's
# default runs an ffmpeg child per live channel every 15 s). Set ONAIR_ARGS=
# to measure the defaults; helper processes count as server CPU either way.
ONAIR_ARGS=${ONAIR_ARGS-"--thumbnail-interval-ms 0"}
# Also run onair with the same plain-HLS viewers as nginx-rtmp (like-for-like
# request load); PLAIN=0 skips that run.
PLAIN=${PLAIN:-1}
BIN=${ONAIR_BIN:-build/onair}
BENCH=${ONAIR_BENCH:-build/onair-bench}
OUT=${BENCH_OUT:-build/bench}
HZ=$(getconf CLK_TCK)

for b in "$BIN" "$BENCH"; do
  [ -x "$b" ] || { echo "bench/video.sh: $b is missing: run 'make build' first" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "bench/video.sh: ffmpeg is missing (apt-get install ffmpeg)" >&2; exit 1; }
if [ "$DURATION" -lt $((WARM + 5)) ]; then
  echo "bench/video.sh: DURATION must be at least WARM + 5 = $((WARM + 5)) s" >&2
  exit 1
fi

# nginx with the RTMP module, from Debian, only if missing.
RTMP_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
if ! command -v nginx >/dev/null || [ ! -f "$RTMP_MODULE" ]; then
  echo "bench/video.sh: installing nginx and libnginx-mod-rtmp" >&2
  ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nginx libnginx-mod-rtmp >/dev/null
fi
if [ ! -f "$RTMP_MODULE" ]; then
  RTMP_MODULE=$(dpkg -L libnginx-mod-rtmp | grep 'ngx_rtmp_module\.so$' | head -1)
fi

TMP=$(mktemp -d /tmp/onair-bench-video.XXXXXX)
chmod 711 "$TMP" # nginx's workers run as nobody and must reach their directory
BENCH_LOG_DIR=$TMP
trap 'bench_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"

# The clip: like OBS's x264 veryfast CBR 2.5 Mbit/s, 2 s key frames, B-frames
# (so composition offsets), AAC-LC 160 kbit/s 48 kHz stereo.
CLIP=$TMP/clip.flv
ffmpeg -hide_banner -loglevel error -nostdin \
  -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t 10 -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p \
  -b:v 2500k -minrate 2500k -maxrate 2500k -bufsize 2500k \
  -x264-params nal-hrd=cbr:keyint=60:min-keyint=60:scenecut=0 \
  -c:a aac -b:a 160k -ar 48000 -ac 2 -f flv "$CLIP"

# Users, channels and stream keys on a fresh onair: "KEY CHANNEL" lines.
make_keys() { # base_url n out_file
  python3 - "$1" "$2" >"$3" <<'PY'
import json, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)
for i in range(n):
    user, pw = "bench%d" % i, "password-%d" % i
    call("POST", "/api/auth/signup", {"username": user, "password": pw})
    tok = call("POST", "/api/auth/login", {"username": user, "password": pw})["access_token"]
    print(call("GET", "/api/me/stream-key", token=tok)["stream_key"], user)
PY
}

# Runs onair-bench against a server while sampling its CPU and RSS.
# Usage: measure NAME PIDS_FUNC -- BENCH_ARGS...   Sets CPU_PCT and RSS_KIB.
measure() {
  local name=$1 pids_fn=$2; shift 3
  bench_spawn "bench-$name" "$BENCH" video --duration "$DURATION" --json --quiet "$@"
  local bench_pid=$BENCH_LAST_PID
  sleep "$WARM"
  local pids t0 t1 w0 w1
  pids=$($pids_fn)
  # shellcheck disable=SC2086
  t0=$(cpu_ticks $pids); w0=$(date +%s.%N)
  sleep $((DURATION - WARM - 1))
  pids=$($pids_fn)
  # shellcheck disable=SC2086
  t1=$(cpu_ticks $pids); w1=$(date +%s.%N)
  # shellcheck disable=SC2086
  RSS_KIB=$(rss_kib $pids)
  DISK_KIB=0
  # (fragments come and go while du runs: its complaints about them are noise)
  [ -z "${DISK_DIR:-}" ] || DISK_KIB=$( (du -sk "$DISK_DIR" 2>/dev/null || true) | cut -f1)
  CPU_PCT=$(python3 -c "print(100*($t1-$t0)/$HZ/($w1-$w0))")
  wait "$bench_pid" || { echo "bench/video.sh: onair-bench failed:" >&2; tail -5 "$TMP/bench-$name.err" >&2; return 1; }
  cp "$TMP/bench-$name.log" "$OUT/video-$name.json"
  echo "$CPU_PCT $RSS_KIB $DISK_KIB" >"$OUT/video-$name.proc"
}

onair_pids() { proc_tree "$ONAIR_PID"; }
nginx_pids() { proc_tree "$NGINX_PID"; }

run_onair() { # n mode
  local n=$1 mode=$2 http rtmp data
  http=$(free_port); rtmp=$(free_port); data=$TMP/onair-$mode-$n
  mkdir -p "$data"
  # shellcheck disable=SC2086
  bench_spawn "onair-$mode-$n" "$BIN" --argon2-ops 1 --argon2-mem-kib 64 --log-level warn \
    --data "$data" --http "127.0.0.1:$http" --rtmp "127.0.0.1:$rtmp" $ONAIR_ARGS
  ONAIR_PID=$BENCH_LAST_PID
  wait_http "http://127.0.0.1:$http/healthz"
  make_keys "http://127.0.0.1:$http" "$n" "$TMP/keys-$n"
  DISK_DIR='' measure "onair-$mode-$n" onair_pids -- --streams "$n" --keys "$TMP/keys-$n" \
    --flv "$CLIP" --rtmp "rtmp://127.0.0.1:$rtmp/live" --hls "http://127.0.0.1:$http/hls" \
    --viewers-per-stream "$VIEWERS" --mode "$mode"
  bench_stop_pid "$ONAIR_PID"
}

run_nginx() { # n
  local n=$1 http rtmp dir
  http=$(free_port); rtmp=$(free_port); dir=$TMP/nginx-$n
  mkdir -p "$dir/hls" "$dir/logs"
  cat >"$dir/nginx.conf" <<EOF
load_module $RTMP_MODULE;
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 8192; }
rtmp {
  server {
    listen 127.0.0.1:$rtmp;
    application live {
      live on;
      hls on;
      hls_path $dir/hls;
      hls_fragment 1s;
      hls_playlist_length 6s;
    }
  }
}
http {
  access_log off;
  client_body_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$http;
    location /hls {
      root $dir;
      log_not_found off;
      types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
      add_header Cache-Control no-cache;
    }
  }
}
EOF
  bench_spawn "nginx-$n" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
  NGINX_PID=$BENCH_LAST_PID
  wait_http "http://127.0.0.1:$http/"
  DISK_DIR=$dir/hls measure "nginx-$n" nginx_pids -- --streams "$n" --key-prefix "s" --flv "$CLIP" \
    --rtmp "rtmp://127.0.0.1:$rtmp/live" --hls "http://127.0.0.1:$http/hls" \
    --viewers-per-stream "$VIEWERS" --mode plain --playlist '{channel}.m3u8'
  bench_stop_pid "$NGINX_PID"
}

table() { # n run-names...
  python3 - "$OUT" "$VIEWERS" "$DURATION" "$@" <<'PY'
import json, sys
out, viewers, duration, n, names = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
titles = {"onair-ll": "onair, LL-HLS viewers", "onair-plain": "onair, plain HLS viewers",
          "nginx": "nginx-rtmp, HLS viewers"}
runs, cpu, rss, disk = [], [], [], []
for name in names:
    runs.append(json.load(open("%s/video-%s-%d.json" % (out, name, n))))
    c, r, d = open("%s/video-%s-%d.proc" % (out, name, n)).read().split()
    cpu.append(float(c)); rss.append(int(r)); disk.append(int(d))
def ms(o, a, b):
    return "%.0f / %.0f ms" % (o[a], o[b]) if o.get("n") else "-"
rows = [
    ("server CPU, % of one core per stream", ["%.2f" % (c / n) for c in cpu]),
    ("server CPU, % of one core in all", ["%.1f" % c for c in cpu]),
    ("server RSS", ["%.0f MiB" % (r / 1024) for r in rss]),
    ("HLS files on disk (page cache, not in RSS)",
     ["%.0f MiB" % (d / 1024) if nm == "nginx" else "-" for nm, d in zip(names, disk)]),
    ("publishers live until the end",
     ["%d / %d" % (r["publish"]["live_until_end"], n) for r in runs]),
    ("every playlist advancing (max gap)",
     ["%s (%.1f s)" % ("yes" if r["hls"]["all_advancing"] else "no", r["hls"]["max_gap_ms"] / 1000)
      for r in runs]),
    ("live-edge delay p50 / p95", [ms(r["hls"]["edge_delay_ms"], "p50", "p95") for r in runs]),
    ("time to first playable playlist p50 / max",
     [ms(r["hls"]["first_playable_ms"], "p50", "max") for r in runs]),
    ("viewer requests / errors / lost items",
     ["%d / %d / %d" % (r["hls"]["playlist_requests"] + r["hls"]["parts"] + r["hls"]["segments"],
                        r["hls"]["errors"], r["hls"]["lost"]) for r in runs]),
    ("onair-bench CPU, % of one core", ["%.0f" % r["tool"]["cpu_pct"] for r in runs]),
]
if "nginx" in names:
    ng = cpu[names.index("nginx")]
    rows.append(("**nginx-rtmp CPU / this CPU**",
                 ["**%.2f**" % (ng / c) if c > 0 and nm != "nginx" else "" for nm, c in zip(names, cpu)]))
print("### %d stream%s (%s viewer%s per stream, %s s)\n" % (
    n, "s" if n > 1 else "", viewers, "s" if viewers != "1" else "", duration))
print("| | " + " | ".join(titles[nm] for nm in names) + " |")
print("| --- " * (len(names) + 1) + "|")
for label, vals in rows:
    print("| %s | %s |" % (label, " | ".join(vals)))
print()
PY
}

echo "onair-bench video: sizes $SIZES, $DURATION s each, $VIEWERS viewer(s) per stream," \
  "CPU over [$WARM s, $((DURATION - 1)) s]; onair flags: ${ONAIR_ARGS:-none};" \
  "$(nproc) cores shared by servers and tool" >&2
for n in $SIZES; do
  names="onair-ll"
  echo "bench/video.sh: $n stream(s): onair, LL-HLS viewers" >&2
  run_onair "$n" ll
  if [ "$PLAIN" = 1 ]; then
    echo "bench/video.sh: $n stream(s): onair, plain HLS viewers" >&2
    run_onair "$n" plain
    names="$names onair-plain"
  fi
  echo "bench/video.sh: $n stream(s): nginx-rtmp" >&2
  run_nginx "$n"
  # shellcheck disable=SC2086
  table "$n" $names nginx
done

# The summaries of this run's sizes, with the server figures, into
# bench/results/ (committed; the plots of `make bench-report` are drawn from there).
# shellcheck disable=SC2046
bench/report.sh collect "$OUT" $(for n in $SIZES; do echo "video-*-$n"; done)

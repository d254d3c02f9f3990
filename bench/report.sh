#!/usr/bin/env bash
# The benchmark report's plots (`make bench-report`): gnuplot SVGs in
# docs/plots/ from the JSON summaries committed in bench/results/. Runs no
# benchmark; the same results give the same bytes (no dates in the SVGs).
#
#   bench/report.sh                          regenerate docs/plots/*.svg
#   bench/report.sh collect OUT PATTERN...   (for the bench scripts) copy the
#       summaries OUT/PATTERN.json of a run into bench/results/, replacing
#       what PATTERN matched there before; a video run's .proc figures
#       (server CPU %, RSS KiB, HLS files KiB) go in as its "server" object.
#
# Plots (python3 turns the JSON into .dat tables, bench/plots/*.gp draw):
#   chat-deliveries.svg  chat fan-out, best lossless deliveries/s per room
#                        size: onair vs Socket.IO (rooms of 1,000 and 10,000)
#   chat-latency.svg     send-to-receive p50/p90/p99 at each fan-out step
#   video-cpu.svg        server CPU per stream vs streams: onair vs nginx-rtmp
set -euo pipefail
cd "$(dirname "$0")/.."

RESULTS=bench/results

if [ "${1:-}" = collect ]; then
  [ $# -ge 3 ] || { echo "usage: bench/report.sh collect OUT PATTERN..." >&2; exit 2; }
  out=$2; shift 2
  mkdir -p "$RESULTS"
  python3 - "$out" "$RESULTS" "$@" <<'PY'
import glob, json, os, shutil, sys
out, results, patterns = sys.argv[1], sys.argv[2], sys.argv[3:]
for pat in patterns:
    for old in glob.glob(os.path.join(results, pat + ".json")):
        os.remove(old)
    for src in sorted(glob.glob(os.path.join(out, pat + ".json"))):
        dst = os.path.join(results, os.path.basename(src))
        proc = src[:-5] + ".proc"
        if not os.path.exists(proc):
            shutil.copyfile(src, dst)
        else:
            with open(src) as f:
                s = json.load(f)
            cpu, rss, disk = open(proc).read().split()[:3]
            s["server"] = {"cpu_pct": round(float(cpu), 3), "rss_kib": int(rss),
                           "disk_kib": int(disk)}
            with open(dst, "w") as f:
                json.dump(s, f, separators=(",", ":"), ensure_ascii=False)
                f.write("\n")
        print("bench/report.sh: %s -> %s" % (src, dst), file=sys.stderr)
PY
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: bench/report.sh [collect OUT PATTERN...]" >&2; exit 2; }

command -v gnuplot >/dev/null || {
  echo "bench/report.sh: gnuplot is missing (scripts/deps.sh bench, or apt-get install gnuplot-nox)" >&2
  exit 1
}
TMP=$(mktemp -d /tmp/onair-bench-report.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p docs/plots

# JSON -> .dat (whitespace-separated, '#' comments, one block per series).
python3 - "$RESULTS" "$TMP" <<'PY'
import glob, json, os, re, sys
results, tmp = sys.argv[1], sys.argv[2]

def load(path):
    with open(path) as f:
        return json.load(f)

def lossless(s):
    d, l = s["deliveries"], s["latency_ms"]
    return (d["lost"] == 0 and d["duplicates"] == 0 and d["delivered"] == d["expected"]
            and s.get("unexpected_closes", 0) == 0 and l.get("n", 0) > 0 and l["p99"] < 1000)

# chat-fanout-<target>-<subscribers>-<total messages/s>.json
steps = {}
for p in glob.glob(os.path.join(results, "chat-fanout-*.json")):
    m = re.match(r"chat-fanout-(onair|socketio)-(\d+)-(\d+)\.json$", os.path.basename(p))
    if m:
        steps.setdefault((m[1], int(m[2])), []).append((int(m[3]), load(p)))
targets = ("onair", "socketio")
sizes = sorted({subs for _, subs in steps})

# Deliveries/s: the best lossless step of each ladder (0 when none was).
with open(os.path.join(tmp, "chat-deliveries.dat"), "w") as f:
    f.write("# subscribers onair_deliveries_per_s socketio_deliveries_per_s\n")
    for subs in sizes:
        best = []
        for t in targets:
            ok = [s["deliveries"]["per_s"] for _, s in steps.get((t, subs), []) if lossless(s)]
            best.append(max(ok) if ok else 0)
        f.write('"room of %s" %d %.0f %.0f\n' % (format(subs, ","), subs, best[0], best[1]))

# Latency at each step: one block per (target, subscribers), in rate order.
with open(os.path.join(tmp, "chat-latency.dat"), "w") as f:
    for t in targets:
        for subs in sizes:
            f.write("# %s %d: msgs_per_s deliveries_per_s p50 p90 p99 lossless\n" % (t, subs))
            for rate, s in sorted(steps.get((t, subs), []), key=lambda x: x[0]):
                l = s["latency_ms"]
                if l.get("n"):
                    f.write("%d %.0f %.1f %.1f %.1f %d\n" % (rate, s["deliveries"]["per_s"], l["p50"],
                                                           l["p90"], l["p99"], lossless(s)))
            f.write("\n\n")

# Video: server CPU per stream (% of one core) at each size; the onair run
# with LL-HLS viewers and nginx-rtmp with plain HLS viewers.
video = {}
for p in glob.glob(os.path.join(results, "video-*.json")):
    m = re.match(r"video-(onair-ll|onair-plain|nginx)-(\d+)\.json$", os.path.basename(p))
    s = load(p)
    if m and "server" in s:
        video.setdefault(m[1], {})[int(m[2])] = s["server"]["cpu_pct"] / int(m[2])
with open(os.path.join(tmp, "video-cpu.dat"), "w") as f:
    for name in ("onair-ll", "nginx"):
        f.write("# %s: streams cpu_pct_per_stream\n" % name)
        for n in sorted(video.get(name, {})):
            f.write("%d %.4f\n" % (n, video[name][n]))
        f.write("\n\n")
PY

for gp in bench/plots/*.gp; do
  name=$(basename "$gp" .gp)
  gnuplot -e "dat='$TMP/$name.dat'; out='docs/plots/$name.svg'" "$gp"
  echo "bench/report.sh: docs/plots/$name.svg" >&2
done

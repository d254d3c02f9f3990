# Live video: server CPU per stream (% of one core, steady state as
# bench/video.sh measures it) against the number of streams, onair (LL-HLS
# viewers) vs nginx-rtmp (HLS viewers). dat blocks (bench/report.sh):
# 0 onair, 1 nginx-rtmp; columns: streams, % of one core per stream.
load "bench/plots/style.gpi"
set title "Live video: server CPU per stream vs streams (2 viewers per stream)"
set logscale x
set xrange [*:*]
set xtics ("1" 1, "10" 10, "50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000)
set offsets graph 0.1, graph 0.1, graph 0.1, 0
set yrange [0:*]
set xlabel "streams (log)"
set ylabel "server CPU per stream, % of one core"
set key top right
plot dat index 0 using 1:2 with linespoints lc rgb onair lw 2 pt 7 title "onair", \
     '' index 0 using 1:2:(sprintf("%.2f", $2)) with labels offset 0,1 notitle, \
     '' index 1 using 1:2 with linespoints lc rgb peer lw 2 pt 5 title "nginx-rtmp", \
     '' index 1 using 1:2:(sprintf("%.2f", $2)) with labels offset 0,1 notitle

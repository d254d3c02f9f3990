# Chat fan-out latency (send to receive) at each step of the ladders:
# p50/p90/p99 against the deliveries/s of the step, one panel per room size.
# dat blocks (bench/report.sh): 0 onair 1,000; 1 onair 10,000; 2 Socket.IO
# 1,000; 3 Socket.IO 10,000. Columns: msgs/s deliveries/s p50 p90 p99 lossless.
load "bench/plots/style.gpi"
set terminal svg size 960,440 fixed font "sans,12" background rgb "white"
set output out
set multiplot layout 1,2 title "Chat fan-out: send-to-receive latency vs load (each step of the ladder)"
set logscale xy
set format x "%.0s%c"
set xlabel "deliveries/s (log)"
set ylabel "latency, ms (log)"
set key bottom right maxrows 3 samplen 2 width -1
set yrange [1:20000]
set style line 1 lc rgb onair lw 2 pt 7 ps 0.6
set style line 2 lc rgb onair lw 2 pt 5 ps 0.6 dt 2
set style line 3 lc rgb onair lw 2 pt 9 ps 0.7 dt 3
set style line 4 lc rgb peer lw 2 pt 7 ps 0.6
set style line 5 lc rgb peer lw 2 pt 5 ps 0.6 dt 2
set style line 6 lc rgb peer lw 2 pt 9 ps 0.7 dt 3
do for [room = 0:1] {
  set title (room == 0 ? "room of 1,000" : "room of 10,000")
  plot dat index room using 2:3 with linespoints ls 1 title "onair p50", \
       '' index room using 2:4 with linespoints ls 2 title "onair p90", \
       '' index room using 2:5 with linespoints ls 3 title "onair p99", \
       '' index room + 2 using 2:3 with linespoints ls 4 title "Socket.IO p50", \
       '' index room + 2 using 2:4 with linespoints ls 5 title "Socket.IO p90", \
       '' index room + 2 using 2:5 with linespoints ls 6 title "Socket.IO p99"
}
unset multiplot

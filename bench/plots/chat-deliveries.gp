# Chat fan-out into one room: the most deliveries/s a ladder step reached
# with nothing lost or duplicated and p99 under 1 s, onair vs Socket.IO.
# dat: "label" subscribers onair socketio (bench/report.sh).
load "bench/plots/style.gpi"
set title "Chat fan-out into one room: deliveries/s (best lossless step)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 1
set logscale y
set yrange [1000:*]
set format y "%.0s%c"
set ylabel "deliveries/s (log)"
set xlabel "subscribers in the room"
set key top right
set grid noxtics ytics
si(x) = x >= 1e6 ? sprintf("%.2f M", x / 1e6) : sprintf("%.0f k", x / 1e3)
plot dat using 3:xtic(1) title "onair" lc rgb onair, \
     '' using 4 title "Socket.IO" lc rgb peer, \
     '' using ($0 - 1.0/6):3:(si($3)) with labels offset 0,0.8 notitle, \
     '' using ($0 + 1.0/6):4:(si($4)) with labels offset 0,0.8 notitle

# bench/gnuplot/http_burst.gp — HTTP jobs (bench/http.sh): time until every
# run of a burst was recorded, against the number of jobs due at that
# instant, log-log.  One line per endpoint and cron.http_max_connections;
# each point is labelled with its burst's name.
#
# Set by bench/plot.sh: datadir (http-series-K.dat: "jobs ms name" lines,
# ms = commit of the last outcome - due instant), series (the Ks),
# title_K (a series' name), gpdir, out, subtitle.

load gpdir."/common.gp"

set title "HTTP jobs: a burst due at one instant, all recorded after (".subtitle.")"
set logscale xy 10
set format x "%g"
set format y "%g"
set xlabel "HTTP jobs due at the same instant (log scale)"
set ylabel "ms after the due instant until all were recorded (log scale)"
set xrange [50:20000]
set key top left

# the issue's target: 10 000 HTTP jobs recorded within 2 s
set arrow from 7000,2000 to 14000,2000 nohead dt 2 lc rgb "#555555"
set label "target 2 s" at 7000,2000 right offset -0.5,0 tc rgb "#555555"

file(k) = sprintf("%s/http-series-%s.dat", datadir, k)
plot for [i = 1:words(series)] file(word(series, i)) using 1:2 \
		with linespoints lw 2 pt 7 ps 1.3 lc i title value("title_".word(series, i)), \
	for [i = 1:words(series)] file(word(series, i)) using 1:2:3 \
		with labels left offset 1,-0.8 tc lt i notitle

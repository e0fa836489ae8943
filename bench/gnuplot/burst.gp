# bench/gnuplot/burst.gp — time until every run of a burst has finished,
# against the number of jobs due at that instant (bench/run.sh), log-log,
# one line per side.  A burst whose runs had not all finished when the
# benchmark stopped waiting is drawn as an open triangle at that bound.
#
# Set by bench/plot.sh: datadir (burst-SIDE.dat: "jobs ms complete done"
# lines; ms is max(end_time) - due instant, or the wait bound when
# complete = 0), sides, gpdir, out, subtitle.

load gpdir."/common.gp"

set title "Burst completion: jobs due at one instant, all finished after (".subtitle.")"
set logscale xy 10
set format x "%g"
set format y "%g"
set xlabel "jobs due at the same instant (log scale)"
set ylabel "ms after the due instant until all finished (log scale)"
set xrange [0.7:15000]
set key top left

# the targets (issue 15): 100 jobs all finished in 50 ms, 1000 in 150 ms,
# 10 000 in 1 s; a short dashed mark at each
set arrow from 70,50 to 140,50 nohead dt 2 lc rgb "#555555"
set label "target 50 ms" at 140,50 left offset 0.5,0 tc rgb "#555555"
set arrow from 700,150 to 1400,150 nohead dt 2 lc rgb "#555555"
set label "target 150 ms" at 1400,150 left offset 0.5,0 tc rgb "#555555"
set arrow from 7000,1000 to 14000,1000 nohead dt 2 lc rgb "#555555"
set label "target 1 s" at 7000,1000 right offset -0.5,0 tc rgb "#555555"

file(s) = sprintf("%s/burst-%s.dat", datadir, s)
# the labels of unfinished bursts, one line apart when they share a bound
above(s) = s eq "pg_cron_libpq" ? 1 : s eq "pg_cron_bgw" ? -1 : 0
plot for [s in sides] file(s) using 1:($3 > 0 ? $2 : 1/0) \
		with linespoints lw 2 pt 7 ps 1.3 lc rgb color(s) title name(s), \
	for [s in sides] file(s) using 1:($3 > 0 ? 1/0 : $2) \
		with points pt 8 ps 2.5 lw 2 lc rgb color(s) notitle, \
	for [s in sides] file(s) using 1:($3 > 0 ? 1/0 : $2):(sprintf("%d of %d finished within %.0f s", $4, $1, $2 / 1000)) \
		with labels left offset 1.5,above(s) tc rgb color(s) notitle

# bench/gnuplot/lag.gp — start-lag distribution (bench/run.sh): one panel
# per burst size, the share of runs started within x ms of their due
# instant (empirical CDF), one line per side.
#
# Set by bench/plot.sh: datadir (cdf-SIDE-N.dat: "lag_ms fraction" lines),
# sizes ("1 100 1000 10000"), sides_N (the sides with samples for size N),
# count_SIDE_N (runs in that sample), gpdir, out, subtitle.

width = 1400
height = 1000
load gpdir."/common.gp"

# two panels a row
set multiplot layout (words(sizes) + 1) / 2, 2 title "Start lag: start_time - due instant, every run (".subtitle.")"
set logscale x 10
set format x "%g"
set xlabel "start lag, ms (log scale)"
set ylabel "share of runs started"
# room above 1 for the legend, clear of the curves
set yrange [0:1.3]
set ytics 0, 0.1, 1
set key top left

do for [n in sizes] {
	if (n eq "1") {
		set title "1 job due (cronext: a lone '1 seconds' job, every slot; pg_cron: one run per mode)"
	} else {
		set title sprintf("%s jobs due at the same instant", n)
	}
	plot for [s in value("sides_".n)] sprintf("%s/cdf-%s-%s.dat", datadir, s, n) \
		using 1:2 with steps lw 2 lc rgb color(s) \
		title sprintf("%s (%d runs)", name(s), value("count_".s."_".n))
}
unset multiplot

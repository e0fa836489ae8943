# bench/gnuplot/http_lag.gp — HTTP jobs (bench/http.sh): the share of a
# burst's runs whose request had started x ms after the due instant
# (empirical CDF of start_time - scheduled_for), one line per burst.
#
# Set by bench/plot.sh: datadir (http-cdf-NAME.dat: "lag_ms fraction"
# lines), bursts (the NAMEs), title_NAME (legend text), gpdir, out,
# subtitle.

width = 1400
load gpdir."/common.gp"

set title "HTTP jobs: start lag of every run of each burst (".subtitle.")"
set logscale x 10
set format x "%g"
set xlabel "start lag, ms (log scale)"
set ylabel "share of runs started"
set yrange [0:1.02]
set ytics 0.1
set key outside right top Left reverse

plot for [i = 1:words(bursts)] sprintf("%s/http-cdf-%s.dat", datadir, word(bursts, i)) \
	using 1:2 with steps lw 2 lc i title value("title_".word(bursts, i))

# bench/gnuplot/idle_cpu.gp — the scheduler's CPU while nothing is due,
# against the number of jobs registered (bench/run.sh): one group of bars
# per job count, one bar per side, each labelled with its value (a bar of
# 0 % is invisible; its label says 0).
#
# Set by bench/plot.sh: datadir (idle.dat: "jobs cronext pg_cron" lines,
# % of one core, "?" where a side was not measured), sides, window (the
# idle window, s), ymax (top of the y axis), gpdir, out, subtitle.

load gpdir."/common.gp"

set title sprintf("Idle scheduler CPU over a %s s window, jobs registered but not due (%s)", window, subtitle)
set ylabel "% of one core (schedstat)"
set xlabel "jobs registered"
set datafile missing "?"
set style fill solid 0.8 border -1
set boxwidth 0.34
set xrange [-0.6:2.6]
set yrange [0:ymax]
set xtics ("0" 0, "10 000" 1, "100 000" 2)
set key top left

# cronext's bar stands left of the group's middle, pg_cron's right
x(s) = $0 + (s eq "cronext" ? -0.18 : 0.18)
col(s) = s eq "cronext" ? 2 : 3
plot for [s in sides] datadir."/idle.dat" using (x(s)):(column(col(s))) \
		with boxes lc rgb color(s) title name(s), \
	for [s in sides] datadir."/idle.dat" using (x(s)):(column(col(s))):(sprintf("%.4f %%", column(col(s)))) \
		with labels offset 0,0.8 notitle

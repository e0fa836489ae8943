#!/bin/bash
#
# bench/plot.sh — the benchmark plots, drawn with gnuplot from saved results.
#
#   bash bench/plot.sh [RESULTS_DIR [PLOTS_DIR]]
#
# RESULTS_DIR (default bench/results) holds what bench/run.sh and
# bench/http.sh saved: run.txt and http.txt (the table, then a "# raw" line
# and the key=value figures) and run-lag-SIDE-N.txt / http-lag-NAME.txt (the
# start lag of every run, ms, one a line).  This script owns the PNG files
# it writes into PLOTS_DIR (default bench/plots):
#   lag.png        start-lag distribution, cronext vs pg_cron, per burst size
#   burst.png      time to finish a burst vs its size, cronext vs pg_cron
#   idle_cpu.png   idle scheduler CPU vs jobs registered, cronext vs pg_cron
#   http_burst.png HTTP jobs: time to record a burst vs its size
#   http_lag.png   HTTP jobs: start-lag distribution per burst
# A plot whose results are missing is skipped.  It only turns the results
# into small data files (in a temporary directory, removed on exit); the
# plots themselves are the gnuplot scripts in bench/gnuplot/.
# Needs gnuplot with the pngcairo terminal (Debian: gnuplot-nox; installed
# if missing when run as root).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
res="${1:-$here/results}"
plots="${2:-$here/plots}"

# as root, install what is missing (as the other benchmark scripts do)
if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	apt-get install -y gnuplot-nox >/dev/null 2>&1 ||
		{ apt-get update >/dev/null 2>&1 && apt-get install -y gnuplot-nox >/dev/null 2>&1; } || true
fi
command -v gnuplot >/dev/null || { echo "gnuplot is missing (apt-get install -y gnuplot-nox)" >&2; exit 1; }
[ -d "$res" ] || { echo "no results directory $res" >&2; exit 1; }
mkdir -p "$plots"
tmp="$(mktemp -d /tmp/cronext-plot.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

# value of key $2 among the key=value figures of results file $1 (the last
# one if it appears twice, as bench/lib.sh's get does), "" if none or "-"
val() {
	awk -v k="$2" '/^# raw$/ { raw = 1; next }
		raw && index($0, k "=") == 1 { v = substr($0, length(k) + 2) }
		END { if (v != "-") print v }' "$1"
}

# empirical CDF of a sample file (one value a line) into "x fraction"
# lines, starting at (first, 0) so that the steps rise at each sample;
# prints the sample's size (nothing is written for an empty sample)
cdf() {
	sort -g "$1" | awk -v out="$2" 'NF { x[++n] = ($1 > 0.01 ? $1 : 0.01) }
		END { if (n == 0) exit
			  printf "%s 0\n", x[1] > out
			  for (i = 1; i <= n; i++) printf "%s %.6f\n", x[i], i / n > out
			  print n }'
}

gp() {
	local script=$1
	shift
	gnuplot -e "gpdir='$here/gnuplot'; datadir='$tmp'" "$@" "$here/gnuplot/$script"
}

drawn=()

# ---------------------------------------------------------------- bench/run.sh

run="$res/run.txt"
if [ -f "$run" ]; then
	sub="$(val "$run" run.date), cronext $(val "$run" run.cronext_commit), $(val "$run" machine.nproc) CPUs"
	[ "$(val "$run" run.quick)" = 1 ] && sub="$sub, quick run"
	sizes="$(val "$run" run.burst_sizes)"
	sizes="${sizes:-1 100 1000}"
	sides="cronext pg_cron_libpq pg_cron_bgw"

	# (a) start-lag distribution: a panel per burst size with samples
	args=()
	panels=""
	for n in $sizes; do
		with=""
		for s in $sides; do
			[ -s "$res/run-lag-$s-$n.txt" ] || continue
			k=$(cdf "$res/run-lag-$s-$n.txt" "$tmp/cdf-$s-$n.dat")
			[ -n "$k" ] || continue
			with="$with $s"
			args+=(-e "count_${s}_$n=$k")
		done
		[ -n "$with" ] || continue
		panels="$panels $n"
		args+=(-e "sides_$n='${with# }'")
	done
	if [ -n "$panels" ]; then
		gp lag.gp -e "out='$plots/lag.png'; subtitle='$sub'; sizes='${panels# }'" "${args[@]}"
		drawn+=(lag.png)
	fi

	# (b) burst completion vs size: per side "jobs ms complete done"
	with=""
	for s in $sides; do
		for n in $sizes; do
			fin=$(val "$run" "$s.fin.$n")
			done_n=$(val "$run" "$s.done.$n")
			[ -n "$done_n" ] || continue
			if [ "$done_n" -ge "$n" ] && [ -n "$fin" ]; then
				echo "$n $fin 1 $done_n"
			else
				# not all finished: drawn at the wait bound
				echo "$n $(( $(val "$run" "$s.burst.$n.wait_s") * 1000 )) 0 $done_n"
			fi
		done > "$tmp/burst-$s.dat"
		[ -s "$tmp/burst-$s.dat" ] && with="$with $s"
	done
	if [ -n "$with" ]; then
		gp burst.gp -e "out='$plots/burst.png'; subtitle='$sub'; sides='${with# }'"
		drawn+=(burst.png)
	fi

	# (c) idle CPU vs jobs registered: "jobs cronext pg_cron", % of a core
	with=""
	for s in cronext pg_cron; do
		[ -n "$(val "$run" "$s.idle.0.pct_ns")" ] && with="$with $s"
	done
	if [ -n "$with" ]; then
		for count in $(val "$run" run.idle_counts || true); do
			c=$(val "$run" "cronext.idle.$count.pct_ns")
			p=$(val "$run" "pg_cron.idle.$count.pct_ns")
			echo "$count ${c:-?} ${p:-?}"
		done > "$tmp/idle.dat"
		# results of a run.sh before run.idle_counts was saved
		[ -s "$tmp/idle.dat" ] || for count in 0 10000 100000; do
			c=$(val "$run" "cronext.idle.$count.pct_ns")
			p=$(val "$run" "pg_cron.idle.$count.pct_ns")
			echo "$count ${c:-?} ${p:-?}"
		done > "$tmp/idle.dat"
		window=$(val "$run" run.idle_seconds)
		# room above the highest bar for its label (and an axis when all are 0)
		ymax=$(awk '{ for (i = 2; i <= 3; i++) if ($i != "?" && $i > m) m = $i }
			END { print (m > 0 ? m * 1.15 : 1) }' "$tmp/idle.dat")
		gp idle_cpu.gp -e "out='$plots/idle_cpu.png'; subtitle='$sub'; sides='${with# }'; window='${window:-?}'; ymax=$ymax"
		drawn+=(idle_cpu.png)
	fi
fi

# ---------------------------------------------------------------- bench/http.sh

http="$res/http.txt"
if [ -f "$http" ]; then
	sub="$(val "$http" run.date), cronext $(val "$http" run.cronext_commit), $(val "$http" machine.nproc) CPUs"
	[ "$(val "$http" run.quick)" = 1 ] && sub="$sub, quick run"
	bursts="$(val "$http" run.bursts)"

	# (d) time to record a burst vs its size: a series per endpoint and
	# cron.http_max_connections, "jobs ms name" lines sorted by jobs
	args=()
	series=""
	for b in $bursts; do
		rec=$(val "$http" "$b.recorded")
		[ -n "$rec" ] || continue
		path=$(val "$http" "$b.path")
		conns=$(val "$http" "$b.maxconn")
		jobs=$(val "$http" "$b.jobs")
		recorded=$(val "$http" "$b.done")
		recorded=${recorded:-$(val "$http" "$b.runs")}
		k="${path#/}_$conns"
		label=$b
		[ "${recorded:-0}" -ge "$jobs" ] || label="$b (${recorded:-0} of $jobs recorded)"
		echo "$jobs $rec \"$label\"" >> "$tmp/http-series-$k.unsorted"
		case " $series " in
			*" $k "*) ;;
			*)
				series="$series $k"
				case $path in
					/sleep) what="/sleep (answers after 1 s)" ;;
					*) what="$path (answers at once)" ;;
				esac
				args+=(-e "title_$k='$what, cron.http_max_connections = $conns'")
				;;
		esac
	done
	if [ -n "$series" ]; then
		for k in $series; do
			sort -n "$tmp/http-series-$k.unsorted" > "$tmp/http-series-$k.dat"
		done
		gp http_burst.gp -e "out='$plots/http_burst.png'; subtitle='$sub'; series='${series# }'" "${args[@]}"
		drawn+=(http_burst.png)
	fi

	# (e) start-lag distribution per burst
	args=()
	with=""
	for b in $bursts; do
		[ -s "$res/http-lag-$b.txt" ] || continue
		k=$(cdf "$res/http-lag-$b.txt" "$tmp/http-cdf-$b.dat")
		[ -n "$k" ] || continue
		with="$with $b"
		args+=(-e "title_$b='$b: $(val "$http" "$b.jobs") jobs, $(val "$http" "$b.path"), $(val "$http" "$b.maxconn") connections ($k runs)'")
	done
	if [ -n "$with" ]; then
		gp http_lag.gp -e "out='$plots/http_lag.png'; subtitle='$sub'; bursts='${with# }'" "${args[@]}"
		drawn+=(http_lag.png)
	fi
fi

if [ ${#drawn[@]} -eq 0 ]; then
	echo "bench/plot.sh: nothing to plot in $res (no run.txt or http.txt)" >&2
	exit 1
fi
echo "plots in $plots: ${drawn[*]}"

#!/bin/bash
#
# bench/run.sh — cronext against pg_cron, side by side, on this machine.
#
# Run as root.  Each extension gets its own throwaway PostgreSQL 15 cluster
# (initdb in a mktemp directory, run as the unprivileged user "postgres",
# private port, unix socket only), removed on exit.  Measures:
#   (a) start lag of a lone job and of 100, 1000 and 10 000 jobs due at the
#       same instant (p50/p99, and every run's lag saved for the plots)
#   (b) time until all jobs of a burst have finished, the scheduler's CPU,
#       peak memory (RSS / anonymous) and WAL bytes per run during it
#   (c) scheduler CPU over an idle window with 0, 10 000 and 100 000 jobs
#       registered but not due
#   (d) scheduler memory with those job counts
# and prints a table.  It owns its results in $BENCH_RESULTS (run.txt, the
# table and raw key=value figures, and run-lag-*.txt, the per-run samples),
# replaced at the end of each run, and then draws the plots (bench/plot.sh).
# See bench/README.md for the method and the figures.
#
# Environment:
#   BENCH_QUICK=1           smoke test: 10 s idle windows, 10 lone-job slots
#   BENCH_IDLE_SECONDS=N    idle window length (default 60, quick 10)
#   BENCH_LONE_SLOTS=N      slots of cronext's lone '1 seconds' job (default 240)
#   BENCH_BURST_SIZES="1 100 1000 10000"  burst sizes (1 is the lone job)
#   BENCH_PGCRON_MODES="libpq bgw"  pg_cron modes for the burst runs
#   BENCH_PGCRON_WAIT=N     longest wait for a pg_cron burst, s (default 120)
#   BENCH_ONLY=cronext|pg_cron      run one side only
#   BENCH_PGBIN=dir         PostgreSQL 15 binaries (default
#                           /usr/lib/postgresql/15/bin); the libraries are
#                           looked for where its pg_config says
#   BENCH_RESULTS=dir       where run.txt and run-lag-*.txt go (default
#                           bench/results); BENCH_PLOTS=dir where the plots go
#                           (default bench/plots); BENCH_NO_PLOTS=1 draws none
#   BENCH_OUT=file          also write the table (and raw key=value) there
#   BENCH_KEEP=1            keep the work directory (server logs) on exit
#   BENCH_WAIT_QUIET=N      first wait up to N s for the machine's 1-minute
#                           load average to drop below 0.3
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pgbin="${BENCH_PGBIN:-/usr/lib/postgresql/15/bin}"
pglib="$("$pgbin/pg_config" --pkglibdir 2>/dev/null || echo "${pgbin%/bin}/lib")"
results_dir="${BENCH_RESULTS:-$here/results}"
plots_dir="${BENCH_PLOTS:-$here/plots}"

quick="${BENCH_QUICK:-0}"
if [ "$quick" = 1 ]; then
	idle_seconds="${BENCH_IDLE_SECONDS:-10}"
	lone_slots="${BENCH_LONE_SLOTS:-10}"
	extra_slots=5
else
	idle_seconds="${BENCH_IDLE_SECONDS:-60}"
	lone_slots="${BENCH_LONE_SLOTS:-240}"
	extra_slots=10
fi
pgcron_modes="${BENCH_PGCRON_MODES:-libpq bgw}"
only="${BENCH_ONLY:-}"
read -r -a burst_sizes <<< "${BENCH_BURST_SIZES:-1 100 1000 10000}"
pgcron_wait="${BENCH_PGCRON_WAIT:-120}"
idle_counts=(0 10000 100000)
job_cmd='INSERT INTO bench_t VALUES (1)'

# settings common to both clusters (stated in the output and the README)
max_worker_processes=128
max_running_jobs=100
max_connections=300

[ "$(id -u)" = 0 ] || { echo "bench/run.sh must run as root (it runs PostgreSQL as user postgres)" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "user postgres is missing (install postgresql-15)" >&2; exit 1; }
for lib in cronext pg_cron; do
	if [ -z "$only" ] || [ "$only" = "$lib" ]; then
		[ -f "$pglib/$lib.so" ] || { echo "$pglib/$lib.so is missing (cronext: make && make install; pg_cron: apt-get install postgresql-15-cron)" >&2; exit 1; }
	fi
done

work="$(mktemp -d /tmp/cronext-bench.XXXXXX)"
chmod 755 "$work"
chown postgres "$work"
declare -A cl_dir cl_port
started=()

cleanup() {
	local c
	for c in "${started[@]}"; do
		if [ -f "${cl_dir[$c]}/data/postmaster.pid" ]; then
			runuser -u postgres -- "$pgbin/pg_ctl" -D "${cl_dir[$c]}/data" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results="$work/results"
: > "$results"
# the per-run samples, copied to $results_dir at the end
out="$work/out"
mkdir "$out"
. "$here/lib.sh"
if [ "${BENCH_NO_PLOTS:-0}" != 1 ] && ! command -v gnuplot >/dev/null; then
	log "warning: gnuplot is missing (apt-get install -y gnuplot-nox): no plots will be drawn"
fi

# ---------------------------------------------------------------- clusters

# create and start cluster $1 preloading library $2; extra conf lines in $3
cluster_create() {
	local c=$1 lib=$2 extra=${3:-}
	local dir="$work/$c"
	mkdir -p "$dir"
	chown postgres "$dir"
	cl_dir[$c]=$dir
	cl_port[$c]=$(( 30000 + RANDOM % 20000 ))
	runuser -u postgres -- "$pgbin/initdb" -N -D "$dir/data" -A trust -U postgres >/dev/null
	cat >> "$dir/data/postgresql.conf" <<CONF
# --- bench/run.sh
port = ${cl_port[$c]}
listen_addresses = ''
unix_socket_directories = '$dir'
shared_preload_libraries = '$lib'
cron.database_name = 'postgres'
max_worker_processes = $max_worker_processes
max_connections = $max_connections
cron.max_running_jobs = $max_running_jobs
log_line_prefix = '%m [%p] %b '
$extra
CONF
	started+=("$c")
	cluster_start "$c"
}

cluster_start() {
	runuser -u postgres -- "$pgbin/pg_ctl" -D "${cl_dir[$1]}/data" -l "${cl_dir[$1]}/server.log" -w -t 60 start >/dev/null
}

cluster_stop() {
	runuser -u postgres -- "$pgbin/pg_ctl" -D "${cl_dir[$1]}/data" -m fast -w -t 60 stop >/dev/null
}

# psql on cluster $1, database postgres, unaligned tuples only
q() {
	local c=$1
	shift
	runuser -u postgres -- "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 \
		-h "${cl_dir[$c]}" -p "${cl_port[$c]}" -U postgres -d postgres "$@"
}

# pid of the scheduler of cluster $1 (waits for it to appear)
sched_pid() {
	local c=$1 bt pid
	case $c in
		cronext) bt='cronext scheduler' ;;
		*) bt='pg_cron launcher' ;;
	esac
	for _ in $(seq 1 100); do
		pid=$(q "$c" -c "SELECT pid FROM pg_stat_activity WHERE backend_type = '$bt'")
		if [ -n "$pid" ]; then
			echo "$pid"
			return 0
		fi
		sleep 0.1
	done
	echo "no '$bt' process in cluster $c" >&2
	return 1
}

# CPU of a process: "utime+stime in clock ticks" and "on-CPU ns (schedstat)"
cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat")
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $(( ${12} + ${13} ))
}
cpu_ns() {
	local ns rest
	read -r ns rest < "/proc/$1/schedstat"
	echo "$ns"
}
# whole-machine busy CPU in clock ticks (for CPU per run during bursts)
machine_busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# Wait until the process has absorbed a change: two consecutive ~1 s samples
# of its CPU rate below half a core and within 2 ms + 20 % of each other.
# Sets settled_rate (ns of CPU per second of wall time, the steady rate).
# At most $2 seconds.
settled_rate=0
wait_settled() {
	local pid=$1 limit=${2:-60} a b ta tb d r prev=-1 t0=$SECONDS
	a=$(cpu_ns "$pid"); ta=$(now)
	while [ $((SECONDS - t0)) -lt "$limit" ]; do
		sleep 1
		b=$(cpu_ns "$pid"); tb=$(now)
		r=$(awk -v d=$((b - a)) -v t="$(fsub "$tb" "$ta")" 'BEGIN { printf "%d", d / t }')
		a=$b; ta=$tb
		if [ "$prev" -ge 0 ] && [ "$r" -lt 500000000 ]; then
			d=$((r - prev)); d=${d#-}
			if [ "$d" -le $((2000000 + prev / 5)) ]; then
				settled_rate=$r
				return 0
			fi
		fi
		prev=$r
	done
	settled_rate=${r:-0}
	log "warning: pid $pid had not settled after ${limit}s (last rate ${settled_rate} ns/s)"
}

# memory figures of a process, in kB: "rss anonymous private_dirty"
mem_kb() {
	awk '/^Rss:/ { r = $2 } /^Anonymous:/ { a = $2 } /^Private_Dirty:/ { p = $2 }
		 END { print r, a, p }' "/proc/$1/smaps_rollup"
}

# Peak memory of a process during a burst: mem_peak_reset before the slot
# resets its VmHWM (clear_refs 5; if the kernel refuses, VmHWM stays the
# process's lifetime peak, noted as hwm_reset=no), mem_sample in the wait
# loop keeps the largest RssAnon seen (the kernel keeps no peak of it).
peak_anon=0
hwm_reset=no
mem_peak_reset() {
	peak_anon=0
	hwm_reset=no
	if echo 5 > "/proc/$1/clear_refs" 2>/dev/null; then hwm_reset=yes; fi
	mem_sample "$1"
}
mem_sample() {
	local a
	a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0)
	[ "${a:-0}" -gt "$peak_anon" ] && peak_anon=$a
	return 0
}
mem_hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

wal_lsn() { q "$1" -c "SELECT pg_current_wal_lsn()"; }
wal_bytes() { q "$1" -c "SELECT pg_wal_lsn_diff('$3', '$2')::bigint"; }

# What a burst's WAL is made of, from pg_waldump --stats=record between two
# positions, into run-wal-SIDE-N.txt: record type, count, bytes (with
# full-page images), of which full-page images; per run in the last two
# columns.  Nothing if pg_waldump cannot read the range.
wal_breakdown() {
	local s=$1 n=$2 from=$3 to=$4 runs=$5 c
	c=$(side_cluster "$s")
	[ "$runs" -gt 0 ] || return 0
	{
		echo "# $s, burst of $n: WAL from $from to $to, $runs runs finished (pg_waldump --stats=record)"
		echo "# type count bytes fpi_bytes count_per_run bytes_per_run"
		runuser -u postgres -- "$pgbin/pg_waldump" --stats=record -p "${cl_dir[$c]}/data/pg_wal" -s "$from" -e "$to" 2>/dev/null |
			awk -v runs="$runs" 'NR > 3 {
				# "Type N (%) record (%) FPI (%) combined (%)", the Total line with [%]
				gsub(/\([^)]*\)|\[[^]]*\]/, "")
				if (NF == 5 && $2 > 0)
					printf "%s %d %d %d %.2f %.0f\n", $1, $2, $5, $4, $2 / runs, $5 / runs
			}' || true
	} > "$out/run-wal-$s-$n.txt"
	grep -q '^Total' "$out/run-wal-$s-$n.txt" || rm -f "$out/run-wal-$s-$n.txt"
}

# save the start lags that query $3 returns as its column lag, for side $1
# and series $2 (a burst size, or a name): ms, one a line, ascending, to
# 0.1 ms below 100 ms and to 1 ms above (the files stay small)
save_lags() {
	q "$(side_cluster "$1")" -c "SELECT round(lag::numeric, CASE WHEN lag < 100 THEN 1 ELSE 0 END) FROM ($3) s ORDER BY lag" \
		> "$out/run-lag-$1-$2.txt"
}
side_cluster() { case $1 in cronext) echo cronext ;; *) echo pg_cron ;; esac; }

# grand total of the scheduler's memory contexts, from
# pg_log_backend_memory_contexts (bytes), or "-"
memctx_total() {
	local c=$1 pid=$2 off line
	off=$(stat -c %s "${cl_dir[$c]}/server.log")
	q "$c" -c "SELECT pg_log_backend_memory_contexts($pid)" >/dev/null
	for _ in $(seq 1 50); do
		line=$(tail -c +"$((off + 1))" "${cl_dir[$c]}/server.log" | grep "\[$pid\].*Grand total" | tail -n 1 || true)
		if [ -n "$line" ]; then
			echo "$line" | sed -E 's/.*Grand total: ([0-9]+) bytes.*/\1/'
			return 0
		fi
		sleep 0.1
	done
	echo "-"
}

# ---------------------------------------------------------------- cronext

# the lone job: one '1 seconds' job, lone_slots consecutive slots, each a
# single job due at that instant
cronext_lone() {
	local c=cronext jid t0 n
	log "cronext: lone job, '1 seconds', $lone_slots slots"
	q $c -c "TRUNCATE bench_t"
	# the scheduler says where each run's start went (DEBUG1, run_launch.c)
	q $c -c "ALTER SYSTEM SET cron.log_min_messages = debug1" -c "SELECT pg_reload_conf()" >/dev/null
	local log_off
	log_off=$(stat -c %s "${cl_dir[$c]}/server.log")
	jid=$(q $c -c "SELECT cron.schedule('lone', '1 seconds', '$job_cmd')")
	put cronext.lag.1.load "$(cut -d' ' -f1 /proc/loadavg)"
	# wait for lone_slots finished slots after the first second
	for _ in $(seq 1 $((lone_slots * 10 + 100))); do
		n=$(q $c -c "SELECT count(*) FROM cron.job_run_details WHERE jobid = $jid AND end_time IS NOT NULL")
		[ "$n" -ge $((lone_slots + 1)) ] && break
		sleep 0.5
	done
	q $c -c "UPDATE cron.job SET active = false WHERE jobid = $jid"
	sleep 1
	# the first slot is dropped (the job was created during that second)
	local runs="SELECT status, extract(epoch FROM start_time - scheduled_for) * 1000 AS lag,
					   extract(epoch FROM end_time - scheduled_for) * 1000 AS fin
				FROM cron.job_run_details WHERE jobid = $jid AND end_time IS NOT NULL
				ORDER BY scheduled_for OFFSET 1 LIMIT $lone_slots"
	read -r n ok p50 p99 mx fin < <(q $c -F ' ' -c "
		WITH r AS ($runs)
		SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'),
			   round(percentile_disc(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 1),
			   round(percentile_disc(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 1),
			   round(max(lag)::numeric, 1),
			   round(percentile_disc(0.5) WITHIN GROUP (ORDER BY fin)::numeric, 1)
		FROM r")
	save_lags cronext 1 "$runs"
	put cronext.lag.1.n "$n"
	put cronext.lag.1.ok "$ok"
	put cronext.lag.1.p50 "$p50"
	put cronext.lag.1.p99 "$p99"
	put cronext.lag.1.max "$mx"
	# a burst of one: each slot's end_time - slot, the median over the slots
	put cronext.fin.1 "$fin"
	put cronext.done.1 1
	put cronext.lag.1.slot_gaps "$(q $c -c "
		SELECT count(*) FROM (SELECT scheduled_for - lag(scheduled_for) OVER (ORDER BY scheduled_for) AS d
							  FROM cron.job_run_details WHERE jobid = $jid AND NOT manual) s
		WHERE d <> interval '1 second'")"
	q $c -c "ALTER SYSTEM RESET cron.log_min_messages" -c "SELECT pg_reload_conf()" >/dev/null
	lone_breakdown "$jid" "$log_off"
	q $c -c "SELECT cron.unschedule($jid)" >/dev/null
	log "cronext: lone job n=$n ok=$ok p50=${p50} ms p99=${p99} ms max=${mx} ms"
}

# Where the lone job's start lag goes, per slot: the scheduler woke, its
# claim committed, the run was handed to a job worker (the scheduler's
# DEBUG1 lines), and the worker started it (start_time in the ledger).
# Each step's p50 and p99 over the same slots as the lag.
lone_breakdown() {
	local jid=$1 off=$2 trace="$work/lone-trace.txt" starts="$work/lone-starts.txt"
	tail -c +"$((off + 1))" "${cl_dir[cronext]}/server.log" |
		sed -n "s/.*cronext run \([0-9]*\) of job $jid: woke +\([0-9.]*\) ms, claim committed +\([0-9.]*\) ms, handed +\([0-9.]*\) ms after its slot.*/\1 \2 \3 \4/p" > "$trace"
	q cronext -F ' ' -c "SELECT runid, extract(epoch FROM start_time - scheduled_for) * 1000
						  FROM cron.job_run_details WHERE jobid = $jid AND end_time IS NOT NULL
						  ORDER BY scheduled_for OFFSET 1 LIMIT $lone_slots" > "$starts"
	# runid woke committed handed started -> each step's own time
	join <(sort "$trace") <(sort "$starts") |
		awk '{ printf "%.3f %.3f %.3f %.3f\n", $2, $3 - $2, $4 - $3, $5 - $4 }' > "$work/lone-steps.txt"
	# p50 and p99 (nearest rank) of each column
	local col n line=""
	n=$(wc -l < "$work/lone-steps.txt")
	: > "$work/lone-breakdown.txt"
	if [ "$n" -gt 0 ]; then
		line="$n"
		for col in 1 2 3 4; do
			line="$line $(cut -d' ' -f$col "$work/lone-steps.txt" | sort -g |
				awk -v n="$n" '{ v[NR] = $1 } END { k = int(0.5 * n + 0.999999); j = int(0.99 * n + 0.999999); if (k < 1) k = 1; if (j < 1) j = 1; print v[k], v[j] }')"
		done
		echo "$line" > "$work/lone-breakdown.txt"
	fi
	if [ -s "$work/lone-breakdown.txt" ]; then
		read -r bn w50 w99 c50 c99 h50 h99 s50 s99 < "$work/lone-breakdown.txt"
		put cronext.lone.steps.n "$bn"
		put cronext.lone.wake.p50 "$w50"; put cronext.lone.wake.p99 "$w99"
		put cronext.lone.claim.p50 "$c50"; put cronext.lone.claim.p99 "$c99"
		put cronext.lone.handoff.p50 "$h50"; put cronext.lone.handoff.p99 "$h99"
		put cronext.lone.session.p50 "$s50"; put cronext.lone.session.p99 "$s99"
		log "cronext: lone job's start, p50/p99 ms: wake-up $w50/$w99, claim commit $c50/$c99, hand-off $h50/$h99, worker to start $s50/$s99 (n=$bn)"
	fi
}

# Figures common to both sides, once a burst's wait has ended: $1 side,
# $2 jobs, $3 runs finished, $4 scheduler pid, $5/$6 its CPU ns at the start
# and end of the wait, $7/$8 machine busy ticks, $9/$10 WAL positions.
burst_figures() {
	local s=$1 n=$2 done_n=$3 pid=$4 ns0=$5 ns1=$6 mb0=$7 mb1=$8 wal
	wal=$(wal_bytes "$(side_cluster "$s")" "$9" "${10}")
	put "$s.done.$n" "$done_n"
	put "$s.burst.$n.sched_ms" "$(( (ns1 - ns0) / 1000000 ))"
	put "$s.burst.$n.sched_ms_per_run" "$(awk -v t=$((ns1 - ns0)) -v n="$done_n" 'BEGIN { if (n > 0) printf "%.3f", t / 1e6 / n; else print "-" }')"
	put "$s.burst.$n.machine_ms_per_run" "$(awk -v t=$((mb1 - mb0)) -v n="$done_n" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.1f", t * 1000 / hz / n; else print "-" }')"
	put "$s.burst.$n.wal_bytes" "$wal"
	put "$s.burst.$n.wal_per_run" "$(awk -v w="$wal" -v n="$done_n" 'BEGIN { if (n > 0) printf "%d", w / n; else print "-" }')"
	wal_breakdown "$s" "$n" "$9" "${10}" "$done_n"
	put "$s.burst.$n.hwm_kb" "$(mem_hwm "$pid")"
	put "$s.burst.$n.peak_anon_kb" "$peak_anon"
	put "$s.burst.$n.hwm_reset" "$hwm_reset"
}

# n jobs due at one interval slot: created inactive, then one UPDATE gives
# them all the same 'N seconds' schedule, with N picked so that the next
# multiple of N is 4-15 s away and the slot after it is >= 40 s later.
# The wait ends when every run has finished, or 2 s before the next slot.
cronext_burst() {
	local c=cronext n=$1 tnow best_n=0 best_w=999 w nn slot pid ns0 mb0 ns1 mb1 done_n=0 deadline lsn0 lsn1
	log "cronext: burst of $n jobs"
	q $c -c "TRUNCATE bench_t"
	# the burst's first change of each page writes a full-page image, on
	# both sides alike (rather than whenever the last timed checkpoint was)
	q $c -c "CHECKPOINT"
	q $c -c "INSERT INTO cron.job (jobname, schedule, command, active)
			 SELECT 'burst_${n}_' || g, '59 seconds', '$job_cmd', false
			 FROM generate_series(1, $n) g"
	tnow=$(date +%s)
	for nn in $(seq 40 59); do
		w=$(( (tnow / nn + 1) * nn - tnow ))
		if [ $w -ge 4 ] && [ $w -lt $best_w ]; then
			best_w=$w
			best_n=$nn
		fi
	done
	slot=$(( (tnow / best_n + 1) * best_n ))
	q $c -c "UPDATE cron.job SET schedule = '$best_n seconds', active = true WHERE jobname LIKE 'burst\\_${n}\\_%'"
	if [ "$(date +%s)" -ge $((slot - 1)) ]; then
		echo "cronext: making $n jobs due took until less than 1 s before their slot" >&2
		exit 1
	fi
	pid=$(sched_pid $c)
	sleep_until "$((slot - 1))"
	put "cronext.lag.$n.load" "$(cut -d' ' -f1 /proc/loadavg)"
	mem_peak_reset "$pid"
	lsn0=$(wal_lsn $c)
	ns0=$(cpu_ns "$pid"); mb0=$(machine_busy_ticks)
	# wait until every job has finished its run of this slot
	deadline=$(( slot + best_n - 2 ))
	put "cronext.burst.$n.wait_s" "$(( best_n - 2 ))"
	while :; do
		done_n=$(q $c -c "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
						  WHERE j.jobname LIKE 'burst\\_${n}\\_%' AND d.scheduled_for = to_timestamp($slot)
						  AND d.end_time IS NOT NULL")
		mem_sample "$pid"
		[ "$done_n" -ge "$n" ] && break
		if [ "$(date +%s)" -ge "$deadline" ]; then
			log "cronext: burst $n: only $done_n of $n runs finished by 2 s before the next slot"
			break
		fi
		sleep 0.1
	done
	ns1=$(cpu_ns "$pid"); mb1=$(machine_busy_ticks)
	lsn1=$(wal_lsn $c)
	q $c -c "UPDATE cron.job SET active = false WHERE jobname LIKE 'burst\\_${n}\\_%'"
	local runs="SELECT d.status, extract(epoch FROM d.start_time - d.scheduled_for) * 1000 AS lag,
					   extract(epoch FROM d.end_time - d.scheduled_for) * 1000 AS fin
				FROM cron.job_run_details d JOIN cron.job j USING (jobid)
				WHERE j.jobname LIKE 'burst\\_${n}\\_%' AND d.scheduled_for = to_timestamp($slot)
				AND d.start_time IS NOT NULL"
	read -r cnt ok p50 p99 mx fin < <(q $c -F ' ' -c "
		WITH r AS ($runs)
		SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'),
			   round(percentile_disc(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 1),
			   round(percentile_disc(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 1),
			   round(max(lag)::numeric, 1), round(max(fin)::numeric, 1)
		FROM r")
	save_lags cronext "$n" "$runs"
	put "cronext.lag.$n.n" "$cnt"
	put "cronext.lag.$n.ok" "$ok"
	put "cronext.lag.$n.p50" "$p50"
	put "cronext.lag.$n.p99" "$p99"
	put "cronext.lag.$n.max" "$mx"
	put "cronext.fin.$n" "$fin"
	put "cronext.rows.$n" "$(q $c -c "SELECT count(*) FROM bench_t")"
	burst_figures cronext "$n" "$done_n" "$pid" "$ns0" "$ns1" "$mb0" "$mb1" "$lsn0" "$lsn1"
	put "cronext.burst.$n.schedule" "$best_n seconds"
	log "cronext: burst $n ('$best_n seconds', slot $(date -u -d @"$slot" +%T)): runs=$cnt ok=$ok p50=$p50 p99=$p99 max=$mx ms," \
		"$done_n finished, the last +$fin ms; scheduler $(get "cronext.burst.$n.sched_ms_per_run") ms CPU/run," \
		"VmHWM $(get "cronext.burst.$n.hwm_kb") kB, RssAnon peak $peak_anon kB; WAL $(get "cronext.burst.$n.wal_per_run") B/run"
	q $c -c "DELETE FROM cron.job WHERE jobname LIKE 'burst\\_${n}\\_%'"
}

# ---------------------------------------------------------------- pg_cron

# next usable minute boundary (epoch): at least 12 s away
next_boundary() {
	local t
	t=$(date +%s)
	echo $(( (t + 12 + 59) / 60 * 60 ))
}

# n jobs due at the next minute boundary ('M * * * *' with M its minute);
# the wait ends when every run has finished, or $pgcron_wait s after the
# boundary (then the cluster is restarted, so no run of it goes on)
pgcron_burst() {
	local c=pg_cron mode=$1 n=$2 b minute pid ns0 ns1 mb0 mb1 done_n=0 lsn0 lsn1 timed_out=0
	q $c -c "TRUNCATE bench_t"
	q $c -c "CHECKPOINT"
	b=$(next_boundary)
	minute=$(date -u -d @"$b" +%-M)
	log "pg_cron ($mode): burst of $n jobs at $(date -u -d @"$b" +%T)"
	q $c -c "INSERT INTO cron.job (schedule, command, nodename, nodeport, database, username, jobname)
			 SELECT '$minute * * * *', '$job_cmd', '${cl_dir[$c]}', ${cl_port[$c]}, 'postgres', 'postgres',
					'burst_${n}_' || g
			 FROM generate_series(1, $n) g"
	pid=$(sched_pid $c)
	sleep_until "$((b - 1))"
	put "pg_cron_$mode.lag.$n.load" "$(cut -d' ' -f1 /proc/loadavg)"
	mem_peak_reset "$pid"
	lsn0=$(wal_lsn $c)
	ns0=$(cpu_ns "$pid"); mb0=$(machine_busy_ticks)
	put "pg_cron_$mode.burst.$n.wait_s" "$pgcron_wait"
	while :; do
		done_n=$(q $c -c "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
						  WHERE j.jobname LIKE 'burst\\_${n}\\_%' AND d.end_time IS NOT NULL")
		mem_sample "$pid"
		[ "$done_n" -ge "$n" ] && break
		if [ "$(date +%s)" -ge $((b + pgcron_wait)) ]; then
			log "pg_cron ($mode): burst $n: only $done_n of $n runs finished ${pgcron_wait} s after the boundary"
			timed_out=1
			break
		fi
		sleep 0.1
	done
	ns1=$(cpu_ns "$pid"); mb1=$(machine_busy_ticks)
	lsn1=$(wal_lsn $c)
	local runs="SELECT d.status, extract(epoch FROM d.start_time - to_timestamp($b)) * 1000 AS lag,
					   extract(epoch FROM d.end_time - to_timestamp($b)) * 1000 AS fin
				FROM cron.job_run_details d JOIN cron.job j USING (jobid)
				WHERE j.jobname LIKE 'burst\\_${n}\\_%' AND d.start_time IS NOT NULL"
	read -r cnt ok p50 p99 mx fin < <(q $c -F ' ' -c "
		WITH r AS ($runs)
		SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'),
			   round(percentile_disc(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 1),
			   round(percentile_disc(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 1),
			   round(max(lag)::numeric, 1), round(max(fin)::numeric, 1)
		FROM r")
	save_lags "pg_cron_$mode" "$n" "$runs"
	put "pg_cron_$mode.lag.$n.n" "$cnt"
	put "pg_cron_$mode.lag.$n.ok" "$ok"
	put "pg_cron_$mode.lag.$n.p50" "$p50"
	put "pg_cron_$mode.lag.$n.p99" "$p99"
	put "pg_cron_$mode.lag.$n.max" "$mx"
	put "pg_cron_$mode.fin.$n" "$fin"
	put "pg_cron_$mode.rows.$n" "$(q $c -c "SELECT count(*) FROM bench_t")"
	burst_figures "pg_cron_$mode" "$n" "$done_n" "$pid" "$ns0" "$ns1" "$mb0" "$mb1" "$lsn0" "$lsn1"
	log "pg_cron ($mode): burst $n: runs=$cnt ok=$ok p50=$p50 p99=$p99 max=$mx ms, $done_n finished, the last +$fin ms;" \
		"launcher $(get "pg_cron_$mode.burst.$n.sched_ms_per_run") ms CPU/run, VmHWM $(get "pg_cron_$mode.burst.$n.hwm_kb") kB," \
		"RssAnon peak $peak_anon kB; WAL $(get "pg_cron_$mode.burst.$n.wal_per_run") B/run"
	q $c -c "DELETE FROM cron.job WHERE jobname LIKE 'burst\\_${n}\\_%'"
	if [ $timed_out = 1 ]; then
		cluster_stop $c
		cluster_start $c
	fi
}

# ---------------------------------------------------------------- idle

# bring cluster $1 to $2 idle jobs (schedule '0 0 1 1 *': not due), timing
# the insert and the scheduler CPU spent absorbing it
add_idle_jobs() {
	local c=$1 target=$2 have pid t0 t1 t2 ns0 ns1 absorb
	have=$(q "$c" -c "SELECT count(*) FROM cron.job WHERE jobname LIKE 'idle\\_%'")
	[ "$have" -ge "$target" ] && return 0
	pid=$(sched_pid "$c")
	ns0=$(cpu_ns "$pid")
	t0=$(now)
	if [ "$c" = cronext ]; then
		q "$c" -c "INSERT INTO cron.job (jobname, schedule, command)
				   SELECT 'idle_' || g, '0 0 1 1 *', '$job_cmd'
				   FROM generate_series($((have + 1)), $target) g"
	else
		q "$c" -c "INSERT INTO cron.job (schedule, command, nodename, nodeport, database, username, jobname)
				   SELECT '0 0 1 1 *', '$job_cmd', '${cl_dir[$c]}', ${cl_port[$c]}, 'postgres', 'postgres', 'idle_' || g
				   FROM generate_series($((have + 1)), $target) g"
	fi
	t1=$(now)
	wait_settled "$pid" 120
	ns1=$(cpu_ns "$pid"); t2=$(now)
	# CPU spent beyond the steady idle rate between the insert and settling
	absorb=$(awk -v d=$((ns1 - ns0)) -v r="$settled_rate" -v t="$(fsub "$t2" "$t0")" 'BEGIN { x = (d - r * t) / 1e6; if (x < 0) x = 0; printf "%d", x }')
	put "$c.insert.$target.s" "$(fsub "$t1" "$t0")"
	put "$c.absorb.$target.ms" "$absorb"
	log "$c: $((target - have)) jobs inserted in $(fsub "$t1" "$t0") s; scheduler CPU to absorb them: $absorb ms (beyond its idle rate)"
}

# one idle window over every cluster in $@, at the current job count $1
idle_window() {
	local count=$1 c
	shift
	declare -A pid t0 n0 t1 n1
	for c in "$@"; do
		pid[$c]=$(sched_pid "$c")
		wait_settled "${pid[$c]}" 60
	done
	for c in "$@"; do
		t0[$c]=$(cpu_ticks "${pid[$c]}"); n0[$c]=$(cpu_ns "${pid[$c]}")
	done
	log "idle window ${idle_seconds}s with $count jobs: $*"
	sleep "$idle_seconds"
	put "idle.$count.load" "$(cut -d' ' -f1 /proc/loadavg)"
	for c in "$@"; do
		t1[$c]=$(cpu_ticks "${pid[$c]}"); n1[$c]=$(cpu_ns "${pid[$c]}")
		put "$c.idle.$count.ticks" "$(( t1[$c] - t0[$c] ))"
		put "$c.idle.$count.pct_ticks" "$(awk -v t=$(( t1[$c] - t0[$c] )) -v s="$idle_seconds" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz / s * 100 }')"
		put "$c.idle.$count.pct_ns" "$(awk -v t=$(( n1[$c] - n0[$c] )) -v s="$idle_seconds" 'BEGIN { printf "%.4f", t / 1e9 / s * 100 }')"
		read -r rss anon pd < <(mem_kb "${pid[$c]}")
		put "$c.mem.$count.rss" "$rss"
		put "$c.mem.$count.anon" "$anon"
		put "$c.mem.$count.private_dirty" "$pd"
		put "$c.mem.$count.contexts" "$(memctx_total "$c" "${pid[$c]}")"
		log "$c: $count jobs: idle CPU $(get "$c.idle.$count.pct_ns") % of a core (schedstat), $(get "$c.idle.$count.pct_ticks") % (utime+stime); RSS $rss kB, anon $anon kB, private dirty $pd kB, contexts $(get "$c.mem.$count.contexts") B"
	done
}

# scheduler CPU to absorb a one-row change of cron.job at the current count
one_change_cost() {
	local c=$1 count=$2 pid ns0 ns1 t0 t1 t2 x
	pid=$(sched_pid "$c")
	wait_settled "$pid" 30
	ns0=$(cpu_ns "$pid")
	t0=$(now)
	q "$c" -c "UPDATE cron.job SET command = command || ' ' WHERE jobname = 'idle_1'"
	t1=$(now)
	wait_settled "$pid" 60
	ns1=$(cpu_ns "$pid"); t2=$(now)
	x=$(awk -v d=$((ns1 - ns0)) -v r="$settled_rate" -v t="$(fsub "$t2" "$t0")" 'BEGIN { x = (d - r * t) / 1e6; if (x < 0) x = 0; printf "%d", x }')
	put "$c.change.$count.ms" "$x"
	put "$c.change.$count.update_s" "$(fsub "$t1" "$t0")"
	log "$c: one-row UPDATE of cron.job with $count jobs: statement $(fsub "$t1" "$t0") s, scheduler CPU $x ms beyond its idle rate"
}

# cronext only (pg_cron 1.4 has no seconds schedules): a lone '1 seconds'
# job while $1 other jobs are registered, first undisturbed, then with a
# one-row UPDATE of another job 100 ms before each slot (the scheduler
# re-reads cron.job on every change)
cronext_lone_loaded() {
	local c=cronext count=$1 jid ta tb tc k sec
	log "cronext: lone job with $count jobs registered, $extra_slots quiet slots, then $extra_slots slots each preceded by a one-row cron.job UPDATE"
	jid=$(q $c -c "SELECT cron.schedule('lone_loaded', '1 seconds', '$job_cmd')")
	sleep 2
	ta=$(( $(date +%s) + 1 ))
	sleep_until "$((ta + extra_slots))"
	tb=$(( ta + extra_slots ))
	for k in $(seq 0 $((extra_slots - 1))); do
		sec=$(( tb + k ))
		sleep_until "$sec.90"
		q $c -c "UPDATE cron.job SET command = command || ' ' WHERE jobname = 'idle_2'"
	done
	tc=$(( tb + extra_slots ))
	sleep 2
	q $c -c "UPDATE cron.job SET active = false WHERE jobid = $jid"
	for phase in quiet changes; do
		local lo hi
		if [ $phase = quiet ]; then lo=$ta; hi=$tb; else lo=$((tb + 1)); hi=$((tc + 1)); fi
		local runs="SELECT status, extract(epoch FROM start_time - scheduled_for) * 1000 AS lag
					FROM cron.job_run_details WHERE jobid = $jid
					AND scheduled_for >= to_timestamp($lo) AND scheduled_for < to_timestamp($hi)"
		save_lags cronext "lone-at-$count-$phase" "$runs"
		read -r n ok p50 p99 mx < <(q $c -F ' ' -c "
			WITH r AS ($runs)
			SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'),
				   round(percentile_disc(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 1),
				   round(percentile_disc(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 1),
				   round(max(lag)::numeric, 1)
			FROM r")
		put "cronext.loaded.$count.$phase.n" "$n/$ok"
		put "cronext.loaded.$count.$phase.p50" "$p50"
		put "cronext.loaded.$count.$phase.p99" "$p99"
		put "cronext.loaded.$count.$phase.max" "$mx"
		log "cronext: lone job at $count jobs ($phase): n=$n ok=$ok p50=$p50 p99=$p99 max=$mx ms"
	done
	q $c -c "SELECT cron.unschedule($jid)" >/dev/null
}

# ---------------------------------------------------------------- run

if [ "${BENCH_WAIT_QUIET:-0}" -gt 0 ]; then
	log "waiting up to ${BENCH_WAIT_QUIET}s for load1 < 0.3 (now $(cut -d' ' -f1 /proc/loadavg))"
	for _ in $(seq 1 $(( BENCH_WAIT_QUIET / 5 ))); do
		awk '{ exit !($1 < 0.3) }' /proc/loadavg && break
		sleep 5
	done
fi
awk '{ exit !($1 > 0.5) }' /proc/loadavg &&
	log "warning: the machine is busy (load average $(cut -d' ' -f1-3 /proc/loadavg)); figures will be disturbed"
log "work directory $work; idle windows ${idle_seconds}s; settings: max_worker_processes=$max_worker_processes, max_connections=$max_connections, cron.max_running_jobs=$max_running_jobs"
put machine.nproc "$(nproc)"
put machine.cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
put machine.kernel "$(uname -r)"
put machine.mem "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
put run.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put run.cronext_commit "$(git -C "$here/.." log -1 --format=%h 2>/dev/null || echo '?')"
put run.cronext_so "$(date -u -r "$pglib/cronext.so" '+%Y-%m-%d %H:%M:%S UTC')"
put run.pgcron_version "$(dpkg-query -W -f '${Version}' postgresql-15-cron 2>/dev/null || echo '?')"
put run.pg_version "$("$pgbin/postgres" --version | awk '{ print $3 }')"
put run.pgbin "$pgbin"
put run.quick "$quick"
put run.burst_sizes "${burst_sizes[*]}"
put run.idle_counts "${idle_counts[*]}"
put run.idle_seconds "$idle_seconds"
put run.pgcron_wait "$pgcron_wait"
put run.pgcron_modes "$pgcron_modes"
t_start=$SECONDS

setup_sql="CREATE TABLE bench_t (v int);"

if [ -z "$only" ] || [ "$only" = cronext ]; then
	log "cronext: starting cluster"
	cluster_create cronext cronext
	q cronext -c "CREATE EXTENSION cronext; $setup_sql"
	sched_pid cronext >/dev/null
	sleep 1
	case " ${burst_sizes[*]} " in *" 1 "*) cronext_lone ;; esac
	for n in "${burst_sizes[@]}"; do
		[ "$n" = 1 ] && continue
		cronext_burst "$n"
	done
	cluster_stop cronext
fi

if [ -z "$only" ] || [ "$only" = pg_cron ]; then
	log "pg_cron: starting cluster"
	cluster_create pg_cron pg_cron
	q pg_cron -c "CREATE EXTENSION pg_cron; $setup_sql"
	first=1
	for mode in $pgcron_modes; do
		if [ "$mode" = bgw ]; then
			q pg_cron -c "ALTER SYSTEM SET cron.use_background_workers = on"
		else
			q pg_cron -c "ALTER SYSTEM SET cron.use_background_workers = off"
		fi
		if [ $first = 0 ] || [ "$mode" = bgw ]; then
			cluster_stop pg_cron
			cluster_start pg_cron
		fi
		first=0
		put "pg_cron_$mode.use_background_workers" "$(q pg_cron -c "SHOW cron.use_background_workers")"
		put "pg_cron_$mode.max_running_jobs" "$(q pg_cron -c "SHOW cron.max_running_jobs")"
		sched_pid pg_cron >/dev/null
		for n in "${burst_sizes[@]}"; do
			pgcron_burst "$mode" "$n"
		done
	done
	put pg_cron.idle_mode "$(q pg_cron -c "SHOW cron.use_background_workers")"
fi

# idle: both clusters up at once, each scheduler's own CPU time read from
# /proc, so the two windows share the wall-clock time
idle_clusters=()
if [ -z "$only" ] || [ "$only" = cronext ]; then
	cluster_start cronext
	sched_pid cronext >/dev/null
	idle_clusters+=(cronext)
fi
[ -z "$only" ] || [ "$only" = pg_cron ] && idle_clusters+=(pg_cron)
sleep 3
for count in "${idle_counts[@]}"; do
	for c in "${idle_clusters[@]}"; do
		add_idle_jobs "$c" "$count"
	done
	idle_window "$count" "${idle_clusters[@]}"
done
for c in "${idle_clusters[@]}"; do
	one_change_cost "$c" "${idle_counts[-1]}"
done
[ -n "${cl_dir[cronext]:-}" ] && cronext_lone_loaded "${idle_counts[-1]}"
put run.seconds "$((SECONDS - t_start))"
for c in "${started[@]}"; do
	# (workers told to stop at a fast shutdown are not counted)
	put "$c.log.warnings" "$(grep -E ' (WARNING|ERROR|FATAL|PANIC): ' "${cl_dir[$c]}/server.log" | grep -vc 'due to administrator command' || true)"
	grep -E ' (WARNING|ERROR|FATAL|PANIC): ' "${cl_dir[$c]}/server.log" | grep -v 'due to administrator command' | sed -E 's/^.* (WARNING|ERROR|FATAL|PANIC): +/\1: /' |
		sort | uniq -c | sort -rn | head -n 5 > "$work/$c.warnings" || true
done

# ---------------------------------------------------------------- report

report() {
	local sides=() s n label
	[ -z "$only" ] || [ "$only" = cronext ] && sides+=(cronext)
	if [ -z "$only" ] || [ "$only" = pg_cron ]; then
		for m in $pgcron_modes; do sides+=("pg_cron_$m"); done
	fi
	echo
	echo "cronext vs pg_cron — $(get run.date), $(get machine.nproc) × $(get machine.cpu), $(get machine.mem), kernel $(get machine.kernel)"
	echo "PostgreSQL $(get run.pg_version); cronext (repository at $(get run.cronext_commit), installed cronext.so built $(get run.cronext_so)); pg_cron $(get run.pgcron_version)"
	echo "settings: max_worker_processes=$max_worker_processes max_connections=$max_connections cron.max_running_jobs=$max_running_jobs, other settings default (fsync on, cron.log_statement on, cron.log_run on)"
	echo "pg_cron_libpq = cron.use_background_workers off (libpq connections); pg_cron_bgw = on"
	echo
	echo "(a) start lag after the due instant, ms (percentile_disc; lag = start_time - slot)"
	printf '%-16s %6s %13s %9s %9s %9s %7s\n' side jobs runs/ok p50 p99 max load1
	for s in "${sides[@]}"; do
		for n in "${burst_sizes[@]}"; do
			label=$n
			[ "$s" = cronext ] && [ "$n" = 1 ] && label="1*"
			printf '%-16s %6s %13s %9s %9s %9s %7s\n' "$s" "$label" "$(get "$s.lag.$n.n")/$(get "$s.lag.$n.ok")" \
				"$(get "$s.lag.$n.p50")" "$(get "$s.lag.$n.p99")" "$(get "$s.lag.$n.max")" "$(get "$s.lag.$n.load")"
		done
	done
	[ "$(get cronext.lag.1.n)" != - ] &&
		echo "  1* = cronext lone job: one '1 seconds' job, $(get cronext.lag.1.n) consecutive slots (pg_cron 1.4 has no seconds: one minute boundary per mode)"
	[ "$(get cronext.lone.steps.n)" != - ] &&
		echo "  1* where the start went, p50 / p99 ms (n=$(get cronext.lone.steps.n)): wake-up $(get cronext.lone.wake.p50) / $(get cronext.lone.wake.p99)," \
			"claim committed $(get cronext.lone.claim.p50) / $(get cronext.lone.claim.p99)," \
			"hand-off to the worker $(get cronext.lone.handoff.p50) / $(get cronext.lone.handoff.p99)," \
			"worker: settings check and session to start $(get cronext.lone.session.p50) / $(get cronext.lone.session.p99)"
	echo "  runs = runs started (a pg_cron burst is waited for at most ${pgcron_wait} s, cronext's until 2 s before its next slot)"
	echo
	echo "(b) burst completion: max(end_time) - due instant, ms (1*: median over the lone job's slots); runs finished;"
	echo "    the scheduler's CPU (all, and per run), the machine's busy CPU per run and WAL bytes per run during the burst;"
	echo "    the scheduler's peak memory during the burst, kB: VmHWM (reset before the slot) / largest RssAnon seen; bench_t rows"
	printf '%-16s %6s %9s %13s %9s %9s %11s %9s %17s %7s\n' side jobs finished done/n sched_ms ms/run machine/run WAL_B/run peak_hwm/anon_kB rows
	for s in "${sides[@]}"; do
		for n in "${burst_sizes[@]}"; do
			label=$n
			[ "$s" = cronext ] && [ "$n" = 1 ] && label="1*"
			printf '%-16s %6s %9s %13s %9s %9s %11s %9s %17s %7s\n' "$s" "$label" "$(get "$s.fin.$n")" \
				"$(get "$s.done.$n")/$n" "$(get "$s.burst.$n.sched_ms")" "$(get "$s.burst.$n.sched_ms_per_run")" \
				"$(get "$s.burst.$n.machine_ms_per_run")" "$(get "$s.burst.$n.wal_per_run")" \
				"$(get "$s.burst.$n.hwm_kb")/$(get "$s.burst.$n.peak_anon_kb")" "$(get "$s.rows.$n")"
		done
	done
	echo "  the window: from 1 s before the due instant until the benchmark saw every run finished (it polls 10 times a second);"
	echo "  a CHECKPOINT precedes each burst, so WAL includes a full-page image of each page the burst changes first"
	echo
	echo "  load1 = 1-minute load average of the machine just before the slot (other work on the machine)"
	echo
	echo "(c) scheduler CPU over ${idle_seconds}s idle, % of one core (schedstat ns; utime+stime ticks in brackets)"
	echo "(d) scheduler memory at the end of the window, kB: RSS / Anonymous / Private_Dirty; memory contexts total"
	printf '%-16s %8s %22s %28s %12s %14s\n' side jobs cpu_% mem_rss/anon/pd_kB contexts_kB insert_s/absorb_ms
	for s in "${idle_clusters[@]}"; do
		for n in "${idle_counts[@]}"; do
			local ctx
			ctx=$(get "$s.mem.$n.contexts")
			[ "$ctx" != - ] && ctx=$((ctx / 1024))
			printf '%-16s %8s %22s %28s %12s %14s\n' "$s" "$n" \
				"$(get "$s.idle.$n.pct_ns") [$(get "$s.idle.$n.pct_ticks")]" \
				"$(get "$s.mem.$n.rss")/$(get "$s.mem.$n.anon")/$(get "$s.mem.$n.private_dirty")" \
				"$ctx" "$(get "$s.insert.$n.s")/$(get "$s.absorb.$n.ms")"
		done
		echo "  $s: machine load1 at the end of the windows: $(for n in "${idle_counts[@]}"; do printf '%s ' "$(get "idle.$n.load")"; done)"
		echo "  $s: one-row UPDATE of cron.job at ${idle_counts[-1]} jobs costs the scheduler $(get "$s.change.${idle_counts[-1]}.ms") ms CPU"
	done
	[ "$(get pg_cron.idle_mode)" != - ] && echo "  pg_cron idle figures with cron.use_background_workers = $(get pg_cron.idle_mode)"
	if [ "$(get "cronext.loaded.${idle_counts[-1]}.quiet.p50")" != - ]; then
		local k=${idle_counts[-1]}
		echo
		echo "(e) cronext lone '1 seconds' job with $k jobs registered: start lag ms (n runs/ok, p50, p99, max)"
		echo "  undisturbed:                               $(get "cronext.loaded.$k.quiet.n")  $(get "cronext.loaded.$k.quiet.p50")  $(get "cronext.loaded.$k.quiet.p99")  $(get "cronext.loaded.$k.quiet.max")"
		echo "  one-row cron.job UPDATE 100 ms before each: $(get "cronext.loaded.$k.changes.n")  $(get "cronext.loaded.$k.changes.p50")  $(get "cronext.loaded.$k.changes.p99")  $(get "cronext.loaded.$k.changes.max")"
	fi
	echo
	for s in "${started[@]}"; do
		echo "server log of $s: $(get "$s.log.warnings") WARNING/ERROR/FATAL lines"
		sed 's/^/    /' "$work/$s.warnings" 2>/dev/null || true
	done
	echo "total benchmark time: $(get run.seconds) s"
}

report | tee "$work/table"
{ cat "$work/table"; echo; echo "# raw"; cat "$results"; } > "$out/run.txt"
if [ -n "${BENCH_OUT:-}" ]; then
	cp "$out/run.txt" "$BENCH_OUT"
fi
# the results this script owns: the previous run's go, this run's come
mkdir -p "$results_dir"
rm -f "$results_dir"/run.txt "$results_dir"/run-lag-*.txt "$results_dir"/run-wal-*.txt
cp "$out"/* "$results_dir"/
log "results in $results_dir ($(du -sh "$results_dir" | cut -f1) in all)"
if [ "${BENCH_NO_PLOTS:-0}" != 1 ] && command -v gnuplot >/dev/null; then
	bash "$here/plot.sh" "$results_dir" "$plots_dir" || log "warning: plotting failed"
fi

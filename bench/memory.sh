#!/bin/bash
#
# bench/memory.sh — the cronext scheduler's memory, by what the jobs are.
#
# Run as root.  Makes a throwaway PostgreSQL 15 cluster (initdb in a mktemp
# directory, run as the unprivileged user "postgres", unix socket only in
# that directory, on a port no one listens on), preloads cronext, and for
# each case below fills cron.job, lets the scheduler read it, and reads the
# scheduler's memory twice: "live" (the jobs were added while it ran) and
# "fresh" (after a server restart, the scheduler read them at start).  The
# cluster is stopped and removed on exit.
#
# Memory figures of the process with backend_type 'cronext scheduler':
#   ctx    Grand total of its memory contexts (pg_log_backend_memory_contexts,
#          parsed from the server log), MB
#   cache  its "cronext job cache" context and the "cronext jobs" hash in it
#          (the jobs), MB, if the log shows them
#   runs   its "cronext runs" context (runs claimed and not finished), MB
#   tz     its "Timezones" context (pg_tzset's cache of loaded zones), MB
#   rss    VmRSS, MB (includes the shared buffers it touched)
#   anon   RssAnon, MB (its private memory)
#   jit    whether LLVM is mapped in it (a query of the scheduler was JIT
#          compiled: libLLVM's own memory is outside the contexts)
#
# Cases (schedules are ordinary cron lines at an hour 12 h from now, so
# nothing comes due while measuring; commands are short SQL):
#   empty          0 jobs
#   jobs-10k       10 000 jobs of the superuser
#   jobs-100k      100 000 jobs of the superuser
#   zones-100k     100 000 jobs, each with a time zone, cycling through every
#                  name of pg_timezone_names
#   roles-100k     100 000 jobs of 1 000 roles (100 each)
#   bigcmd-100     100 jobs with 1 MB commands (incompressible), superuser
# and two that run jobs:
#   drift          one '1 seconds' job for MEM_DRIFT_SECONDS (default 60):
#                  memory at the start and the end of the window (a scheduler
#                  that keeps something per pass grows here)
#   queued-runs    MEM_QUEUED_ROLES (default 4) ordinary roles, each with a job
#                  of 1 MB whose run waits for a lock, each asking cron.run_job
#                  MEM_QUEUED (default 100) more times (until refused): memory
#                  with the runs queued, and after they all ran
#
# Environment:
#   MEM_CASES="..."        which cases (default all, in the order above)
#   MEM_DRIFT_SECONDS=N    length of the drift window (default 60)
#   MEM_QUEUED=N           cron.run_job calls per role in queued-runs (default 100)
#   MEM_QUEUED_ROLES=N     roles in queued-runs (default 4)
#   MEM_OUT=file           also write the table (and raw key=value) there
#   MEM_KEEP=1             keep the work directory (server log) on exit
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pgbin=/usr/lib/postgresql/15/bin
pglib="$($pgbin/pg_config --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)"

all_cases="empty jobs-10k jobs-100k zones-100k roles-100k bigcmd-100 drift queued-runs"
cases="${MEM_CASES:-$all_cases}"
drift_seconds="${MEM_DRIFT_SECONDS:-60}"
queued="${MEM_QUEUED:-100}"
queued_roles="${MEM_QUEUED_ROLES:-4}"

[ "$(id -u)" = 0 ] || { echo "bench/memory.sh must run as root (it runs PostgreSQL as user postgres)" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "user postgres is missing (install postgresql-15)" >&2; exit 1; }
[ -f "$pglib/cronext.so" ] || { echo "$pglib/cronext.so is missing (make && make install)" >&2; exit 1; }
for c in $cases; do
	case " $all_cases " in *" $c "*) ;; *) echo "unknown case $c (cases: $all_cases)" >&2; exit 1 ;; esac
done

work="$(mktemp -d /tmp/cronext-mem.XXXXXX)"
chmod 755 "$work"
chown postgres "$work"
data="$work/data"
logfile="$work/server.log"
locker_pid=

cleanup() {
	if [ -n "$locker_pid" ]; then
		kill "$locker_pid" 2>/dev/null || true
	fi
	if [ -f "$data/postmaster.pid" ]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ "${MEM_KEEP:-0}" = 1 ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results="$work/results"
: > "$results"
. "$here/lib.sh"

# a port nothing listens on (the socket lives in $work anyway)
port=
for _ in $(seq 1 50); do
	p=$(( 30000 + RANDOM % 20000 ))
	if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "no free port found" >&2; exit 1; }

# ---------------------------------------------------------------- cluster

runuser -u postgres -- "$pgbin/initdb" -N -D "$data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
cat >> "$data/postgresql.conf" <<CONF
# --- bench/memory.sh
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
max_worker_processes = 64
max_connections = 100
log_line_prefix = '%m [%p] %b '
CONF

start() { runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -l "$logfile" -w -t 120 start >/dev/null; }
restart() { runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -l "$logfile" -m fast -w -t 120 restart >/dev/null; }

# psql as $1 (a role), database postgres, unaligned tuples only
qa() {
	local user=$1
	shift
	runuser -u postgres -- "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 \
		-h "$work" -p "$port" -U "$user" -d postgres "$@"
}
q() { qa postgres "$@"; }

sched_pid() {
	local pid
	for _ in $(seq 1 300); do
		pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'")
		if [ -n "$pid" ]; then
			echo "$pid"
			return 0
		fi
		sleep 0.1
	done
	echo "no cronext scheduler" >&2
	return 1
}

# a run of the marker job, answered and finished: the scheduler has read
# every job committed before (a pass reads changes before it answers
# cron.run_job; at start it reads all jobs first)
marker_run() {
	local runid= st
	for _ in $(seq 1 600); do
		runid=$(q -c "SELECT cron.run_job('marker')" 2>/dev/null || true)
		[ -n "$runid" ] && break
		sleep 0.2
	done
	[ -n "$runid" ] || { echo "the scheduler never answered cron.run_job('marker')" >&2; return 1; }
	for _ in $(seq 1 600); do
		st=$(q -c "SELECT status FROM cron.job_run_details WHERE runid = $runid")
		[ "$st" = succeeded ] && return 0
		sleep 0.1
	done
	echo "the marker run $runid did not succeed (status $st)" >&2
	return 1
}

# the scheduler's memory as "ctx cache runs tz rss anon" (MB, "-" if unknown)
memory() {
	local pid=$1 off dump=
	off=$(stat -c %s "$logfile")
	q -c "SELECT pg_log_backend_memory_contexts($pid)" >/dev/null
	for _ in $(seq 1 100); do
		dump=$(tail -c +"$((off + 1))" "$logfile" | grep "\[$pid\]" || true)
		echo "$dump" | grep -q "Grand total" && break
		sleep 0.1
	done
	echo "$dump" | awk -v status="/proc/$pid/status" '
		function mb(b) { return sprintf("%.1f", b / 1048576) }
		/Grand total: / { sub(/.*Grand total: /, ""); ctx = $1 + 0 }
		/level: 1; cronext job cache: / { sub(/.*cronext job cache: /, ""); cache += $1 }
		/level: 2; cronext jobs: / { sub(/.*cronext jobs: /, ""); cache += $1 }
		/level: 1; cronext runs: / { sub(/.*cronext runs: /, ""); runs = $1 + 0 }
		/level: 1; Timezones: / { sub(/.*Timezones: /, ""); tz = $1 + 0 }
		END {
			while ((getline line < status) > 0) {
				split(line, f, /[ \t]+/)
				if (f[1] == "VmRSS:") rss = f[2] * 1024
				if (f[1] == "RssAnon:") anon = f[2] * 1024
			}
			printf "%s %s %s %s %s %s\n", ctx ? mb(ctx) : "-", cache ? mb(cache) : "-",
				runs ? mb(runs) : "-", tz ? mb(tz) : "-", rss ? mb(rss) : "-", anon ? mb(anon) : "-"
		}'
}

# measure and record as $1.$2 (case, phase)
measure() {
	local c=$1 phase=$2 pid ctx cache runs tz rss anon
	pid=$(sched_pid)
	read -r ctx cache runs tz rss anon < <(memory "$pid")
	put "$c.$phase.ctx" "$ctx"
	put "$c.$phase.cache" "$cache"
	put "$c.$phase.runs" "$runs"
	put "$c.$phase.tz" "$tz"
	put "$c.$phase.rss" "$rss"
	put "$c.$phase.anon" "$anon"
	put "$c.$phase.jit" "$(grep -qi llvm "/proc/$pid/maps" && echo yes || echo no)"
	log "$c ($phase): contexts $ctx MB (job cache $cache, runs $runs, zones $tz), RSS $rss MB, anon $anon MB"
}

# an hour 12 h from now: ordinary schedules that do not come due meanwhile
far_hour=$(( ($(date -u +%-H) + 12) % 24 ))
schedules="ARRAY['0 $far_hour * * *', '30 $far_hour * * 1-5', '15 $far_hour 1 * *', '*/10 $far_hour * * *',
	'45 $far_hour * * 0', '5 $far_hour 1,15 * *', '0 $far_hour * 1,4,7,10 *', '20 $far_hour * * 6']"
commands="ARRAY['CALL maintenance.refresh_rollups()', 'VACUUM ANALYZE public.events',
	'DELETE FROM public.sessions WHERE expires_at < now()', 'SELECT public.send_digest(''daily'')',
	'REFRESH MATERIALIZED VIEW CONCURRENTLY public.sales_by_day']"

# n jobs: insert them in one statement; extra columns from $2 ($2 is an
# SQL expression of g for the time zone, or NULL), username from $3
add_jobs() {
	local n=$1 tz=${2:-NULL} user=${3:-"'postgres'"}
	q -c "INSERT INTO cron.job (jobname, schedule, command, timezone, username)
		  SELECT 'job-' || g, ($schedules)[1 + g % 8], ($commands)[1 + g % 5], $tz, $user
		  FROM generate_series(1, $n) g"
}

reset_jobs() {
	# fresh statistics: the planner's estimates for the scheduler's queries
	# (and so whether they are JIT-compiled) follow the jobs there are
	q -c "DELETE FROM cron.job WHERE jobname <> 'marker'; DELETE FROM cron.job_run_details; ANALYZE cron.job"
	restart
	sched_pid >/dev/null
	marker_run
}

# ---------------------------------------------------------------- cases

# fill cron.job ($2: the command that does), measure live, restart, measure
static_case() {
	local c=$1 t0 t1
	shift
	log "$c: filling cron.job"
	reset_jobs
	t0=$(now)
	"$@"
	t1=$(now)
	q -c "ANALYZE cron.job"
	put "$c.jobs" "$(q -c "SELECT count(*) FROM cron.job WHERE jobname <> 'marker'")"
	put "$c.roles" "$(q -c "SELECT count(DISTINCT username) FROM cron.job WHERE jobname <> 'marker'")"
	put "$c.zones" "$(q -c "SELECT count(DISTINCT lower(timezone)) FROM cron.job")"
	put "$c.cmd_mb" "$(q -c "SELECT coalesce(round(sum(octet_length(command)) / 1048576.0, 1), 0) FROM cron.job WHERE jobname <> 'marker'")"
	put "$c.insert_s" "$(fsub "$t1" "$t0")"
	marker_run
	measure "$c" live
	restart
	sched_pid >/dev/null
	marker_run
	measure "$c" fresh
}

fill_none() { :; }
fill_10k() { add_jobs 10000; }
fill_100k() { add_jobs 100000; }
fill_zones() {
	add_jobs 100000 "(SELECT array_agg(name ORDER BY name) FROM pg_timezone_names)[1 + g % (SELECT count(*) FROM pg_timezone_names)::int]"
}
fill_roles() {
	q -c "SELECT format('CREATE ROLE %I LOGIN;', 'benchrole' || g) FROM generate_series(1, 1000) g
		  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'benchrole' || g)" | q >/dev/null
	add_jobs 100000 NULL "'benchrole' || (1 + g % 1000)"
}
fill_bigcmd() {
	q -c "INSERT INTO cron.job (jobname, schedule, command)
		  SELECT 'big-' || g, '0 $far_hour * * *',
				 'SELECT ' || g || ' /* ' || (SELECT string_agg(md5(g || '-' || i), '') FROM generate_series(1, 32768) i) || ' */'
		  FROM generate_series(1, 100) g"
}

drift_case() {
	local c=drift jid pid n0 n1
	log "$c: one '1 seconds' job for ${drift_seconds}s"
	reset_jobs
	jid=$(q -c "SELECT cron.schedule('every-second', '1 seconds', 'SELECT 1')")
	sleep 3
	n0=$(q -c "SELECT count(*) FROM cron.job_run_details WHERE jobid = $jid")
	measure "$c" start
	sleep "$drift_seconds"
	n1=$(q -c "SELECT count(*) FROM cron.job_run_details WHERE jobid = $jid")
	measure "$c" end
	put "$c.runs" "$((n1 - n0))"
	put "$c.jobs" 1
	put "$c.roles" 1
	put "$c.zones" 0
	put "$c.cmd_mb" 0
	q -c "SELECT cron.unschedule($jid)" >/dev/null
}

queued_case() {
	local c=queued-runs r jid first n asked=0 want
	log "$c: $queued_roles roles, each asking for $queued runs of its 1 MB job, queued behind its run waiting for a lock"
	reset_jobs
	q -c "CREATE TABLE IF NOT EXISTS public.gate ()"
	declare -A job
	for r in $(seq 1 "$queued_roles"); do
		q -c "DO \$\$ BEGIN
				IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'flooder$r') THEN CREATE ROLE flooder$r LOGIN; END IF;
			  END \$\$;
			  GRANT USAGE ON SCHEMA cron TO flooder$r;
			  GRANT SELECT ON public.gate TO flooder$r"
		job[$r]=$(qa "flooder$r" -c "SELECT cron.schedule('flood', '0 $far_hour * * *',
			'SELECT count(*) FROM public.gate /* ' || (SELECT string_agg(md5($r || '-' || i), '') FROM generate_series(1, 31250) i) || ' */')")
	done
	marker_run
	measure "$c" before
	# hold the gate: each role's first run waits for it, the others queue behind
	runuser -u postgres -- "$pgbin/psql" -X -q -h "$work" -p "$port" -U postgres -d postgres \
		-c "SET application_name = 'bench_gate'" \
		-c "BEGIN" -c "LOCK TABLE public.gate IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
	locker_pid=$!
	for _ in $(seq 1 100); do
		[ "$(q -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
				   WHERE c.relname = 'gate' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ] && break
		sleep 0.1
	done
	for r in $(seq 1 "$queued_roles"); do
		first=$(qa "flooder$r" -c "SELECT cron.run_job(${job[$r]})")
		for _ in $(seq 1 100); do
			[ "$(q -c "SELECT status FROM cron.job_run_details WHERE runid = $first")" = running ] && break
			sleep 0.1
		done
		# ask $queued times; a refused call ends the asking (the role's cap)
		qa "flooder$r" -c "DO \$\$ BEGIN
				FOR i IN 1 .. $queued LOOP
					BEGIN
						PERFORM cron.run_job(${job[$r]});
					EXCEPTION WHEN others THEN
						RAISE NOTICE 'refused after % runs: %', i - 1, SQLERRM;
						EXIT;
					END;
				END LOOP;
			  END \$\$" 2>&1 | sed 's/^/    /' >&2 || true
	done
	want=$(q -c "SELECT count(*) FROM cron.job_run_details WHERE status IN ('starting', 'running')")
	put "$c.asked" "$((queued_roles * queued))"
	put "$c.accepted" "$((want - queued_roles))"
	measure "$c" queued
	q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bench_gate'" >/dev/null
	wait "$locker_pid" 2>/dev/null || true
	locker_pid=
	for _ in $(seq 1 900); do
		n=$(q -c "SELECT count(*) FROM cron.job_run_details WHERE status IN ('starting', 'running')")
		[ "$n" = 0 ] && break
		sleep 0.2
	done
	measure "$c" after
	put "$c.jobs" "$queued_roles"
	put "$c.roles" "$queued_roles"
	put "$c.zones" 0
	put "$c.cmd_mb" "$(q -c "SELECT round(sum(octet_length(command)) / 1048576.0, 1) FROM cron.job WHERE jobname = 'flood'")"
	put "$c.runs" "$(q -c "SELECT count(*) FILTER (WHERE d.status = 'succeeded') || '/' || count(*)
		FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'flood'")"
	q -c "DELETE FROM cron.job WHERE jobname = 'flood'" >/dev/null
}

# ---------------------------------------------------------------- run

put machine.nproc "$(nproc)"
put machine.mem "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
put run.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put run.cronext_commit "$(git -C "$here/.." log -1 --format=%h 2>/dev/null || echo '?')"
put run.cronext_so "$(date -u -r "$pglib/cronext.so" '+%Y-%m-%d %H:%M:%S UTC')"
put run.pg_version "$($pgbin/postgres --version | awk '{ print $3 }')"
t_start=$SECONDS

log "work directory $work, port $port; schedules at hour $far_hour UTC"
start
q -c "CREATE EXTENSION cronext"
q -c "SELECT cron.schedule('marker', '0 $far_hour 1 1 *', 'SELECT 1')" >/dev/null
sched_pid >/dev/null
put tz.names "$(q -c "SELECT count(*) FROM pg_timezone_names")"

for c in $cases; do
	case $c in
		empty) static_case "$c" fill_none ;;
		jobs-10k) static_case "$c" fill_10k ;;
		jobs-100k) static_case "$c" fill_100k ;;
		zones-100k) static_case "$c" fill_zones ;;
		roles-100k) static_case "$c" fill_roles ;;
		bigcmd-100) static_case "$c" fill_bigcmd ;;
		drift) drift_case ;;
		queued-runs) queued_case ;;
	esac
done
put run.seconds "$((SECONDS - t_start))"
put log.warnings "$(grep -cE ' (WARNING|ERROR|FATAL|PANIC): ' "$logfile" || true)"
grep -E ' (WARNING|ERROR|FATAL|PANIC): ' "$logfile" | sed -E 's/^.* (WARNING|ERROR|FATAL|PANIC): +/\1: /' |
	sort | uniq -c | sort -rn | head -n 5 > "$work/warnings" || true

# ---------------------------------------------------------------- report

report() {
	local c phase
	echo
	echo "cronext scheduler memory — $(get run.date), $(get machine.nproc) CPUs, $(get machine.mem)"
	echo "PostgreSQL $(get run.pg_version); cronext (repository at $(get run.cronext_commit), installed cronext.so built $(get run.cronext_so)); $(get tz.names) names in pg_timezone_names"
	echo "ctx = Grand total of the scheduler's memory contexts; cache = its \"cronext job cache\" context (with the \"cronext jobs\" hash); runs = \"cronext runs\"; tz = \"Timezones\" (zones loaded); rss = VmRSS; anon = RssAnon; all MB; jit = LLVM loaded in the scheduler"
	echo "(\"-\": the context was not in the log: it lists at most 100 children of a context)"
	echo "live = jobs added while the scheduler ran; fresh = after a restart (read at start)"
	echo
	printf '%-12s %7s %6s %6s %7s %-7s %7s %7s %6s %6s %7s %7s %4s %8s\n' case jobs roles zones cmd_MB phase ctx cache runs tz rss anon jit insert_s
	for c in $cases; do
		case $c in
			drift) phases="start end" ;;
			queued-runs) phases="before queued after" ;;
			*) phases="live fresh" ;;
		esac
		for phase in $phases; do
			printf '%-12s %7s %6s %6s %7s %-7s %7s %7s %6s %6s %7s %7s %4s %8s\n' "$c" "$(get "$c.jobs")" "$(get "$c.roles")" \
				"$(get "$c.zones")" "$(get "$c.cmd_mb")" "$phase" "$(get "$c.$phase.ctx")" "$(get "$c.$phase.cache")" \
				"$(get "$c.$phase.runs")" "$(get "$c.$phase.tz")" "$(get "$c.$phase.rss")" "$(get "$c.$phase.anon")" "$(get "$c.$phase.jit")" "$(get "$c.insert_s")"
		done
	done
	case " $cases " in *" drift "*)
		echo "  drift: $(get drift.runs) runs of the '1 seconds' job in the ${drift_seconds}s window" ;;
	esac
	case " $cases " in *" queued-runs "*)
		echo "  queued-runs: $queued_roles roles asked for $(get queued-runs.asked) runs of their 1 MB jobs behind runs waiting for a lock; $(get queued-runs.accepted) were queued; runs succeeded/recorded: $(get queued-runs.runs)" ;;
	esac
	echo "server log: $(get log.warnings) WARNING/ERROR/FATAL lines"
	sed 's/^/    /' "$work/warnings" 2>/dev/null || true
	echo "total benchmark time: $(get run.seconds) s"
}

report | tee "$work/table"
if [ -n "${MEM_OUT:-}" ]; then
	{ cat "$work/table"; echo; echo "# raw"; cat "$results"; } > "$MEM_OUT"
fi

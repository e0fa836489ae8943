#!/bin/bash
#
# bench/job_status.sh — how fast is cron.job_status with many jobs and a
# long history?
#
# Run as root.  Makes a throwaway PostgreSQL 15 cluster (initdb in a mktemp
# directory, run as the unprivileged user "postgres", unix socket only in
# that directory), preloads cronext, creates JS_JOBS jobs (default 100 000)
# and JS_ROWS rows of history in cron.job_run_details (default 10 000 000,
# JS_ROWS / JS_JOBS per job), VACUUM ANALYZE, then times five queries on
# cron.job_status:
#   (a) one job by jobid
#   (b) one job by jobname
#   (c) all jobs:            SELECT count(*) FROM (SELECT * FROM cron.job_status) s
#   (d) newest 20 failures:  WHERE last_status = 'failed' ORDER BY last_run_start DESC LIMIT 20
#   (e) next 20 to run:      ORDER BY next_run LIMIT 20
#   (f) all jobs, every column: SELECT * FROM cron.job_status (rows discarded
#       by psql; (c) lets the planner skip the columns it does not need,
#       so next_run, consecutive_failures and running_pid are computed in
#       (f) only)
#   (g) (b) as a non-superuser (role cronext_js_app, which owns one job and
#       its history), so that row-level security applies
# each JS_REPEAT times (default 5) in one psql session, wall-clock from psql's
# \timing (parse + plan + execute + transfer); prints the first and the
# median run, plus one EXPLAIN (ANALYZE, BUFFERS) per query (execution
# time, shared buffers hit/read).  The cluster is removed on exit.
#
# The scheduler stays idle throughout: cron.launch_active_jobs = off (jobs
# stay active, so next_run is computed as in production, but nothing is
# launched) and cron.history_retention = 0 (the generated history is not
# pruned).
#
# Environment:
#   JS_JOBS=N          jobs (default 100000)
#   JS_ROWS=N          history rows in all (default 10000000; rounded down
#                      to a multiple of JS_JOBS)
#   JS_REPEAT=N        timed runs per query (default 5)
#   JS_PORT=N          port of the cluster (default 5521; socket only)
#   JS_AFTER_SQL=file  SQL run (as superuser) after the first measurement,
#                      then everything is measured again: for trying an
#                      index or a rewritten view; both columns are printed
#   JS_OUT=file        also write the table and all plans there
#   JS_WAIT_QUIET=N    before measuring, wait up to N s for the machine's
#                      1-minute load average to drop below 0.5
#   JS_KEEP=1          leave the cluster running and the directory in place
#                      at the end (prints how to connect and to stop it)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pgbin=/usr/lib/postgresql/15/bin
pglib="$($pgbin/pg_config --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)"

jobs="${JS_JOBS:-100000}"
rows="${JS_ROWS:-10000000}"
repeat="${JS_REPEAT:-5}"
port="${JS_PORT:-5521}"
after_sql="${JS_AFTER_SQL:-}"
per_job=$(( rows / jobs ))
[ "$per_job" -ge 1 ] || { echo "JS_ROWS ($rows) must be at least JS_JOBS ($jobs)" >&2; exit 1; }
rows=$(( per_job * jobs ))
# the job looked up in (a) and (b): about the middle
probe=$(( jobs * 54321 / 100000 ))
[ "$probe" -ge 1 ] || probe=1
probe2=$(( probe % jobs + 1 ))

[ "$(id -u)" = 0 ] || { echo "bench/job_status.sh must run as root (it runs PostgreSQL as user postgres)" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "user postgres is missing (install postgresql-15)" >&2; exit 1; }
[ -f "$pglib/cronext.so" ] || { echo "$pglib/cronext.so is missing (make && make install)" >&2; exit 1; }
if [ -n "$after_sql" ]; then
	[ -r "$after_sql" ] || { echo "JS_AFTER_SQL: cannot read $after_sql" >&2; exit 1; }
	after_sql="$(cd "$(dirname "$after_sql")" && pwd)/$(basename "$after_sql")"
fi

work="$(mktemp -d /tmp/cronext-js.XXXXXX)"
chmod 755 "$work"
chown postgres "$work"
data="$work/data"
keep=0

cleanup() {
	if [ "$keep" = 1 ]; then
		return
	fi
	if [ -f "$data/postmaster.pid" ]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$here/lib.sh"

# psql on the cluster, database postgres, unaligned tuples only
q() {
	runuser -u postgres -- "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 \
		-h "$work" -p "$port" -U postgres -d postgres "$@"
}

# ---------------------------------------------------------------- cluster

log "work directory $work; $jobs jobs, $rows history rows ($per_job per job), port $port"
awk '{ exit !($1 > 0.5) }' /proc/loadavg &&
	log "warning: the machine is busy (load average $(cut -d' ' -f1-3 /proc/loadavg)); figures will be disturbed"

runuser -u postgres -- "$pgbin/initdb" -N -D "$data" -A trust -U postgres >/dev/null
cat >> "$data/postgresql.conf" <<CONF
# --- bench/job_status.sh
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
cron.launch_active_jobs = off
cron.history_retention = 0
shared_buffers = '1GB'
maintenance_work_mem = '512MB'
max_wal_size = '16GB'
checkpoint_timeout = '30min'
# only the load is affected by these (a throwaway cluster)
fsync = off
synchronous_commit = off
full_page_writes = off
log_line_prefix = '%m [%p] %b '
CONF
runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -l "$work/server.log" -w -t 60 start >/dev/null

# the extension may be reinstalled under our feet: retry a few times
for try in 1 2 3 4 5; do
	if q -c "CREATE EXTENSION cronext" 2>"$work/create.err"; then
		break
	fi
	log "CREATE EXTENSION failed (try $try): $(head -n 1 "$work/create.err")"
	[ "$try" = 5 ] && exit 1
	q -c "DROP EXTENSION IF EXISTS cronext" >/dev/null 2>&1 || true
	sleep 5
done

# ---------------------------------------------------------------- data

# Jobs: through cron.job's validation trigger, as cron.schedule would; ids
# 1..N.  A mix of schedules and time zones; every 20th job inactive.
log "inserting $jobs jobs"
t0=$SECONDS
q <<SQL
INSERT INTO cron.job (schedule, command, jobname, timezone, active, max_retries)
SELECT (ARRAY['*/5 * * * *', '0 * * * *', '17 */6 * * *', '0 3 * * *', '30 2 * * 1-5',
              '0 9 * * mon', '0 0 1 * *', '45 23 \$ * *', '30 seconds', '0 0 1 1 *'])[g % 10 + 1],
       'CALL app.task_' || g % 50 || '()',
       'job-' || g,
       (ARRAY[NULL, 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata'])[g % 4 + 1],
       g % 20 <> 0,
       CASE WHEN g % 7 = 0 THEN 3 ELSE 0 END
FROM generate_series(1, $jobs) g;
SQL
t_jobs=$((SECONDS - t0))
[ "$(q -c "SELECT max(jobid) FROM cron.job")" = "$jobs" ] || { echo "job ids are not 1..$jobs" >&2; exit 1; }

# History: slot k (1 = newest) of every job is k * 6 h before the current
# hour, minus a per-job offset; rows are inserted oldest slot first, all
# jobs of a slot together, as the scheduler would write them (so one job's
# rows are spread over the table, not clustered).  Outcomes: 93 % succeeded,
# 4 % failed, 3 % skipped; every 50th job failed its last 10 slots; every
# 1000th job never succeeded; every 2000th job has its newest run still
# 'running'.
log "inserting $rows history rows"
t0=$SECONDS
q >/dev/null <<SQL
SELECT setseed(0.4242);
INSERT INTO cron.job_run_details
	(jobid, runid, job_pid, database, username, command, status, return_message,
	 start_time, end_time, scheduled_for, attempt, manual)
SELECT j, ($per_job - k) * $jobs::bigint + j,
	   CASE WHEN st = 'skipped' THEN NULL ELSE 10000 + (j * 7 + k) % 50000 END,
	   'postgres', 'postgres', 'CALL app.task_' || j % 50 || '()',
	   st,
	   CASE st WHEN 'succeeded' THEN 'CALL'
			   WHEN 'failed' THEN 'ERROR:  deadlock detected'
			   WHEN 'skipped' THEN 'overlap: the previous run was still running'
	   END,
	   sf + interval '3 ms' + r * interval '40 ms',
	   CASE WHEN st = 'running' THEN NULL
			WHEN st = 'skipped' THEN sf + interval '3 ms' + r * interval '40 ms'
			ELSE sf + interval '50 ms' + r * r * interval '30 s' END,
	   sf,
	   CASE WHEN st = 'skipped' THEN 0 ELSE 1 END,
	   false
FROM (
	SELECT k, j, r, date_trunc('hour', now()) - k * interval '6 hours' - (j % 300) * interval '1 second' AS sf,
		   CASE WHEN k = 1 AND j % 2000 = 0 THEN 'running'
				WHEN j % 1000 = 3 THEN 'failed'
				WHEN j % 50 = 7 AND k <= 10 THEN 'failed'
				WHEN r < 0.93 THEN 'succeeded'
				WHEN r < 0.97 THEN 'failed'
				ELSE 'skipped' END AS st
	FROM (SELECT k, j, random() AS r
		  FROM generate_series($per_job, 1, -1) k CROSS JOIN generate_series(1, $jobs) j) x
) y;
SELECT setval('cron.runid_seq', $rows);
SQL
# one job (and its history) owned by a role without superuser rights, for (g)
q <<SQL
CREATE ROLE cronext_js_app LOGIN;
GRANT USAGE ON SCHEMA cron TO cronext_js_app;
UPDATE cron.job SET username = 'cronext_js_app' WHERE jobid = $probe2;
UPDATE cron.job_run_details SET username = 'cronext_js_app' WHERE jobid = $probe2;
SQL
t_rows=$((SECONDS - t0))
log "jobs in ${t_jobs}s, history in ${t_rows}s; VACUUM ANALYZE"
t0=$SECONDS
q -c "VACUUM ANALYZE cron.job" -c "VACUUM ANALYZE cron.job_run_details"
t_vacuum=$((SECONDS - t0))
q -c "CHECKPOINT"

sizes="$(q -F ' ' -c "
	SELECT pg_size_pretty(pg_table_size('cron.job_run_details')),
		   pg_size_pretty(pg_indexes_size('cron.job_run_details')),
		   pg_size_pretty(pg_total_relation_size('cron.job'))")"
mix="$(q -F ' ' -c "SELECT string_agg(status || '=' || n, ' ' ORDER BY status)
					 FROM (SELECT status, count(*) n FROM cron.job_run_details GROUP BY status) s")"
log "ledger: table/indexes $sizes (cron.job total last); $mix"

# ---------------------------------------------------------------- queries

labels=(a b c d e f g)
declare -A sql
sql[a]="SELECT * FROM cron.job_status WHERE jobid = $probe"
sql[b]="SELECT * FROM cron.job_status WHERE jobname = 'job-$probe'"
sql[c]="SELECT count(*) FROM (SELECT * FROM cron.job_status) s"
sql[d]="SELECT * FROM cron.job_status WHERE last_status = 'failed' ORDER BY last_run_start DESC LIMIT 20"
sql[e]="SELECT * FROM cron.job_status ORDER BY next_run LIMIT 20"
sql[f]="SELECT * FROM cron.job_status"
sql[g]="SELECT * FROM cron.job_status WHERE jobname = 'job-$probe2'"
# run before the query, untimed
declare -A pre
pre[g]="SET ROLE cronext_js_app;"

declare -A res
plans="$work/plans.txt"
: > "$plans"

# measure every query; results under key prefix $1
measure() {
	local phase=$1 l times sorted n
	for l in "${labels[@]}"; do
		log "$phase ($l): ${sql[$l]}"
		# JS_REPEAT runs in one session; \timing goes to stdout, rows to /dev/null
		times=$( { echo "${pre[$l]:-}"; echo '\timing on'; for _ in $(seq 1 "$repeat"); do echo "${sql[$l]};"; done; } |
			q -o /dev/null | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p')
		n=$(echo "$times" | wc -l)
		[ "$n" = "$repeat" ] || { echo "expected $repeat timings for ($l), got $n" >&2; exit 1; }
		sorted=$(echo "$times" | sort -g)
		res[$phase.$l.first]=$(echo "$times" | head -n 1)
		res[$phase.$l.median]=$(echo "$sorted" | sed -n "$(( (repeat + 1) / 2 ))p")
		res[$phase.$l.rows]=$(echo "${pre[$l]:-} SELECT count(*) FROM (${sql[$l]}) s" | q | tail -n 1)
		{
			echo "=== $phase ($l) ${pre[$l]:-}${sql[$l]}"
			echo "${pre[$l]:-} EXPLAIN (ANALYZE, BUFFERS) ${sql[$l]}" | q
			echo
		} > "$work/plan.$phase.$l"
		cat "$work/plan.$phase.$l" >> "$plans"
		res[$phase.$l.exec]=$(sed -nE 's/^Execution Time: ([0-9.]+) ms/\1/p' "$work/plan.$phase.$l")
		# top node's buffers (the first Buffers line is the plan's root, all included)
		res[$phase.$l.buf]=$(grep -m1 -E '^ *Buffers:' "$work/plan.$phase.$l" | sed -E 's/^ *Buffers: //; s/shared //' || true)
		log "  median ${res[$phase.$l.median]} ms (first ${res[$phase.$l.first]}), EXPLAIN ANALYZE ${res[$phase.$l.exec]} ms, ${res[$phase.$l.buf]:-}"
	done
}

if [ "${JS_WAIT_QUIET:-0}" -gt 0 ]; then
	log "waiting up to ${JS_WAIT_QUIET}s for load1 < 0.5 (now $(cut -d' ' -f1 /proc/loadavg))"
	for _ in $(seq 1 $(( JS_WAIT_QUIET / 5 ))); do
		awk '{ exit !($1 < 0.5) }' /proc/loadavg && break
		sleep 5
	done
fi
load_before=$(cut -d' ' -f1 /proc/loadavg)
phases=(before)
measure before
if [ -n "$after_sql" ]; then
	log "applying $after_sql"
	q -f "$after_sql"
	q -c "ANALYZE cron.job" -c "ANALYZE cron.job_run_details"
	phases+=(after)
	measure after
fi

# ---------------------------------------------------------------- report

report() {
	local l p
	echo
	echo "cron.job_status — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load1 $load_before before measuring, $(cut -d' ' -f1 /proc/loadavg) at the end"
	echo "PostgreSQL $($pgbin/postgres --version | awk '{ print $3 }'); cronext (repository at $(git -C "$here/.." log -1 --format=%h 2>/dev/null || echo '?'), installed cronext.so built $(date -u -r "$pglib/cronext.so" '+%Y-%m-%d %H:%M:%S UTC'))"
	echo "$jobs jobs, $rows ledger rows ($per_job per job; $mix); ledger table $(echo "$sizes" | cut -d' ' -f1-2), its indexes $(echo "$sizes" | cut -d' ' -f3-4)"
	echo "load: jobs ${t_jobs} s, history ${t_rows} s, VACUUM ANALYZE ${t_vacuum} s; shared_buffers 1GB, other settings default (jit on); (a)-(f) as superuser (no row-level security), (g) as a plain role"
	[ -n "$after_sql" ] && echo "after = after running $(basename "$after_sql")"
	echo
	echo "wall-clock ms over $repeat runs in one session (psql \\timing), EXPLAIN ANALYZE execution ms, shared buffers of the EXPLAIN run"
	printf '%-3s %-7s %6s %10s %10s %10s  %s\n' q phase rows first median explain buffers
	for l in "${labels[@]}"; do
		for p in "${phases[@]}"; do
			printf '%-3s %-7s %6s %10s %10s %10s  %s\n' "($l)" "$p" "${res[$p.$l.rows]}" "${res[$p.$l.first]}" \
				"${res[$p.$l.median]}" "${res[$p.$l.exec]}" "${res[$p.$l.buf]:-}"
		done
	done
	echo
	for l in "${labels[@]}"; do
		echo "($l) ${pre[$l]:+${pre[$l]} }${sql[$l]}"
	done
}

report | tee "$work/table"
if [ -n "${JS_OUT:-}" ]; then
	{ cat "$work/table"; echo; echo "# plans"; cat "$plans"; } > "$JS_OUT"
	log "table and plans written to $JS_OUT"
else
	log "plans are not kept: set JS_OUT=file (or JS_KEEP=1, then see $plans)"
fi
if [ "${JS_KEEP:-0}" = 1 ]; then
	keep=1
	echo "cluster kept running: runuser -u postgres -- $pgbin/psql -h $work -p $port -U postgres postgres"
	echo "stop and remove:      runuser -u postgres -- $pgbin/pg_ctl -D $data -m fast stop && rm -rf $work"
fi
